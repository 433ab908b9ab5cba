package security_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openTLSRedis(t *testing.T, addr string, cfg *tls.Config) (*redis.Client, error) {
	ctx := tctx(t)
	c, err := redis.Open(ctx, redis.Config{Addrs: []string{addr}, TLSConfig: cfg, ConnectTimeout: 3 * time.Second})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.Ping(ctx); err != nil {
		return c, err
	}
	return c, nil
}

func TestTLSRedisVerifiedRoundTrip(t *testing.T) {
	pki := testenv.NewTLSCerts(t)
	cf, kf := pki.IssueLocal(t, "redis")
	srv := testenv.StartTLSRedis(t, cf, kf, pki.CAFile, "no")

	cfg, err := security.TLS{CAFiles: []string{pki.CAFile}, NoSystemRoots: true}.Client()
	require.NoError(t, err)
	assert.Empty(t, security.Check(cfg), "the builder's config has no weakness")
	c, err := openTLSRedis(t, srv.TLSAddr, cfg)
	require.NoError(t, err)
	ctx := tctx(t)
	require.NoError(t, c.Set(ctx, "sec:tls", "v"))
	got, err := c.Get(ctx, "sec:tls")
	require.NoError(t, err)
	assert.Equal(t, "v", got)
}

func TestTLSRedisWrongCAAndExpiredCertificateAreUnauthenticated(t *testing.T) {
	pki := testenv.NewTLSCerts(t)
	other := testenv.NewTLSCerts(t)

	cf, kf := pki.IssueLocal(t, "redis")
	srv := testenv.StartTLSRedis(t, cf, kf, pki.CAFile, "no")
	wrong, err := security.TLS{CAFiles: []string{other.CAFile}, NoSystemRoots: true}.Client()
	require.NoError(t, err)
	_, err = openTLSRedis(t, srv.TLSAddr, wrong)
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "wrong CA: %v", err)

	ecf, ekf, err := pki.Issue("expired", []string{"127.0.0.1"}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	expired := testenv.StartTLSRedis(t, ecf, ekf, pki.CAFile, "no")
	right, err := security.TLS{CAFiles: []string{pki.CAFile}, NoSystemRoots: true}.Client()
	require.NoError(t, err)
	_, err = openTLSRedis(t, expired.TLSAddr, right)
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "expired certificate: %v", err)
}

func TestTLSRedisMutualTLS(t *testing.T) {
	pki := testenv.NewTLSCerts(t)
	cf, kf := pki.IssueLocal(t, "redis")
	srv := testenv.StartTLSRedis(t, cf, kf, pki.CAFile, "yes")

	noCert, err := security.TLS{CAFiles: []string{pki.CAFile}, NoSystemRoots: true}.Client()
	require.NoError(t, err)
	_, err = openTLSRedis(t, srv.TLSAddr, noCert)
	assert.Error(t, err, "a client without a certificate is refused")

	ccf, ckf, err := pki.Issue("client", nil, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	withCert, err := security.TLS{CAFiles: []string{pki.CAFile}, NoSystemRoots: true, CertFile: ccf, KeyFile: ckf}.Client()
	require.NoError(t, err)
	c, err := openTLSRedis(t, srv.TLSAddr, withCert)
	require.NoError(t, err)
	require.NoError(t, c.Set(tctx(t), "sec:mtls", "1"))
}

// TestTLSCertificatesReloadWhenTheirFilesChange runs a Go TLS server and
// client built by the package, with mutual TLS, and renews both
// certificates on disk between handshakes.
func TestTLSCertificatesReloadWhenTheirFilesChange(t *testing.T) {
	pki := testenv.NewTLSCerts(t)
	scf, skf := pki.IssueLocal(t, "server")
	ccf, ckf := pki.IssueLocal(t, "client")
	scfg, err := security.TLS{CertFile: scf, KeyFile: skf, ClientCAFiles: []string{pki.CAFile}}.Server()
	require.NoError(t, err)
	assert.Equal(t, tls.RequireAndVerifyClientCert, scfg.ClientAuth)
	ccfg, err := security.TLS{CAFiles: []string{pki.CAFile}, NoSystemRoots: true, CertFile: ccf, KeyFile: ckf}.Client()
	require.NoError(t, err)

	ln, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var clientSerial atomic.Value
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := c.(*tls.Conn)
			if tc.Handshake() == nil {
				clientSerial.Store(tc.ConnectionState().PeerCertificates[0].SerialNumber.String())
				_, _ = tc.Write([]byte("x"))
			}
			tc.Close()
		}
	}()
	handshake := func() (server, client string) {
		c, err := tls.Dial("tcp", ln.Addr().String(), ccfg)
		require.NoError(t, err)
		defer c.Close()
		_, err = io.ReadFull(c, make([]byte, 1))
		require.NoError(t, err)
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String(), clientSerial.Load().(string)
	}
	s1, c1 := handshake()
	s2, c2 := handshake()
	assert.Equal(t, s1, s2)
	assert.Equal(t, c1, c2)

	time.Sleep(10 * time.Millisecond) // a new modification time on coarse clocks
	pki.IssueLocal(t, "server")
	pki.IssueLocal(t, "client")
	s3n, c3 := handshake()
	assert.NotEqual(t, s1, s3n, "the server presents its renewed certificate")
	assert.NotEqual(t, c1, c3, "the client presents its renewed certificate")

	// A broken pair on disk keeps the last good one in use.
	require.NoError(t, os.WriteFile(scf, []byte("not a certificate"), 0o600))
	s4, _ := handshake()
	assert.Equal(t, s3n, s4)
}

func TestTLSOverVersitygwHTTPS(t *testing.T) {
	pki := testenv.NewTLSCerts(t)
	cf, kf := pki.IssueLocal(t, "s3")
	srv := testenv.StartTLSS3(t, cf, kf)

	get := func(cfg *tls.Config) (int, error) {
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
		defer hc.CloseIdleConnections()
		resp, err := hc.Get(srv.Endpoint + "/")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		return resp.StatusCode, nil
	}
	ok, err := security.TLS{CAFiles: []string{pki.CAFile}, NoSystemRoots: true}.Client()
	require.NoError(t, err)
	status, err := get(ok)
	require.NoError(t, err, "the handshake with the test CA succeeds")
	assert.Equal(t, http.StatusForbidden, status, "an unsigned request reaches versitygw, which refuses it")

	other := testenv.NewTLSCerts(t)
	wrong, err := security.TLS{CAFiles: []string{other.CAFile}, NoSystemRoots: true}.Client()
	require.NoError(t, err)
	_, err = get(wrong)
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "wrong CA: %v", err)

	// The s3 client trusts the system roots only: to it the test CA is a
	// wrong CA.
	c, err := s3.Open(tctx(t), s3.Config{Bucket: "sec-tls", Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: security.NewSecret(srv.SecretKey), MaxRetries: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	err = c.Health(tctx(t))
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "s3 Health with an untrusted certificate: %v", err)

	ecf, ekf, err := pki.Issue("s3-expired", []string{"127.0.0.1"}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	expired := testenv.StartTLSS3(t, ecf, ekf)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ok.Clone()}}
	_, err = hc.Get(expired.Endpoint + "/")
	require.Error(t, err)
	var inv x509.CertificateInvalidError
	assert.ErrorAs(t, err, &inv)
	assert.Equal(t, x509.Expired, inv.Reason)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "expired certificate: %v", err)
}

func TestTLSBuilderRefusesUnsafeOrBrokenInput(t *testing.T) {
	pki := testenv.NewTLSCerts(t)
	cf, kf := pki.IssueLocal(t, "x")
	bad := t.TempDir() + "/bad.pem"
	require.NoError(t, os.WriteFile(bad, []byte("nope"), 0o600))
	for name, tc := range map[string]security.TLS{
		"TLS 1.1":            {MinVersion: tls.VersionTLS11},
		"TLS 1.0":            {MinVersion: tls.VersionTLS10},
		"cert without key":   {CertFile: cf},
		"missing CA":         {CAFiles: []string{"/nonexistent/ca.pem"}},
		"empty CA":           {CAFiles: []string{bad}},
		"bad CAPEM":          {CAPEM: []byte("nope")},
		"no roots at all":    {NoSystemRoots: true},
		"key does not match": {CertFile: cf, KeyFile: bad},
	} {
		_, err := tc.Client()
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), name)
	}
	_, err := security.TLS{}.Server()
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "a server without a certificate")

	cfg, err := security.TLS{}.Client()
	require.NoError(t, err)
	assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
	assert.False(t, cfg.InsecureSkipVerify)
	assert.Nil(t, cfg.RootCAs, "the system roots")
	cfg, err = security.TLS{MinVersion: tls.VersionTLS13, ServerName: "db.internal", CAFiles: []string{pki.CAFile}}.Client()
	require.NoError(t, err)
	assert.Equal(t, uint16(tls.VersionTLS13), cfg.MinVersion)
	assert.Equal(t, "db.internal", cfg.ServerName)
	require.NotNil(t, cfg.RootCAs)
	scfg, err := security.TLS{CertFile: cf, KeyFile: kf}.Server()
	require.NoError(t, err)
	assert.Empty(t, security.Check(scfg))
}
