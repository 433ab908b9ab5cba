package componenttest_test

import (
	"bufio"
	"context"
	"net"
	"sync"
	"testing"
	"time"

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
	if err != nil {
		t.Fatal(err)
	}
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
	l, _ := net.Listen("tcp", "127.0.0.1:0")
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
