package security_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/security"
)

func ids(ws []security.Weakness) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.ID
	}
	return out
}

func selfSigned(t *testing.T, bits int, sig x509.SignatureAlgorithm, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weak"},
		NotBefore: notAfter.Add(-time.Hour), NotAfter: notAfter, SignatureAlgorithm: sig}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestCheckFindsWeaknesses(t *testing.T) {
	assert.Equal(t, []string{"tls.none"}, ids(security.Check(nil)))
	assert.Empty(t, security.Check(&tls.Config{}), "Go's defaults")
	assert.Empty(t, security.Check(&tls.Config{MinVersion: tls.VersionTLS13}))

	for want, cfg := range map[string]*tls.Config{
		"tls.skip-verify":       {InsecureSkipVerify: true},
		"tls.min-version":       {MinVersion: tls.VersionTLS10},
		"tls.max-version":       {MaxVersion: tls.VersionTLS11},
		"tls.weak-suite":        {CipherSuites: []uint16{tls.TLS_RSA_WITH_RC4_128_SHA}},
		"tls.renegotiation":     {Renegotiation: tls.RenegotiateFreelyAsClient},
		"tls.keylog":            {KeyLogWriter: io.Discard},
		"tls.client-unverified": {ClientAuth: tls.RequireAnyClientCert},
		"tls.cert-expired":      {Certificates: []tls.Certificate{selfSigned(t, 2048, x509.SHA256WithRSA, time.Now().Add(-time.Hour))}},
		"tls.weak-key":          {Certificates: []tls.Certificate{selfSigned(t, 1024, x509.SHA256WithRSA, time.Now().Add(time.Hour))}},
	} {
		got := ids(security.Check(cfg))
		assert.Equal(t, []string{want}, got, want)
	}
	assert.Equal(t, []string{"tls.weak-suite"}, ids(security.Check(&tls.Config{CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}})), "RSA key exchange")
	verified := &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(tls.ConnectionState) error { return nil }}
	assert.Empty(t, security.Check(verified), "skip-verify with a custom verification is not flagged")
	ok := &tls.Config{CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_AES_128_GCM_SHA256}}
	assert.Empty(t, security.Check(ok))
	several := security.Check(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10})
	assert.Equal(t, []string{"tls.skip-verify", "tls.min-version"}, ids(several))
	assert.Contains(t, several[1].String(), "TLS 1.0")
}
