package security

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// TLS describes a TLS configuration. Client and Server build a
// *tls.Config from it with safe defaults: TLS 1.2 at least, certificate
// verification on, the system roots plus extra CAs, Go's default (AEAD,
// forward-secret) cipher suites. The zero TLS gives a client config that
// verifies the server against the system roots.
type TLS struct {
	// ServerName is the name the client checks the server's certificate
	// against (and sends as SNI). Default: the host the client dials.
	ServerName string
	// CAFiles are PEM files of CAs trusted in addition to the system roots
	// (client) — a private CA, a test CA.
	CAFiles []string
	// CAPEM is PEM CA certificates trusted like CAFiles.
	CAPEM []byte
	// NoSystemRoots trusts only CAFiles and CAPEM.
	NoSystemRoots bool
	// CertFile and KeyFile are the PEM certificate chain and key this side
	// presents: the server's certificate, or the client's for mutual TLS.
	// Both files are watched: a handshake after either changes (renewed by
	// cert-manager, certbot ...) uses the new pair. A pair that fails to
	// load keeps the last good one in use.
	CertFile, KeyFile string
	// ClientCAFiles, on a server, require every client to present a
	// certificate signed by one of these CAs (mutual TLS).
	ClientCAFiles []string
	// MinVersion is the lowest TLS version accepted: tls.VersionTLS12
	// (the default) or tls.VersionTLS13. Lower versions are refused.
	MinVersion uint16
	// InsecureSkipVerify turns certificate verification off. For tests
	// against throwaway servers only; Check reports it.
	InsecureSkipVerify bool
	// ReloadCheck is the least time between two looks at CertFile and
	// KeyFile (two stat calls). Default 0: every handshake looks.
	ReloadCheck time.Duration
}

func tlsErr(op, format string, args ...any) error {
	return arsenal.Errorf(arsenal.InvalidArgument, Kind, op, format, args...)
}

func (t TLS) base(op string) (*tls.Config, error) {
	minV := t.MinVersion
	switch minV {
	case 0:
		minV = tls.VersionTLS12
	case tls.VersionTLS12, tls.VersionTLS13:
	default:
		return nil, tlsErr(op, "MinVersion %s is refused: TLS 1.2 is the lowest", tls.VersionName(minV))
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, tlsErr(op, "CertFile and KeyFile go together")
	}
	return &tls.Config{MinVersion: minV, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}, nil
}

// Client builds a client config. A CA file that cannot be read or holds
// no certificate, or a certificate pair that does not load, is an
// InvalidArgument error.
func (t TLS) Client() (*tls.Config, error) {
	const op = "tls client"
	cfg, err := t.base(op)
	if err != nil {
		return nil, err
	}
	roots, err := t.pool(op, t.CAFiles, t.CAPEM, !t.NoSystemRoots)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = roots
	if t.CertFile != "" {
		w, err := newCertWatcher(op, t.CertFile, t.KeyFile, t.ReloadCheck)
		if err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return w.get() }
	}
	return cfg, nil
}

// Server builds a server config; CertFile and KeyFile are required.
func (t TLS) Server() (*tls.Config, error) {
	const op = "tls server"
	cfg, err := t.base(op)
	if err != nil {
		return nil, err
	}
	if t.CertFile == "" {
		return nil, tlsErr(op, "a server needs CertFile and KeyFile")
	}
	w, err := newCertWatcher(op, t.CertFile, t.KeyFile, t.ReloadCheck)
	if err != nil {
		return nil, err
	}
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return w.get() }
	if len(t.ClientCAFiles) > 0 {
		pool, err := t.pool(op, t.ClientCAFiles, nil, false)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

func (t TLS) pool(op string, files []string, pem []byte, system bool) (*x509.CertPool, error) {
	if len(files) == 0 && len(pem) == 0 {
		if system {
			return nil, nil // crypto/tls uses the system roots
		}
		if t.NoSystemRoots {
			return nil, tlsErr(op, "NoSystemRoots needs CAFiles or CAPEM")
		}
	}
	pool := x509.NewCertPool()
	if system {
		if sp, err := x509.SystemCertPool(); err == nil && sp != nil {
			pool = sp
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, tlsErr(op, "read CA file: %v", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, tlsErr(op, "CA file %s holds no PEM certificate", f)
		}
	}
	if len(pem) > 0 && !pool.AppendCertsFromPEM(pem) {
		return nil, tlsErr(op, "CAPEM holds no PEM certificate")
	}
	return pool, nil
}

// certWatcher serves a certificate pair, loading it again when either
// file's size or modification time changes.
type certWatcher struct {
	certFile, keyFile string
	every             time.Duration

	mu       sync.Mutex
	cur      *tls.Certificate
	stamp    [2]fileStamp
	lastLook time.Time
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// racyWindow is how long after its modification a file's stamp is not
// trusted: file systems keep modification times in coarse ticks, so two
// writes of the same size in one tick leave the same stamp. A file
// changed that recently is read again (as git treats "racily clean"
// files).
const racyWindow = 2 * time.Second

// unchanged reports whether a file whose stamp is now st is the one read
// at old.
func unchanged(st, old fileStamp) bool {
	return st == old && time.Since(st.mod) > racyWindow
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

func newCertWatcher(op, certFile, keyFile string, every time.Duration) (*certWatcher, error) {
	w := &certWatcher{certFile: certFile, keyFile: keyFile, every: every}
	if err := w.load(); err != nil {
		return nil, tlsErr(op, "load certificate pair: %v", err)
	}
	return w, nil
}

func (w *certWatcher) load() error {
	cs, err := stampOf(w.certFile)
	if err != nil {
		return err
	}
	ks, err := stampOf(w.keyFile)
	if err != nil {
		return err
	}
	c, err := tls.LoadX509KeyPair(w.certFile, w.keyFile)
	if err != nil {
		return err
	}
	w.cur, w.stamp = &c, [2]fileStamp{cs, ks}
	return nil
}

func (w *certWatcher) get() (*tls.Certificate, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if w.every > 0 && now.Sub(w.lastLook) < w.every {
		return w.cur, nil
	}
	w.lastLook = now
	cs, err1 := stampOf(w.certFile)
	ks, err2 := stampOf(w.keyFile)
	if err1 == nil && err2 == nil && !(unchanged(cs, w.stamp[0]) && unchanged(ks, w.stamp[1])) {
		// A half-written pair fails to load: keep the last good one,
		// and look again on the next handshake.
		_ = w.load()
	}
	return w.cur, nil
}
