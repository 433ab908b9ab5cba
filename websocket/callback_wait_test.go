package websocket

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// serveURL serves a Server with cfg (ServeHTTP) on a loopback httptest
// server and returns its ws:// URL.
func serveURL(t *testing.T, cfg ServerConfig) string {
	t.Helper()
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func echoConfig() ServerConfig {
	return ServerConfig{OnMessage: func(c *Conn, typ MessageType, data []byte) {
		_ = c.Write(context.Background(), typ, data)
	}}
}

// A Ping or Read made inside a callback, on the goroutine the read loop
// needs to deliver the pong or message, used to wait until its context
// ended (forever with context.Background). It now fails at once with
// FailedPrecondition, and the connection stays usable; the same calls
// from another goroutine while a callback runs still wait and succeed.

func TestPingFromOnMessageFailsFastAndTheConnectionLivesOn(t *testing.T) {
	url := serveURL(t, echoConfig())

	pinged := make(chan error, 1)
	cl, err := Dial(context.Background(), url, &Options{OnMessage: func(c *Conn, typ MessageType, data []byte) {
		if string(data) == "ping from here" {
			pinged <- c.Ping(context.Background()) // blocked forever before
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	if err := cl.Write(context.Background(), Text, []byte("ping from here")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-pinged:
		if !arsenal.IsCode(err, arsenal.FailedPrecondition) || !strings.Contains(err.Error(), "callback") {
			t.Fatalf("Ping from OnMessage: %v, want FailedPrecondition naming the callback", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ping from OnMessage still blocked after 5s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		t.Fatalf("Ping from the test goroutine afterwards: %v", err)
	}
}

func TestPingFromAnotherGoroutineDuringACallbackWaitsAndSucceeds(t *testing.T) {
	url := serveURL(t, echoConfig())
	inside, release := make(chan struct{}), make(chan struct{})
	cl, err := Dial(context.Background(), url, &Options{OnMessage: func(c *Conn, typ MessageType, data []byte) {
		close(inside)
		<-release
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	if err := cl.Write(context.Background(), Text, []byte("hold the loop")); err != nil {
		t.Fatal(err)
	}
	<-inside
	time.AfterFunc(200*time.Millisecond, func() { close(release) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		t.Fatalf("Ping from another goroutine while OnMessage ran: %v, want success once it returned", err)
	}
}

func TestPingFromServerOnOpenFailsFast(t *testing.T) {
	got := make(chan error, 1)
	url := serveURL(t, ServerConfig{
		OnOpen:    func(c *Conn) { got <- c.Ping(context.Background()) },
		OnMessage: func(*Conn, MessageType, []byte) {},
	})
	cl, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	select {
	case err := <-got:
		if !arsenal.IsCode(err, arsenal.FailedPrecondition) {
			t.Fatalf("Ping from OnOpen: %v, want FailedPrecondition", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ping from OnOpen still blocked after 5s")
	}
}

func TestReadFromAcceptOnOpenFailsFast(t *testing.T) {
	got := make(chan error, 1)
	srv, err := NewServer(ServerConfig{OnOpen: func(c *Conn) {
		_, _, err := c.Read(context.Background())
		got <- err
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	url, accepted, conns := acceptServer(t, srv)
	cl, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	if err := cl.Write(context.Background(), Text, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if !arsenal.IsCode(err, arsenal.FailedPrecondition) {
			t.Fatalf("Read from Accept's OnOpen: %v, want FailedPrecondition", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read from OnOpen still blocked after 5s")
	}
	within(t, accepted, 5*time.Second, "Accept returned")
	sc := <-conns
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, data, err := sc.Read(ctx); err != nil || string(data) != "hello" {
		t.Fatalf("Read after Accept returned: %q, %v; want the message", data, err)
	}
}

// A resume whose greeting (SendOnConnect) write fails must not leave the
// failed connection as the current one: Conn returned it, dead, for the
// whole back-off before the next attempt.
func TestAFailedResumeLeavesNoCurrentConn(t *testing.T) {
	c, err := Dial(context.Background(), serveURL(t, echoConfig()), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close() // every write on it now fails
	r := &Reconnecting{ctx: context.Background(), greet: []queued{{Text, []byte("subscribe")}}, waiters: make(chan struct{})}
	if r.resume(c, true) {
		t.Fatal("resume on a closed connection reported success")
	}
	if got := r.Conn(); got != nil {
		t.Fatalf("Conn() after a failed resume = %p (the dead connection), want nil", got)
	}
}
