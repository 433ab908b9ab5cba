package componenttest_test

import (
	"bufio"
	"context"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/componenttest"
	"github.com/infra-arsenal/arsenal/stats"
)

// lineClient is a minimal reference Component: it sends a line to a TCP
// echo server and reads it back. It exists to prove the suite passes a
// correct component.
type lineClient struct {
	addr    string
	timeout time.Duration
	rec     *stats.Recorder
	mu      sync.Mutex
	closed  bool
}

func openLine(ctx context.Context, addr string, timeout time.Duration) (*lineClient, error) {
	v := arsenal.Validation{Component: "line"}
	v.Check(addr != "", "Addr", "is required")
	v.Check(timeout > 0, "Timeout", "must be positive")
	if err := v.Err(); err != nil {
		return nil, err
	}
	c := &lineClient{addr: addr, timeout: timeout, rec: stats.NewRecorder()}
	if err := c.roundTrip(ctx, "hello"); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *lineClient) isClosed() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.closed }

func (c *lineClient) roundTrip(ctx context.Context, msg string) (err error) {
	start := time.Now()
	defer func() { c.rec.Record("echo", time.Since(start), err) }()
	if c.isClosed() {
		return arsenal.Closed("line", "echo")
	}
	d := net.Dialer{Timeout: c.timeout}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return arsenal.Wrap("line", "echo", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := conn.Write([]byte(msg + "\n")); err != nil {
		return arsenal.Wrap("line", "echo", context.Cause(ctx))
	}
	if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return arsenal.Wrap("line", "echo", err)
	}
	return nil
}

func (c *lineClient) Kind() string                     { return "line" }
func (c *lineClient) Health(ctx context.Context) error { return c.roundTrip(ctx, "ping") }
func (c *lineClient) Stats() arsenal.Stats {
	return arsenal.Stats{Kind: "line", Target: c.addr, Ops: c.rec.Snapshot(), Since: c.rec.Since()}
}
func (c *lineClient) Close() error { c.mu.Lock(); c.closed = true; c.mu.Unlock(); return nil }

func echoServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err == nil && line != "block\n" {
					conn.Write([]byte(line))
				}
				if line == "block\n" {
					time.Sleep(3 * time.Second)
				}
			}()
		}
	}()
	return l.Addr().String()
}

func TestSuitePassesAReferenceComponent(t *testing.T) {
	addr := echoServer(t)
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := l.Addr().String()
	l.Close()
	componenttest.Run(t, componenttest.Harness{
		Kind: "line",
		Open: func(ctx context.Context) (arsenal.Component, error) { return openLine(ctx, addr, time.Second) },
		OpenInvalid: func(ctx context.Context) error {
			_, err := openLine(ctx, "", 0)
			return err
		},
		InvalidFields:      []string{"Addr", "Timeout"},
		UnreachableTimeout: time.Second,
		Unreachable: func(ctx context.Context) error {
			_, err := openLine(ctx, dead, time.Second)
			return err
		},
		Exercise: func(ctx context.Context, c arsenal.Component) error {
			return c.(*lineClient).roundTrip(ctx, "hi")
		},
		Blocking: func(ctx context.Context, c arsenal.Component) error {
			return c.(*lineClient).roundTrip(ctx, "block")
		},
	})
}

// fileLog is a minimal file-backed reference Component: it appends lines
// to a file. It proves the suite passes a correct local component through
// MissingPath, without Unreachable.
type fileLog struct {
	mu     sync.Mutex
	f      *os.File
	rec    *stats.Recorder
	closed bool
}

func openFileLog(ctx context.Context, path string) (*fileLog, error) {
	v := arsenal.Validation{Component: "filelog"}
	v.Check(path != "", "Path", "is required")
	if err := v.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, arsenal.Wrap("filelog", "open", err)
	}
	return &fileLog{f: f, rec: stats.NewRecorder()}, nil
}

func (l *fileLog) append(ctx context.Context, line string) (err error) {
	start := time.Now()
	defer func() { l.rec.Record("append", time.Since(start), err) }()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return arsenal.Closed("filelog", "append")
	}
	if err := ctx.Err(); err != nil {
		return arsenal.Wrap("filelog", "append", err)
	}
	_, err = l.f.WriteString(line + "\n")
	return arsenal.Wrap("filelog", "append", err)
}

func (l *fileLog) Kind() string                     { return "filelog" }
func (l *fileLog) Health(ctx context.Context) error { return l.append(ctx, "health") }
func (l *fileLog) Stats() arsenal.Stats {
	return arsenal.Stats{Kind: "filelog", Ops: l.rec.Snapshot(), Since: l.rec.Since()}
}
func (l *fileLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.f.Close()
}

func TestSuitePassesAFileBackedComponentThroughMissingPath(t *testing.T) {
	dir := t.TempDir()
	componenttest.Run(t, componenttest.Harness{
		Kind: "filelog",
		Open: func(ctx context.Context) (arsenal.Component, error) {
			return openFileLog(ctx, filepath.Join(dir, "log.txt"))
		},
		OpenInvalid: func(ctx context.Context) error {
			_, err := openFileLog(ctx, "")
			return err
		},
		InvalidFields: []string{"Path"},
		MissingPath: func(ctx context.Context) error {
			_, err := openFileLog(ctx, filepath.Join(dir, "no-such-dir", "log.txt"))
			return err
		},
		Exercise: func(ctx context.Context, c arsenal.Component) error {
			return c.(*fileLog).append(ctx, "hi")
		},
	})
}

// failing runs this test binary's test named name in a child process
// (where COMPONENTTEST_CHILD is set) and returns its output; the child
// must fail.
func failing(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v")
	cmd.Env = append(os.Environ(), "COMPONENTTEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "the suite passed a harness it must fail:\n%s", out)
	return string(out)
}

// TestMain keeps the TestChild tests (harnesses the suite must fail) out
// of a normal run: they run only in the child process failing starts.
func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("COMPONENTTEST_CHILD") == "" {
		if f := flag.Lookup("test.skip"); f != nil && f.Value.String() == "" {
			_ = f.Value.Set("^TestChild")
		}
	}
	os.Exit(m.Run())
}

// brokenHarness is the reference line component with one check made to
// misbehave by edit.
func brokenHarness(t *testing.T, edit func(h *componenttest.Harness)) componenttest.Harness {
	addr := echoServer(t)
	h := componenttest.Harness{
		Kind: "line",
		Open: func(ctx context.Context) (arsenal.Component, error) { return openLine(ctx, addr, time.Second) },
		OpenInvalid: func(ctx context.Context) error {
			_, err := openLine(ctx, "", 0)
			return err
		},
		InvalidFields: []string{"Addr", "Timeout"},
		Exercise: func(ctx context.Context, c arsenal.Component) error {
			return c.(*lineClient).roundTrip(ctx, "hi")
		},
	}
	edit(&h)
	return h
}

func TestChildUnreachableAnsweringNotFound(t *testing.T) {
	componenttest.Run(t, brokenHarness(t, func(h *componenttest.Harness) {
		h.Unreachable = func(ctx context.Context) error {
			return arsenal.Errorf(arsenal.NotFound, "line", "open", "no such file")
		}
	}))
}

func TestChildMissingPathAnsweringUnavailable(t *testing.T) {
	componenttest.Run(t, brokenHarness(t, func(h *componenttest.Harness) {
		h.MissingPath = func(ctx context.Context) error {
			return arsenal.Errorf(arsenal.Unavailable, "line", "open", "server down")
		}
	}))
}

func TestChildNeitherUnreachableNorMissingPath(t *testing.T) {
	componenttest.Run(t, brokenHarness(t, func(h *componenttest.Harness) {}))
}

func TestUnreachableAcceptsOnlyUnavailableOrDeadlineExceeded(t *testing.T) {
	out := failing(t, "TestChildUnreachableAnsweringNotFound")
	assert.Contains(t, out, "--- FAIL: TestChildUnreachableAnsweringNotFound/UnreachableFailsWithinTimeout")
	assert.Contains(t, out, "code = NotFound, want Unavailable or DeadlineExceeded")
}

func TestMissingPathAcceptsOnlyNotFound(t *testing.T) {
	out := failing(t, "TestChildMissingPathAnsweringUnavailable")
	assert.Contains(t, out, "--- FAIL: TestChildMissingPathAnsweringUnavailable/MissingPathFailsAsNotFound")
	assert.Contains(t, out, "code = Unavailable, want NotFound")
}

func TestAHarnessNeedsUnreachableOrMissingPath(t *testing.T) {
	out := failing(t, "TestChildNeitherUnreachableNorMissingPath")
	assert.Contains(t, out, "Harness needs Unreachable (a networked component), MissingPath (a file-backed one) or both")
}
