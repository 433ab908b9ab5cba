// Package testenv starts real servers for Arsenal's tests: redis-server,
// versitygw (S3) and throwaway PostgreSQL databases, each on a free
// loopback port, never on the shared services' default ports.
//
// Shared servers start once per test binary on first use and stop when
// the binary exits (call Main from TestMain so they stop cleanly; they are
// also bound to the test process with a parent-death signal). Dedicated
// servers (StartRedis, StartS3) stop at the end of the test that started
// them.
//
// When a server binary is missing, testenv falls back to an embedded
// stand-in (miniredis; gofakes3) and says so on stderr. With
// ARSENAL_REQUIRE_REAL=1 a missing real server fails the test instead.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ToolsDir is where .ci/run installs pinned server binaries (versitygw).
const ToolsDir = "/opt/arsenal-tools/bin"

// RequireReal reports whether ARSENAL_REQUIRE_REAL=1: a missing real server
// then fails the test instead of falling back to an embedded stand-in.
func RequireReal() bool { return os.Getenv("ARSENAL_REQUIRE_REAL") == "1" }

// Main runs the tests of a package and stops every shared server after.
// Use it as: func TestMain(m *testing.M) { testenv.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	StopAll()
	os.Exit(code)
}

var (
	stopMu   sync.Mutex
	stoppers []func()
)

func atExit(f func()) {
	stopMu.Lock()
	defer stopMu.Unlock()
	stoppers = append(stoppers, f)
}

// StopAll stops every shared server, newest first. Main calls it.
func StopAll() {
	stopMu.Lock()
	fs := stoppers
	stoppers = nil
	stopMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// Binary finds an executable by name on PATH, in ToolsDir, or in GOPATH/bin.
func Binary(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	dirs := []string{ToolsDir}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// findServer locates a server binary; tests of the fallback path replace
// it to simulate a machine without the binary.
var findServer = Binary

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RandomHex returns n random bytes as hex, for names and credentials.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// Logf reports what the environment did on stderr, so a test log always
// says which servers were real and which were stand-ins.
// When ARSENAL_TESTENV_LOG names a file, the line is also appended there
// with the test binary's name, so a quiet `go test ./...` run can still show
// which servers every package used (.ci/run prints that file).
func Logf(format string, args ...any) {
	line := fmt.Sprintf("testenv: "+format+"\n", args...)
	fmt.Fprint(os.Stderr, line)
	if path := os.Getenv("ARSENAL_TESTENV_LOG"); path != "" {
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "%s: %s", filepath.Base(os.Args[0]), line)
			f.Close()
		}
	}
}

// WaitTCP waits until addr accepts TCP connections or the timeout passes.
func WaitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not accepting connections after %s: %w", addr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// process is a child server bound to the test process.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProcess(logPath string, name string, args ...string) (*process, error) {
	cmd := exec.Command(name, args...)
	bindToParent(cmd)
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr = f, f
		defer f.Close()
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	if p == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill sends SIGKILL and waits for the exit.
func (p *process) kill() {
	if p == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}
