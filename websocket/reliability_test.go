package websocket_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/websocket"
)

// restartable is a WebSocket server on a fixed loopback port that can be
// stopped and started again.
type restartable struct {
	t    *testing.T
	addr string
	cfg  websocket.ServerConfig
	mu   sync.Mutex
	srv  *websocket.Server
	hs   *http.Server
}

func newRestartable(t *testing.T, cfg websocket.ServerConfig) *restartable {
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	r := &restartable{t: t, addr: fmt.Sprintf("127.0.0.1:%d", port), cfg: cfg}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) url() string { return "ws://" + r.addr + "/" }

func (r *restartable) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	srv, err := websocket.NewServer(r.cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv, r.hs = srv, &http.Server{Handler: srv}
	go func() { _ = r.hs.Serve(ln) }()
}

func (r *restartable) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hs != nil {
		_ = r.hs.Close()
		_ = r.srv.Close()
		r.hs = nil
	}
}

func (r *restartable) server() *websocket.Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.srv
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func subscribeHandler(c *websocket.Conn, _ websocket.MessageType, data []byte) {
	if s := string(data); strings.HasPrefix(s, "sub ") {
		_ = c.Subscribe(s[4:])
	}
}

func TestServerRestartReconnectsEveryClientAndResumesSubscriptions(t *testing.T) {
	rs := newRestartable(t, websocket.ServerConfig{OnMessage: subscribeHandler})
	const clients = 20
	policy := websocket.RetryPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond}
	var got atomic.Int64
	var reconnects atomic.Int64
	var rcs []*websocket.Reconnecting
	for i := 0; i < clients; i++ {
		rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{
			Config: websocket.Config{URL: rs.url()},
			Retry:  policy,
			OnMessage: func(_ websocket.MessageType, data []byte) {
				if string(data) == "after restart" {
					got.Add(1)
				}
			},
			OnOpen: func(_ *websocket.Conn, reconnected bool) {
				if reconnected {
					reconnects.Add(1)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if err := rc.SendOnConnect(websocket.Text, []byte("sub news")); err != nil {
			t.Fatal(err)
		}
		rcs = append(rcs, rc)
	}
	waitFor(t, "every client subscribed", 20*time.Second, func() bool { return rs.server().SubscriberCount("news") == clients })

	rs.stop()
	downAt := time.Now()
	time.Sleep(300 * time.Millisecond) // a few failed attempts while it is down
	rs.start()
	restartedAt := time.Now()
	waitFor(t, "every client back and subscribed", 20*time.Second, func() bool { return rs.server().SubscriberCount("news") == clients })
	back := time.Since(restartedAt)
	t.Logf("down %s; all %d clients back and resubscribed %s after the restart", restartedAt.Sub(downAt).Round(time.Millisecond), clients, back.Round(time.Millisecond))
	// The schedule caps a wait at MaxBackoff*(1+jitter) = 480 ms; allow a
	// generous margin for a loaded machine.
	if back > 480*time.Millisecond+5*time.Second {
		t.Errorf("clients took %s to return, far beyond the backoff cap", back)
	}
	if reconnects.Load() != clients {
		t.Errorf("%d reconnects, want %d", reconnects.Load(), clients)
	}
	if n, _ := rs.server().Publish("news", websocket.Text, []byte("after restart")); n != clients {
		t.Errorf("publish reached %d, want %d", n, clients)
	}
	waitFor(t, "the publish to arrive everywhere", 10*time.Second, func() bool { return got.Load() == clients })
	for _, rc := range rcs {
		if g := rc.ReconnectingStats().Reconnects; g != 1 {
			t.Errorf("Reconnects = %v, want 1", g)
		}
	}
}

func TestQueueModeDeliversMessagesSentWhileDisconnectedInOrder(t *testing.T) {
	var mu sync.Mutex
	var received []string
	rs := newRestartable(t, websocket.ServerConfig{OnMessage: func(_ *websocket.Conn, _ websocket.MessageType, data []byte) {
		mu.Lock()
		received = append(received, string(data))
		mu.Unlock()
	}})
	closed := make(chan struct{}, 4)
	rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config:                 websocket.Config{URL: rs.url()},
		Retry:                  websocket.RetryPolicy{InitialBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		QueueWhileDisconnected: true,
		QueueLimit:             500,
		OnClose:                func(error) { closed <- struct{}{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx := ctxT(t, 30*time.Second)
	if err := rc.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if err := rc.Send(ctx, websocket.Text, []byte(fmt.Sprintf("m-%03d", i))); err != nil {
				t.Fatalf("Send %d: %v", i, err)
			}
		}
	}
	send(0, 50)
	waitFor(t, "the first 50", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(received) == 50 })
	rs.stop()
	<-closed
	send(50, 250) // all queued while down
	if q := rc.ReconnectingStats().QueuedMessages; q != 200 {
		t.Fatalf("queued %v messages, want 200", q)
	}
	rs.start()
	send(250, 300) // queued or live, depending on timing
	if err := rc.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	send(300, 350)
	waitFor(t, "all 350 messages", 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(received) >= 350 })
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(received) != 350 {
		t.Fatalf("received %d messages, want exactly 350", len(received))
	}
	for i, m := range received {
		if want := fmt.Sprintf("m-%03d", i); m != want {
			t.Fatalf("message %d is %q, want %q (lost, duplicated or reordered)", i, m, want)
		}
	}
}

func TestImmediateModeFailsSendsWhileDisconnected(t *testing.T) {
	port, _ := testenv.FreePort()
	rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config: websocket.Config{URL: fmt.Sprintf("ws://127.0.0.1:%d/", port)},
		Retry:  websocket.RetryPolicy{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	err = rc.Send(context.Background(), websocket.Text, []byte("x"))
	if !arsenal.IsCode(err, arsenal.Unavailable) {
		t.Fatalf("Send while disconnected: %v, want Unavailable", err)
	}
	if err := rc.Health(context.Background()); !arsenal.IsCode(err, arsenal.Unavailable) {
		t.Fatalf("Health while disconnected: %v", err)
	}
}

func TestReconnectGivesUpAfterMaxAttemptsWithGrowingBackoff(t *testing.T) {
	port, _ := testenv.FreePort()
	var mu sync.Mutex
	var delays []time.Duration
	gaveUp := make(chan error, 1)
	rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config: websocket.Config{URL: fmt.Sprintf("ws://127.0.0.1:%d/", port)},
		Retry:  websocket.RetryPolicy{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Multiplier: 2, Jitter: -1, MaxAttempts: 5},
		OnReconnect: func(attempt int, d time.Duration, lastErr error) {
			mu.Lock()
			delays = append(delays, d)
			mu.Unlock()
			if !arsenal.IsCode(lastErr, arsenal.Unavailable) {
				t.Errorf("attempt %d failed with %v, want Unavailable", attempt, lastErr)
			}
		},
		OnGiveUp: func(err error) { gaveUp <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	select {
	case <-gaveUp:
	case <-time.After(20 * time.Second):
		t.Fatal("never gave up")
	}
	mu.Lock()
	defer mu.Unlock()
	want := []time.Duration{10, 20, 40, 40}
	if len(delays) != len(want) {
		t.Fatalf("delays %v, want %v ms", delays, want)
	}
	for i := range want {
		if delays[i] != want[i]*time.Millisecond {
			t.Errorf("delay %d = %s, want %s (no jitter, capped)", i, delays[i], want[i]*time.Millisecond)
		}
	}
	if err := rc.WaitConnected(context.Background()); !arsenal.IsCode(err, arsenal.Unavailable) {
		t.Errorf("WaitConnected after giving up: %v", err)
	}
}

func TestServerHoldsManyConcurrentConnections(t *testing.T) {
	var lim syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	n := 1000
	if need := uint64(2*n + 200); lim.Cur < need {
		t.Skipf("ulimit -n is %d; this test needs %d", lim.Cur, need)
	}
	if testing.Short() {
		n = 200
	}
	srv, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	ctx := ctxT(t, 120*time.Second)
	conns := make([]*websocket.Conn, n)
	var echoes atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := websocket.Dial(ctx, url, &websocket.Options{PingInterval: -1, DisableCompression: true,
				OnMessage: func(*websocket.Conn, websocket.MessageType, []byte) { echoes.Add(1) }})
			if err != nil {
				t.Error(err)
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	waitFor(t, "every connection registered", 30*time.Second, func() bool { return srv.ConnectionCount() == n })
	for _, c := range conns {
		if err := c.Send(websocket.Text, []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "an echo on every connection", 60*time.Second, func() bool { return echoes.Load() == int64(n) })
	for _, c := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_ = c.Close()
		}()
	}
	wg.Wait()
	waitFor(t, "every connection gone", 30*time.Second, func() bool { return srv.ConnectionCount() == 0 })
}
