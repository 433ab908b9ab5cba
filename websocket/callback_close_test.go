package websocket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
)

// within fails the test unless ch is closed or receives within d.
func within[T any](t *testing.T, ch <-chan T, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("%s: not within %s", what, d)
	}
}

// bounded runs f, giving up on it after d so that a cleanup stuck on the
// bug under test makes the test fail instead of hanging the binary.
func bounded(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Errorf("%s: still blocked after %s", what, d)
	}
}

// acceptServer serves srv.Accept on a loopback httptest server. Each
// connection Accept returns is sent on conns; accepted is signalled
// when an Accept call returns.
func acceptServer(t *testing.T, srv *Server) (url string, accepted chan error, conns chan *Conn) {
	t.Helper()
	accepted = make(chan error, 16)
	conns = make(chan *Conn, 16)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := srv.Accept(w, r)
		if err == nil {
			conns <- c
		}
		accepted <- err
	}))
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http"), accepted, conns
}

// Proves that Close called inside OnOpen on a connection from
// Server.Accept returns at once instead of hanging (the read loop had not
// started, so nothing would ever close done): Accept returns, the dialing
// client receives the 1000 close, and the closing handshake completes
// through the read loop well before the close timeout.
func TestAcceptOnOpenCloseReturns(t *testing.T) {
	srv, err := NewServer(ServerConfig{
		CloseTimeout: 10 * time.Second, // a handshake done in < 3 s did not wait this out
		OnOpen:       func(c *Conn) { _ = c.Close() },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bounded(t, 3*time.Second, "Server.Close", func() { _ = srv.Close() }) })
	url, accepted, conns := acceptServer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cl, err := Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	within(t, accepted, 3*time.Second, "Accept with OnOpen calling Close returned")
	sc := <-conns
	within(t, cl.Done(), 3*time.Second, "client saw the server's close")
	var ce *CloseError
	if !errors.As(cl.Err(), &ce) || ce.Code != StatusNormalClosure || !ce.Remote {
		t.Errorf("client ended with %v, want a 1000 close from the peer", cl.Err())
	}
	within(t, sc.Done(), 3*time.Second, "server connection finished its closing handshake")
	if err := sc.Write(ctx, Text, []byte("x")); !arsenal.IsCode(err, arsenal.FailedPrecondition) {
		t.Errorf("Write on the connection closed in OnOpen: %v, want FailedPrecondition", err)
	}
	if n := srv.ConnectionCount(); n != 0 {
		t.Errorf("server still counts %d connections", n)
	}
}

// Proves that Server.Close while an Accept connection's OnOpen is still
// running returns promptly rather than blocking until OnOpen returns (or
// forever), and that the connection is closed with 1001 once OnOpen ends.
func TestServerCloseDuringSlowAcceptOnOpen(t *testing.T) {
	inOpen := make(chan struct{})
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseOpen := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseOpen() // unblocks OnOpen when the test fails early
	srv, err := NewServer(ServerConfig{
		CloseTimeout: 10 * time.Second,
		OnOpen: func(*Conn) {
			close(inOpen)
			<-release
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	url, accepted, conns := acceptServer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	within(t, inOpen, 3*time.Second, "OnOpen started")

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	within(t, closed, 3*time.Second, "Server.Close during a slow OnOpen returned")

	releaseOpen()
	within(t, accepted, 3*time.Second, "Accept returned after OnOpen")
	sc := <-conns
	within(t, cl.Done(), 3*time.Second, "client saw the server's close")
	var ce *CloseError
	if !errors.As(cl.Err(), &ce) || ce.Code != StatusGoingAway {
		t.Errorf("client ended with %v, want a 1001 close", cl.Err())
	}
	within(t, sc.Done(), 3*time.Second, "server connection finished its closing handshake")
}

// rcRef hands a *Reconnecting to its own callbacks without a data race:
// they may run before NewReconnecting has returned.
type rcRef struct {
	ready chan struct{}
	r     *Reconnecting
}

func newRCRef() *rcRef               { return &rcRef{ready: make(chan struct{})} }
func (p *rcRef) set(r *Reconnecting) { p.r = r; close(p.ready) }
func (p *rcRef) get() *Reconnecting  { <-p.ready; return p.r }

// Proves that r.Close called from OnGiveUp returns (it used to wait for
// the run goroutine, which was the one calling OnGiveUp) and that the run
// goroutine then ends.
func TestReconnectingCloseFromOnGiveUp(t *testing.T) {
	port, err := testenv.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	ref := newRCRef()
	closeReturned := make(chan struct{})
	r, err := NewReconnecting(ReconnectConfig{
		Config: Config{URL: fmt.Sprintf("ws://127.0.0.1:%d/", port)},
		Retry:  RetryPolicy{MaxAttempts: 1},
		OnGiveUp: func(error) {
			_ = ref.get().Close()
			close(closeReturned)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref.set(r)
	defer r.Close()
	within(t, closeReturned, 2*time.Second, "Close called from OnGiveUp returned")
	within(t, r.done, 2*time.Second, "run goroutine ended")
	if err := r.WaitConnected(context.Background()); !arsenal.IsCode(err, arsenal.FailedPrecondition) {
		t.Errorf("WaitConnected after Close: %v, want FailedPrecondition (closed)", err)
	}
}

// Proves, for each callback that runs on the run goroutine (and for
// OnMessage, which runs on the connection's), that r.Close called from it
// returns promptly, that the run goroutine ends (done is
// closed), that the connection it was on is closed at the server, and that
// no reconnect happens afterwards.
func TestReconnectingCloseFromCallbacks(t *testing.T) {
	cases := []struct {
		name string
		// hangUp makes the server close every connection as soon as it
		// opens, so that OnClose and OnReconnect run.
		hangUp bool
		set    func(rc *ReconnectConfig, closeR func())
	}{
		{"OnOpen", false, func(rc *ReconnectConfig, closeR func()) {
			rc.OnOpen = func(*Conn, bool) { closeR() }
		}},
		{"OnClose", true, func(rc *ReconnectConfig, closeR func()) {
			rc.OnClose = func(error) { closeR() }
		}},
		{"OnReconnect", true, func(rc *ReconnectConfig, closeR func()) {
			rc.OnReconnect = func(int, time.Duration, error) { closeR() }
		}},
		// OnMessage runs on the connection's read loop, not on run: Close
		// waits for run there, which must not wait for the read loop. This
		// case passed before the fix too; it guards the documented promise.
		{"OnMessage", false, func(rc *ReconnectConfig, closeR func()) {
			rc.OnMessage = func(MessageType, []byte) { closeR() }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scfg := ServerConfig{OnOpen: func(c *Conn) { _ = c.Write(context.Background(), Text, []byte("hello")) }}
			if tc.hangUp {
				scfg.OnOpen = func(c *Conn) { _ = c.Close() }
			}
			srv, err := NewServer(scfg)
			if err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(srv)
			t.Cleanup(func() {
				bounded(t, 3*time.Second, "Server.Close", func() { _ = srv.Close() })
				hs.Close()
			})

			ref := newRCRef()
			calls := make(chan struct{}, 16)
			closeReturned := make(chan struct{}, 16)
			cfg := ReconnectConfig{
				Config: Config{URL: "ws" + strings.TrimPrefix(hs.URL, "http")},
				Retry:  RetryPolicy{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond},
			}
			tc.set(&cfg, func() {
				calls <- struct{}{}
				_ = ref.get().Close()
				closeReturned <- struct{}{}
			})
			r, err := NewReconnecting(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ref.set(r)
			defer r.Close()

			within(t, closeReturned, 2*time.Second, "Close called from "+tc.name+" returned")
			within(t, r.done, 5*time.Second, "run goroutine ended")
			connects := r.connects.Load()
			time.Sleep(200 * time.Millisecond) // ten backoffs: time enough to redial if it were going to
			if got := r.connects.Load(); got != connects || got != 1 {
				t.Errorf("connected %d times (%d when Close returned), want exactly 1", got, connects)
			}
			if n := len(calls); n != 1 {
				t.Errorf("%s called %d times, want once (never again after Close)", tc.name, n)
			}
			if c := r.Conn(); c != nil {
				t.Errorf("Conn() = %v after Close, want nil", c)
			}
			deadline := time.Now().Add(3 * time.Second)
			for srv.ConnectionCount() != 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := srv.ConnectionCount(); n != 0 {
				t.Errorf("server still has %d connections: the client's was not closed", n)
			}
		})
	}
}
