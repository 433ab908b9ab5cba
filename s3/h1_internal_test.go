package s3

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/internal/fanout"
)

func newTestPool(t *testing.T, h http.Handler) *h1Pool {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var d net.Dialer
	p := &h1Pool{addr: strings.TrimPrefix(srv.URL, "http://"), dial: d.DialContext,
		headerTimeout: 5 * time.Second, maxIdle: 4}
	t.Cleanup(p.close)
	return p
}

func getReq(t *testing.T, ctx context.Context, p *h1Pool) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+"/k", nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestADoneContextSendsNothing: a request whose context is already done
// fails with the context's error and never reaches the server, whether it
// goes through do or straight onto a kept-alive connection (where the
// context's AfterFunc, run on its own goroutine, races the deadline the
// round trip sets).
func TestADoneContextSendsNothing(t *testing.T) {
	var served atomic.Int64
	p := newTestPool(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.WriteString(w, "hello")
	}))
	resp, err := p.do(getReq(t, context.Background(), p), 0)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "hello" {
		t.Fatalf("body %q, %v", b, err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 300 {
		if _, err := p.do(getReq(t, done, p), 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("do #%d with a cancelled context: %v, want context.Canceled", i, err)
		}
		pc, err := p.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := p.roundTrip(done, pc, getReq(t, done, p), time.Time{})
		if !errors.Is(err, context.Canceled) {
			if err == nil {
				resp.Body.Close()
			}
			t.Fatalf("roundTrip #%d with a cancelled context: %v, want context.Canceled", i, err)
		}
		p.discard(pc)
	}
	if n := served.Load(); n != 1 {
		t.Errorf("server saw %d requests, want only the first", n)
	}
}

// TestCancellingDuringTheBodyFailsTheRead: a body the server stalls in
// is ended by cancelling the context, with the context's error.
func TestCancellingDuringTheBodyFailsTheRead(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	p := newTestPool(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "hello")
		w.(http.Flusher).Flush()
		<-release
	}))
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := p.do(getReq(t, ctx, p), 0)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	b, err := io.ReadAll(resp.Body)
	if !errors.Is(err, context.Canceled) || string(b) != "hello" {
		t.Errorf("read %q, %v; want the first 5 bytes and context.Canceled", b, err)
	}
}

// connCounter counts a client's open connections (its dial and Close,
// exactly; a server sees a close only some time later).
type connCounter struct {
	mu        sync.Mutex
	now, peak int
	total     int
}

type countedConn struct {
	net.Conn
	c    *connCounter
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.c.mu.Lock()
		c.c.now--
		c.c.mu.Unlock()
	})
	return c.Conn.Close()
}

func (c *connCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.now++
	c.total++
	c.peak = max(c.peak, c.now)
	c.mu.Unlock()
	return &countedConn{Conn: nc, c: c}, nil
}

// hammer runs callers × n GETs through p and fails on any error or on a
// caller still waiting when the deadline passes.
func hammer(t *testing.T, p *h1Pool, callers, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, err := range fanout.Run(callers, func(int) error {
		for range n {
			resp, err := p.do(getReq(t, ctx, p), 0)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil {
				return err
			}
		}
		return nil
	}) {
		t.Fatal(err)
	}
}

// TestMaxConnsQueuesCallers: with more callers than MaxConnsPerHost,
// callers wait for a connection and every one is served; at most
// maxConns connections are ever open. (A waiter once waited only for a
// connection to close, not for one to come back idle: it hung.)
func TestMaxConnsQueuesCallers(t *testing.T) {
	for _, keepAlive := range []bool{true, false} {
		t.Run(map[bool]string{true: "kept-alive connections come back", false: "the server closes every connection"}[keepAlive], func(t *testing.T) {
			var cc connCounter
			p := newTestPool(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !keepAlive {
					w.Header().Set("Connection", "close")
				}
				io.WriteString(w, "hello")
			}))
			p.dial, p.maxConns = cc.dial, 2
			hammer(t, p, 16, 40)
			cc.mu.Lock()
			peak, total := cc.peak, cc.total
			cc.mu.Unlock()
			if peak > 2 {
				t.Errorf("%d connections open at once, want at most 2", peak)
			}
			if keepAlive && total > 2 {
				t.Errorf("%d connections dialled for kept-alive traffic, want 2", total)
			}
			if !keepAlive && total < 16*40 {
				t.Errorf("%d connections for %d requests the server closed after", total, 16*40)
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			if len(p.waiters) != 0 || p.open > 2 {
				t.Errorf("pool left %d waiters, %d open", len(p.waiters), p.open)
			}
		})
	}
}

// TestAWaiterThatGivesUpLeavesNoTrace: a caller whose context ends while
// it waits for a connection fails with the context's error and takes no
// connection's place with it.
func TestAWaiterThatGivesUpLeavesNoTrace(t *testing.T) {
	p := newTestPool(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	p.maxConns = 1
	held, err := p.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("get at the limit: %v, want DeadlineExceeded", err)
	}
	p.discard(held)
	hammer(t, p, 4, 10)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiters) != 0 || p.open != 1 || len(p.idle) != 1 {
		t.Errorf("pool: %d waiters, %d open, %d idle; want 0, 1, 1", len(p.waiters), p.open, len(p.idle))
	}
}

// TestAnAttemptTimeoutBoundsTheWholeExchange: with an attempt bound, a
// server that stalls before its headers or in the middle of its body
// fails the call with os.ErrDeadlineExceeded once the bound passes.
func TestAnAttemptTimeoutBoundsTheWholeExchange(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	p := newTestPool(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("early") {
			<-release
			return
		}
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "hello")
		w.(http.Flusher).Flush()
		<-release
	}))
	req := getReq(t, context.Background(), p)
	req.URL.Opaque, req.URL.RawQuery = "/k", "early"
	start := time.Now()
	if _, err := p.do(req, 150*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("stall before the headers: %v, want os.ErrDeadlineExceeded", err)
	}
	resp, err := p.do(getReq(t, context.Background(), p), 150*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if !errors.Is(err, os.ErrDeadlineExceeded) || string(b) != "hello" {
		t.Errorf("stall in the body: read %q, %v; want 5 bytes and os.ErrDeadlineExceeded", b, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("two 150 ms attempts took %s", d)
	}
}

// TestAStaleConnectionIsRetriedWithTheWholeBody: a PUT sent on a kept-alive
// connection the server has closed meanwhile goes again on a new one, its
// body rebuilt from the start (the fast path writes a bytesBody directly
// on the first try and must not send a consumed one on the second).
func TestAStaleConnectionIsRetriedWithTheWholeBody(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	var d net.Dialer
	p := &h1Pool{addr: strings.TrimPrefix(srv.URL, "http://"), dial: d.DialContext, headerTimeout: 5 * time.Second, maxIdle: 4}
	t.Cleanup(p.close)
	f := &fastPath{scheme: "http", host: p.addr, base: "/bucket/"}
	put := func(body string) {
		t.Helper()
		resp, err := p.do(f.newRequest(t.Context(), http.MethodPut, "k", []byte(body)), 0)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	put("first body")
	srv.CloseClientConnections() // the pooled connection is now stale
	time.Sleep(50 * time.Millisecond)
	put("second body, sent twice if need be")
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != "first body" || got[1] != "second body, sent twice if need be" {
		t.Fatalf("server received %q", got)
	}
}
