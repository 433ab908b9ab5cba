package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCert is a self-signed certificate for 127.0.0.1, ::1 and localhost,
// made for one test run: its PEM files, the pair for a tls.Config, and a
// pool that trusts it.
type TestCert struct {
	CertFile, KeyFile string
	Pair              tls.Certificate
	Roots             *x509.CertPool
}

// ClientTLS returns a client tls.Config that trusts only the certificate.
func (c *TestCert) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: c.Roots, MinVersion: tls.VersionTLS12}
}

// ServerTLS returns a server tls.Config presenting the certificate.
func (c *TestCert) ServerTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.Pair}, MinVersion: tls.VersionTLS12}
}

// NewTestCert writes a fresh self-signed certificate into dir.
func NewTestCert(dir string) (*TestCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "arsenal test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	c := &TestCert{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), Roots: x509.NewCertPool()}
	if err := os.WriteFile(c.CertFile, certPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(c.KeyFile, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if c.Pair, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c.Roots.AddCert(cert)
	return c, nil
}

// MustTestCert is NewTestCert in t's temporary directory.
func MustTestCert(t testing.TB) *TestCert {
	t.Helper()
	c, err := NewTestCert(t.TempDir())
	if err != nil {
		t.Fatalf("testenv: test certificate: %v", err)
	}
	return c
}

// StartS3TLS starts a dedicated real versitygw serving HTTPS with a fresh
// self-signed certificate (Endpoint is https://127.0.0.1:PORT; trust it
// with Cert.ClientTLS), stopped when t ends. There is no stand-in: it
// fails the test without versitygw.
func StartS3TLS(t testing.TB) *S3 {
	t.Helper()
	s, err := LaunchS3TLS("")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

// LaunchS3TLS starts a real versitygw over HTTPS outside a test (data
// under base, "" for the system's temporary directory); the caller must
// call Stop.
func LaunchS3TLS(base string) (*S3, error) {
	bin, ok := findServer("versitygw")
	if !ok {
		return nil, fmt.Errorf("versitygw not found (looked on PATH and in %s): an HTTPS S3 server needs it", ToolsDir)
	}
	dir, err := os.MkdirTemp(base, "arsenal-s3tls-")
	if err != nil {
		return nil, err
	}
	cert, err := NewTestCert(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &S3{Region: "us-east-1", AccessKey: "AK" + strings.ToUpper(RandomHex(9)), SecretKey: RandomHex(20), Dir: dir, bin: bin, Real: true, Cert: cert}
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	s.Endpoint = "https://" + s.Addr
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	Logf("using real versitygw over HTTPS at %s (dir %s)", s.Endpoint, dir)
	return s, nil
}
