package websocket_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/websocket"
)

func TestErrorsTranslateToCodes(t *testing.T) {
	status := func(code int) string {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Reason", "test")
			http.Error(w, "no", code)
		}))
		t.Cleanup(hs.Close)
		return "ws" + strings.TrimPrefix(hs.URL, "http")
	}
	listener := func(t *testing.T, serve func(net.Conn)) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				nc, err := ln.Accept()
				if err != nil {
					return
				}
				go serve(nc)
			}
		}()
		return "ws://" + ln.Addr().String() + "/"
	}
	closeWith := func(code websocket.StatusCode) string {
		_, url := startServer(t, websocket.ServerConfig{OnOpen: func(c *websocket.Conn) { _ = c.CloseWith(code, "bye") }})
		return url
	}
	port, _ := testenv.FreePort()
	tests := []struct {
		name string
		url  func(t *testing.T) string
		opts websocket.Options
		read bool // the error comes from Read after a successful Dial
		want arsenal.Code
	}{
		{name: "401 is Unauthenticated", url: func(*testing.T) string { return status(401) }, want: arsenal.Unauthenticated},
		{name: "403 is PermissionDenied", url: func(*testing.T) string { return status(403) }, want: arsenal.PermissionDenied},
		{name: "404 is NotFound", url: func(*testing.T) string { return status(404) }, want: arsenal.NotFound},
		{name: "429 is ResourceExhausted", url: func(*testing.T) string { return status(429) }, want: arsenal.ResourceExhausted},
		{name: "503 is Unavailable", url: func(*testing.T) string { return status(503) }, want: arsenal.Unavailable},
		{name: "200 (not a WebSocket server) is Unimplemented", url: func(*testing.T) string { return status(200) }, want: arsenal.Unimplemented},
		{name: "refused connection is Unavailable", url: func(*testing.T) string { return fmt.Sprintf("ws://127.0.0.1:%d/", port) }, want: arsenal.Unavailable},
		{name: "reset connection is Unavailable", url: func(t *testing.T) string {
			return listener(t, func(nc net.Conn) {
				_, _ = bufio.NewReader(nc).ReadString('\n')
				_ = nc.(*net.TCPConn).SetLinger(0)
				nc.Close()
			})
		}, want: arsenal.Unavailable},
		{name: "silent server is DeadlineExceeded", url: func(t *testing.T) string {
			return listener(t, func(nc net.Conn) { _, _ = io.Copy(io.Discard, nc) })
		}, opts: websocket.Options{HandshakeTimeout: 300 * time.Millisecond}, want: arsenal.DeadlineExceeded},
		{name: "close 1000 is Unavailable", url: func(*testing.T) string { return closeWith(1000) }, read: true, want: arsenal.Unavailable},
		{name: "close 1001 is Unavailable", url: func(*testing.T) string { return closeWith(1001) }, read: true, want: arsenal.Unavailable},
		{name: "close 1008 is PermissionDenied", url: func(*testing.T) string { return closeWith(1008) }, read: true, want: arsenal.PermissionDenied},
		{name: "close 1009 is ResourceExhausted", url: func(*testing.T) string { return closeWith(1009) }, read: true, want: arsenal.ResourceExhausted},
		{name: "close 1011 is Internal", url: func(*testing.T) string { return closeWith(1011) }, read: true, want: arsenal.Internal},
		{name: "close 1013 is Unavailable", url: func(*testing.T) string { return closeWith(1013) }, read: true, want: arsenal.Unavailable},
		{name: "close 3000 is Unauthenticated", url: func(*testing.T) string { return closeWith(3000) }, read: true, want: arsenal.Unauthenticated},
		{name: "close 4000 is Unknown", url: func(*testing.T) string { return closeWith(4000) }, read: true, want: arsenal.Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t, 15*time.Second)
			c, err := websocket.Dial(ctx, tc.url(t), &tc.opts)
			if tc.read {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_, _, err = c.Read(ctx)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if got := arsenal.CodeOf(err); got != tc.want {
				t.Errorf("code %v, want %v (%v)", got, tc.want, err)
			}
			var ae *arsenal.Error
			if !errorsAsArsenal(err, &ae) || ae.Component != "websocket" {
				t.Errorf("not an *arsenal.Error of websocket: %#v", err)
			}
		})
	}
	t.Run("a refused handshake keeps its status and headers", func(t *testing.T) {
		_, err := websocket.Dial(ctxT(t, 10*time.Second), status(401), nil)
		var he *websocket.HandshakeError
		if !asHandshake(err, &he) || he.StatusCode != 401 || he.Header.Get("X-Reason") != "test" {
			t.Fatalf("handshake error %+v", he)
		}
	})
	t.Run("a cancelled dial is Canceled and not retryable", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := websocket.Dial(ctx, status(200), nil)
		if cl := arsenal.Classify(err); cl.Code != arsenal.Canceled || cl.Retryable {
			t.Fatalf("classification %+v of %v", cl, err)
		}
	})
}

// connectProxy is a minimal HTTP CONNECT proxy requiring Basic auth.
func connectProxy(t *testing.T, user, pass string) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var tunnels atomic.Int64
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				req, err := http.ReadRequest(br)
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				if req.Header.Get("Proxy-Authorization") != want {
					fmt.Fprint(nc, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n")
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					fmt.Fprint(nc, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer up.Close()
				tunnels.Add(1)
				fmt.Fprint(nc, "HTTP/1.1 200 Connection Established\r\n\r\n")
				go func() { _, _ = io.Copy(up, br); up.(*net.TCPConn).CloseWrite() }()
				_, _ = io.Copy(nc, up)
			}()
		}
	}()
	return ln.Addr().String(), &tunnels
}

func TestDialThroughConnectProxyWithBasicAuth(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo, Compression: true})
	addr, tunnels := connectProxy(t, "proxyuser", "pr0xy")
	ctx := ctxT(t, 10*time.Second)
	c, err := websocket.Dial(ctx, url, &websocket.Options{Proxy: "http://proxyuser:pr0xy@" + addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteText(ctx, "via proxy"); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "via proxy" {
		t.Fatalf("echo through proxy: %q %v", got, err)
	}
	if tunnels.Load() != 1 {
		t.Errorf("proxy opened %d tunnels, want 1", tunnels.Load())
	}
	_, err = websocket.Dial(ctx, url, &websocket.Options{Proxy: "http://proxyuser:wrong@" + addr})
	var he *websocket.HandshakeError
	if !arsenal.IsCode(err, arsenal.Unauthenticated) || !asHandshake(err, &he) || !he.Proxy || he.StatusCode != 407 {
		t.Fatalf("wrong proxy password: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error leaks the proxy password: %v", err)
	}
}

func TestServerIdleTimeoutAndPings(t *testing.T) {
	t.Run("a client that answers pings stays connected", func(t *testing.T) {
		_, url := startServer(t, websocket.ServerConfig{IdleTimeout: 600 * time.Millisecond})
		ctx := ctxT(t, 10*time.Second)
		c, err := websocket.Dial(ctx, url, &websocket.Options{PingInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		select {
		case <-c.Done():
			t.Fatalf("closed although it answered pings: %v", c.Err())
		case <-time.After(2 * time.Second):
		}
	})
	t.Run("a silent peer is closed with 1001 after the idle timeout", func(t *testing.T) {
		_, url := startServer(t, websocket.ServerConfig{IdleTimeout: 400 * time.Millisecond, DisablePings: true})
		nc, br := rawClient(t, url, "")
		start := time.Now()
		expectClose(t, br, 1001)
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("closed after %s, before the idle timeout", d)
		}
		_ = nc
	})
	t.Run("server pings reach a silent peer", func(t *testing.T) {
		_, url := startServer(t, websocket.ServerConfig{IdleTimeout: 400 * time.Millisecond})
		_, br := rawClient(t, url, "")
		f, err := readRawFrame(br)
		if err != nil || f.op != opPing {
			t.Fatalf("first frame %+v %v, want a ping", f, err)
		}
	})
}

func TestBackpressurePolicies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy websocket.BackpressurePolicy
	}{
		{name: "drop refuses messages and keeps the connection", policy: websocket.BackpressureDrop},
		{name: "close drops the slow connection", policy: websocket.BackpressureClose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conns := make(chan *websocket.Conn, 1)
			_, url := startServer(t, websocket.ServerConfig{
				BackpressureLimit: 256 << 10, BackpressurePolicy: tc.policy,
				OnOpen: func(c *websocket.Conn) { conns <- c },
			})
			// A client that never reads: its socket buffers fill up.
			nc, _ := rawClient(t, url, "")
			defer nc.Close()
			sc := <-conns
			msg := make([]byte, 64<<10)
			var err error
			for i := 0; i < 2000 && err == nil; i++ {
				err = sc.Send(websocket.Binary, msg)
			}
			if !arsenal.IsCode(err, arsenal.ResourceExhausted) {
				t.Fatalf("Send past the limit: %v, want ResourceExhausted", err)
			}
			// The queue never passes the limit (plus the one message that
			// reached it). It may drain below it, to zero even: after the
			// refusal the writer can still hand queued bytes to a socket
			// buffer that the kernel grows.
			if q := sc.Traffic().QueuedBytes; tc.policy == websocket.BackpressureDrop && q > 256<<10+70<<10 {
				t.Errorf("queued %d bytes, want within the 256 KiB limit", q)
			}
			select {
			case <-sc.Done():
				if tc.policy == websocket.BackpressureDrop {
					t.Error("drop policy closed the connection")
				}
			case <-time.After(500 * time.Millisecond):
				if tc.policy == websocket.BackpressureClose {
					t.Error("close policy left the connection open")
				}
			}
		})
	}
}

func TestTopicsPublishToSubscribersExceptSender(t *testing.T) {
	srv, url := startServer(t, websocket.ServerConfig{
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			s := string(data)
			switch {
			case strings.HasPrefix(s, "sub "):
				_ = c.Subscribe(s[4:])
				_ = c.WriteText(context.Background(), "subscribed "+s[4:])
			case strings.HasPrefix(s, "unsub "):
				_ = c.Unsubscribe(s[6:])
				_ = c.WriteText(context.Background(), "unsubscribed")
			case strings.HasPrefix(s, "pub "):
				parts := strings.SplitN(s[4:], " ", 2)
				_, _ = c.Publish(parts[0], typ, []byte(parts[1]))
			}
		},
	})
	ctx := ctxT(t, 20*time.Second)
	var clients []*websocket.Conn
	for i := 0; i < 3; i++ {
		c, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
		_ = c.WriteText(ctx, "sub news")
		if _, got, err := c.Read(ctx); err != nil || string(got) != "subscribed news" {
			t.Fatal(string(got), err)
		}
	}
	if n := srv.SubscriberCount("news"); n != 3 {
		t.Fatalf("SubscriberCount = %d, want 3", n)
	}
	if n := srv.ConnectionCount(); n != 3 {
		t.Fatalf("ConnectionCount = %d, want 3", n)
	}
	_ = clients[0].WriteText(ctx, "pub news hello")
	for _, c := range clients[1:] {
		if _, got, err := c.Read(ctx); err != nil || string(got) != "hello" {
			t.Fatalf("subscriber got %q %v", got, err)
		}
	}
	n, err := srv.Publish("news", websocket.Text, []byte("from server"))
	if err != nil || n != 3 {
		t.Fatalf("server Publish reached %d (%v), want 3", n, err)
	}
	for i, c := range clients {
		if _, got, err := c.Read(ctx); err != nil || string(got) != "from server" {
			t.Fatalf("client %d got %q %v (the sender must not get its own publish)", i, got, err)
		}
	}
	_ = clients[2].WriteText(ctx, "unsub news")
	if _, got, _ := clients[2].Read(ctx); string(got) != "unsubscribed" {
		t.Fatalf("got %q", got)
	}
	clients[1].Close()
	deadline := time.Now().Add(5 * time.Second)
	for srv.SubscriberCount("news") != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.SubscriberCount("news"); n != 1 {
		t.Errorf("after one unsubscribe and one close, %d subscribers, want 1", n)
	}
}

func TestServerDefaultsMatchBun(t *testing.T) {
	srv, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	ctx := ctxT(t, 30*time.Second)
	c, err := websocket.Dial(ctx, url, &websocket.Options{ReadLimit: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Compression().Enabled {
		t.Error("server compression is on by default; Bun.serve's is off")
	}
	big := make([]byte, 16<<20)
	if err := c.Write(ctx, websocket.Binary, big); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || len(got) != len(big) {
		t.Fatalf("16 MiB message: %d bytes, %v", len(got), err)
	}
	_ = c.Write(ctx, websocket.Binary, make([]byte, 16<<20+1))
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != 1009 || !arsenal.IsCode(err, arsenal.ResourceExhausted) {
		t.Fatalf("16 MiB + 1: %v, want close 1009", err)
	}
	if cl := arsenal.Classify(err); cl.Retryable {
		t.Errorf("a too-big message is classified retryable")
	}
	if g := srv.ServerStats().UpgradesAccepted; g != 1 {
		t.Errorf("UpgradesAccepted = %v", g)
	}
}

func TestUpgradeHookRefusesWithStatusOfItsCode(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			switch r.URL.Query().Get("who") {
			case "anon":
				return nil, http.Header{"Www-Authenticate": {"Bearer"}}, arsenal.Errorf(arsenal.Unauthenticated, "app", "auth", "no token")
			case "mallory":
				return nil, nil, arsenal.Errorf(arsenal.PermissionDenied, "app", "auth", "banned")
			}
			return nil, nil, nil
		},
	})
	for _, tc := range []struct {
		name, who string
		want      arsenal.Code
	}{
		{name: "missing credentials", who: "anon", want: arsenal.Unauthenticated},
		{name: "forbidden user", who: "mallory", want: arsenal.PermissionDenied},
		{name: "accepted user", who: "alice", want: arsenal.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := websocket.Dial(ctxT(t, 10*time.Second), url+"/?who="+tc.who, nil)
			if got := arsenal.CodeOf(err); got != tc.want {
				t.Fatalf("code %v, want %v (%v)", got, tc.want, err)
			}
			if c != nil {
				c.Close()
			}
		})
	}
}

func TestAcceptGivesAConnectionToRead(t *testing.T) {
	srv, err := websocket.NewServer(websocket.ServerConfig{Subprotocols: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var wg sync.WaitGroup
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := srv.Accept(w, r)
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			ctx := context.Background()
			for {
				typ, data, err := c.Read(ctx)
				if err != nil {
					return
				}
				_ = c.Write(ctx, typ, append([]byte("re: "), data...))
			}
		}()
	}))
	defer hs.Close()
	ctx := ctxT(t, 10*time.Second)
	c, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.Options{Subprotocols: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.WriteText(ctx, "x")
	if _, got, err := c.Read(ctx); err != nil || string(got) != "re: x" || c.Subprotocol() != "p" {
		t.Fatalf("got %q %v proto %q", got, err, c.Subprotocol())
	}
	c.Close()
	wg.Wait()
}

func errorsAsArsenal(err error, target **arsenal.Error) bool {
	for e := err; e != nil; {
		if ae, ok := e.(*arsenal.Error); ok {
			*target = ae
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}
