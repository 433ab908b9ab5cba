package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TLSCerts is a throwaway PKI for TLS tests: a CA (CAFile) and the
// certificates it issues, as PEM files in Dir.
type TLSCerts struct {
	Dir    string
	CAFile string

	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
}

// NewTLSCerts creates a CA in a temporary directory removed when t ends.
func NewTLSCerts(t testing.TB) *TLSCerts {
	t.Helper()
	c, err := NewTLSCertsIn(t.TempDir())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return c
}

// NewTLSCertsIn creates a CA (ca.crt, ca.key) in dir.
func NewTLSCertsIn(dir string) (*TLSCerts, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "arsenal test CA " + RandomHex(4)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c := &TLSCerts{Dir: dir, CAFile: filepath.Join(dir, "ca.crt"), ca: ca, caKey: key}
	if err := writePEM(c.CAFile, "CERTIFICATE", der); err != nil {
		return nil, err
	}
	return c, nil
}

// Issue writes name.crt and name.key in Dir (replacing them if they
// exist): a certificate signed by the CA for hosts (DNS names or IP
// addresses), valid from notBefore to notAfter, for both server and
// client authentication.
func (c *TLSCerts) Issue(name string, hosts []string, notBefore, notAfter time.Time) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca, &key.PublicKey, c.caKey)
	if err != nil {
		return "", "", err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(c.Dir, name+".crt"), filepath.Join(c.Dir, name+".key")
	// The key first, then the certificate: a watcher that sees the new
	// certificate finds its key already in place.
	if err := writePEM(keyFile, "EC PRIVATE KEY", kder); err != nil {
		return "", "", err
	}
	if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// IssueLocal issues a certificate for 127.0.0.1 and localhost valid from
// an hour ago for a day.
func (c *TLSCerts) IssueLocal(t testing.TB, name string) (certFile, keyFile string) {
	t.Helper()
	cf, kf, err := c.Issue(name, []string{"127.0.0.1", "localhost"}, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatalf("testenv: issue %s: %v", name, err)
	}
	return cf, kf
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(fmt.Sprintf("testenv: serial: %v", err))
	}
	return n
}

// writePEM writes the block atomically (a temp file renamed over path).
func writePEM(path, typ string, der []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
