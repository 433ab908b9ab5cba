package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TLSRedis is a real redis-server serving TLS on TLSAddr (and plain TCP
// on Addr, for setup and PING).
type TLSRedis struct {
	*Redis
	TLSAddr string
}

// StartTLSRedis starts a real redis-server with --tls-port, presenting
// certFile/keyFile and verifying client certificates against caFile;
// authClients is redis-server's --tls-auth-clients ("no", "optional",
// "yes"). It fails the test when redis-server is missing.
func StartTLSRedis(t testing.TB, certFile, keyFile, caFile, authClients string) *TLSRedis {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	r := RequireRealRedis(t,
		"--tls-port", fmt.Sprint(port),
		"--tls-cert-file", certFile, "--tls-key-file", keyFile,
		"--tls-ca-cert-file", caFile, "--tls-auth-clients", authClients)
	tr := &TLSRedis{Redis: r, TLSAddr: fmt.Sprintf("127.0.0.1:%d", port)}
	if err := WaitTCP(tr.TLSAddr, 10*time.Second); err != nil {
		t.Fatalf("testenv: redis TLS port: %v", err)
	}
	return tr
}

// StartTLSS3 starts a real versitygw (posix backend) serving HTTPS with
// certFile/keyFile; Endpoint is https://127.0.0.1:PORT. It fails the test
// when versitygw is missing.
func StartTLSS3(t testing.TB, certFile, keyFile string) *S3 {
	t.Helper()
	bin, ok := findServer("versitygw")
	if !ok {
		t.Fatalf("testenv: versitygw not found; install it in %s", ToolsDir)
	}
	dir, err := os.MkdirTemp("", "arsenal-s3tls-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	s := &S3{Region: "us-east-1", AccessKey: "AK" + strings.ToUpper(RandomHex(9)), SecretKey: RandomHex(20), Real: true, Dir: dir, bin: bin}
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	port, err := FreePort()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	s.Endpoint = "https://" + s.Addr
	p, err := startProcess(filepath.Join(dir, "versitygw.log"), bin,
		"--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--port", s.Addr, "--cert", certFile, "--key", keyFile, "--quiet",
		"posix", filepath.Join(dir, "root"))
	if err != nil {
		t.Fatalf("testenv: start versitygw: %v", err)
	}
	s.proc = p
	t.Cleanup(s.stop)
	if err := WaitTCP(s.Addr, 15*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "versitygw.log"))
		t.Fatalf("testenv: versitygw over TLS: %v: %s", err, log)
	}
	return s
}
