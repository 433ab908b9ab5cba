package s3

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
	resp, err := p.do(getReq(t, context.Background(), p))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "hello" {
		t.Fatalf("body %q, %v", b, err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 300 {
		if _, err := p.do(getReq(t, done, p)); !errors.Is(err, context.Canceled) {
			t.Fatalf("do #%d with a cancelled context: %v, want context.Canceled", i, err)
		}
		pc, err := p.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := p.roundTrip(done, pc, getReq(t, done, p))
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
	resp, err := p.do(getReq(t, ctx, p))
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	b, err := io.ReadAll(resp.Body)
	if !errors.Is(err, context.Canceled) || string(b) != "hello" {
		t.Errorf("read %q, %v; want the first 5 bytes and context.Canceled", b, err)
	}
}
