package security

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"
)

// Weakness is one finding of Check. ID is stable ("tls.skip-verify").
type Weakness struct {
	ID      string
	Message string
}

// String returns "id: message".
func (w Weakness) String() string { return w.ID + ": " + w.Message }

// Check lists the weaknesses of cfg: no TLS at all (nil), verification
// off, versions below TLS 1.2, cipher suites crypto/tls lists as
// insecure (RSA key exchange, RC4, 3DES, CBC-SHA256), renegotiation, a key log, client certificates requested but not
// verified, and, in Certificates, expired certificates, RSA keys under
// 2048 bits and SHA-1 signatures. An empty list means none was found,
// not that the peer is trustworthy.
func Check(cfg *tls.Config) []Weakness {
	return checkAt(cfg, time.Now())
}

func checkAt(cfg *tls.Config, now time.Time) []Weakness {
	if cfg == nil {
		return []Weakness{{"tls.none", "no TLS: traffic and credentials travel in clear text"}}
	}
	var out []Weakness
	add := func(id, format string, args ...any) {
		out = append(out, Weakness{ID: id, Message: fmt.Sprintf(format, args...)})
	}
	if cfg.InsecureSkipVerify && cfg.VerifyPeerCertificate == nil && cfg.VerifyConnection == nil {
		add("tls.skip-verify", "InsecureSkipVerify without a VerifyPeerCertificate or VerifyConnection: any certificate is accepted, a man in the middle goes unnoticed")
	}
	if cfg.MinVersion != 0 && cfg.MinVersion < tls.VersionTLS12 {
		add("tls.min-version", "MinVersion %s accepts versions below TLS 1.2", tls.VersionName(cfg.MinVersion))
	}
	if cfg.MaxVersion != 0 && cfg.MaxVersion < tls.VersionTLS12 {
		add("tls.max-version", "MaxVersion %s allows only versions below TLS 1.2", tls.VersionName(cfg.MaxVersion))
	}
	insecure := map[uint16]bool{}
	for _, s := range tls.InsecureCipherSuites() {
		insecure[s.ID] = true
	}
	for _, id := range cfg.CipherSuites {
		if insecure[id] {
			add("tls.weak-suite", "cipher suite %s is insecure (RSA key exchange without forward secrecy, RC4, 3DES or CBC-SHA256)", tls.CipherSuiteName(id))
		}
	}
	if cfg.Renegotiation == tls.RenegotiateFreelyAsClient {
		add("tls.renegotiation", "the client renegotiates whenever the server asks")
	}
	if cfg.KeyLogWriter != nil {
		add("tls.keylog", "KeyLogWriter writes the session keys: anyone who reads it decrypts the traffic")
	}
	if cfg.ClientAuth == tls.RequestClientCert || cfg.ClientAuth == tls.RequireAnyClientCert {
		add("tls.client-unverified", "client certificates are requested but not verified")
	}
	for _, c := range cfg.Certificates {
		leaf := c.Leaf
		if leaf == nil && len(c.Certificate) > 0 {
			leaf, _ = x509.ParseCertificate(c.Certificate[0])
		}
		if leaf == nil {
			continue
		}
		if now.After(leaf.NotAfter) {
			add("tls.cert-expired", "certificate %q expired at %s", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.RFC3339))
		}
		if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			add("tls.weak-key", "certificate %q has a %d-bit RSA key (2048 at least)", leaf.Subject.CommonName, k.N.BitLen())
		}
		switch leaf.SignatureAlgorithm {
		case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
			add("tls.weak-signature", "certificate %q is signed with %s", leaf.Subject.CommonName, leaf.SignatureAlgorithm)
		}
	}
	return out
}
