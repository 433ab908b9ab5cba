package websocket_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
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

	"go.uber.org/goleak"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/componenttest"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/websocket"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// startServer serves a websocket.Server on a loopback httptest server and
// returns its ws:// URL.
func startServer(t testing.TB, cfg websocket.ServerConfig) (*websocket.Server, string) {
	t.Helper()
	srv, err := websocket.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	return srv, "ws" + strings.TrimPrefix(hs.URL, "http")
}

func echo(c *websocket.Conn, typ websocket.MessageType, data []byte) {
	_ = c.Write(context.Background(), typ, data)
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestConformance(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{Compression: true}) // messages are dropped
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	componenttest.Run(t, componenttest.Harness{
		Kind: "websocket",
		Open: func(ctx context.Context) (arsenal.Component, error) {
			return websocket.Open(ctx, websocket.Config{URL: url})
		},
		OpenInvalid: func(ctx context.Context) error {
			_, err := websocket.Open(ctx, websocket.Config{URL: "http://x", Options: websocket.Options{
				CompressionLevel: 42, HandshakeTimeout: -1, Subprotocols: []string{"bad proto"},
				Proxy: "socks5://p:1", Header: map[string][]string{"Sec-WebSocket-Key": {"x"}},
			}})
			return err
		},
		InvalidFields: []string{"URL", "CompressionLevel", "HandshakeTimeout", "Subprotocols", "Proxy", "Header"},
		Unreachable: func(ctx context.Context) error {
			_, err := websocket.Open(ctx, websocket.Config{URL: fmt.Sprintf("ws://127.0.0.1:%d/", port),
				Options: websocket.Options{HandshakeTimeout: 3 * time.Second}})
			return err
		},
		Exercise: func(ctx context.Context, c arsenal.Component) error {
			return c.(*websocket.Conn).WriteText(ctx, `{"op":"exercise"}`)
		},
		Blocking: func(ctx context.Context, c arsenal.Component) error {
			_, _, err := c.(*websocket.Conn).Read(ctx)
			return err
		},
		LeakOptions: []goleak.Option{goleak.IgnoreAnyFunction("github.com/infra-arsenal/arsenal/websocket.(*Server).runJanitor")},
	})
}

func TestOpenByURLRegistersSchemesAndHidesSecrets(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{Subprotocols: []string{"chat"}, OnMessage: echo})
	ctx := ctxT(t, 10*time.Second)
	c, err := arsenal.Open(ctx, url+"/?subprotocols=chat&compression=false&ping_interval=off")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn := c.(*websocket.Conn)
	if conn.Subprotocol() != "chat" || conn.Compression().Enabled {
		t.Errorf("subprotocol %q compression %v; want chat and off", conn.Subprotocol(), conn.Compression())
	}
	_, err = websocket.ParseURL("ws://user:hunter2@h/?read_limit=abc&proxy=http://u:s3cret@p:1")
	if err == nil || !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Fatalf("ParseURL with a bad read_limit: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error echoes a secret: %v", err)
	}
	_, err = websocket.ParseURL("ws://user:hunter2@%zz")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unparseable URL error: %v", err)
	}
}

func TestParseURLReadsEveryOption(t *testing.T) {
	cfg, err := websocket.ParseURL("wss://h:8443/p?x=1&subprotocols=a,b&compression=false&compression_level=9&handshake_timeout=2s&read_limit=1024&ping_interval=5s&pong_timeout=1s&proxy=http://p:3128&insecure_skip_verify=true")
	if err != nil {
		t.Fatal(err)
	}
	want := websocket.Config{URL: "wss://h:8443/p?x=1", Options: websocket.Options{
		Subprotocols: []string{"a", "b"}, DisableCompression: true, CompressionLevel: 9,
		HandshakeTimeout: 2 * time.Second, ReadLimit: 1024, PingInterval: 5 * time.Second,
		PongTimeout: time.Second, Proxy: "http://p:3128", InsecureSkipVerify: true,
	}}
	if fmt.Sprint(cfg) != fmt.Sprint(want) {
		t.Errorf("ParseURL =\n %+v\nwant\n %+v", cfg, want)
	}
}

func TestDialNegotiatesSubprotocolByServerPreferenceAndSendsHeaders(t *testing.T) {
	var gotAuth, gotCustom atomic.Value
	_, url := startServer(t, websocket.ServerConfig{
		Subprotocols: []string{"v2", "v1"},
		Compression:  true,
		Header:       http.Header{"X-Server": {"arsenal"}},
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			gotAuth.Store(r.Header.Get("Authorization"))
			gotCustom.Store(r.Header.Get("X-Custom"))
			return "user-data", http.Header{"X-Session": {"42"}}, nil
		},
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.WriteText(context.Background(), fmt.Sprint(c.Data()))
		},
	})
	ctx := ctxT(t, 10*time.Second)
	u := strings.Replace(url, "ws://", "ws://alice:pw@", 1)
	c, err := websocket.Dial(ctx, u, &websocket.Options{
		Subprotocols: []string{"v1", "v2", "v3"},
		Header:       http.Header{"X-Custom": {"yes"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Subprotocol() != "v2" {
		t.Errorf("subprotocol %q, want v2 (the server's preference)", c.Subprotocol())
	}
	comp := c.Compression()
	if !comp.Enabled || comp.ServerNoContextTakeover || comp.ClientNoContextTakeover || comp.ServerMaxWindowBits != 15 {
		t.Errorf("compression %+v; want enabled with context takeover", comp)
	}
	if got := c.ResponseHeader().Get("X-Server"); got != "arsenal" {
		t.Errorf("response header X-Server = %q", got)
	}
	if got := c.ResponseHeader().Get("X-Session"); got != "42" {
		t.Errorf("response header X-Session = %q", got)
	}
	if want := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw")); gotAuth.Load() != want {
		t.Errorf("Authorization %q, want %q", gotAuth.Load(), want)
	}
	if gotCustom.Load() != "yes" {
		t.Errorf("X-Custom %q", gotCustom.Load())
	}
	if err := c.WriteText(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	_, data, err := c.Read(ctx)
	if err != nil || string(data) != "user-data" {
		t.Errorf("Read = %q, %v; want the Upgrade hook's data", data, err)
	}
}

func TestNoCommonSubprotocolConnectsWithoutOne(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{Subprotocols: []string{"x"}})
	c, err := websocket.Dial(ctxT(t, 10*time.Second), url, &websocket.Options{Subprotocols: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Subprotocol() != "" {
		t.Errorf("subprotocol %q, want none", c.Subprotocol())
	}
}

func TestCompressionWithContextTakeoverShrinksSimilarMessages(t *testing.T) {
	for _, tc := range []struct {
		name       string
		noTakeover bool
		maxRatio   float64
	}{
		{name: "context takeover", maxRatio: 0.4},
		{name: "no context takeover", noTakeover: true, maxRatio: 1.1}, // small messages barely shrink alone
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := startServer(t, websocket.ServerConfig{Compression: true, OnMessage: echo})
			ctx := ctxT(t, 20*time.Second)
			c, err := websocket.Dial(ctx, url, &websocket.Options{NoContextTakeover: tc.noTakeover})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Compression().ClientNoContextTakeover != tc.noTakeover {
				t.Fatalf("negotiated %+v", c.Compression())
			}
			for i := 0; i < 200; i++ {
				msg := fmt.Sprintf(`{"type":"trade","symbol":"BTC-USD","price":%d.%02d,"size":%d,"side":"buy","ts":%d}`, 60000+i*7%500, i%100, i%13+1, 1700000000000+int64(i)*37)
				if err := c.WriteText(ctx, msg); err != nil {
					t.Fatal(err)
				}
				_, got, err := c.Read(ctx)
				if err != nil || string(got) != msg {
					t.Fatalf("echo %d: %q %v", i, got, err)
				}
			}
			tr := c.Traffic()
			ratio := float64(tr.WireOut) / float64(tr.PayloadOut)
			t.Logf("payload %d bytes, wire %d bytes, ratio %.2f", tr.PayloadOut, tr.WireOut, ratio)
			if ratio > tc.maxRatio {
				t.Errorf("wire/payload = %.2f, want <= %.2f", ratio, tc.maxRatio)
			}
			if float64(tr.WireIn)/float64(tr.PayloadIn) > tc.maxRatio {
				t.Errorf("server side did not compress: wire in %d payload in %d", tr.WireIn, tr.PayloadIn)
			}
		})
	}
}

func TestMessagesOfEverySizeRoundTrip(t *testing.T) {
	for _, comp := range []bool{false, true} {
		_, url := startServer(t, websocket.ServerConfig{Compression: comp, OnMessage: echo})
		ctx := ctxT(t, 30*time.Second)
		c, err := websocket.Dial(ctx, url, &websocket.Options{DisableCompression: !comp})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20} {
			for _, typ := range []websocket.MessageType{websocket.Text, websocket.Binary} {
				msg := payload(n, typ)
				if err := c.Write(ctx, typ, msg); err != nil {
					t.Fatal(err)
				}
				gt, got, err := c.Read(ctx)
				if err != nil || gt != typ || string(got) != string(msg) {
					t.Fatalf("compression %v, %d-byte %v: got %v %d bytes %v", comp, n, typ, gt, len(got), err)
				}
			}
		}
		c.Close()
	}
}

// payload returns n bytes: text (valid UTF-8, some multi-byte runes) or
// binary (every byte value).
func payload(n int, typ websocket.MessageType) []byte {
	b := make([]byte, 0, n)
	if typ == websocket.Text {
		for len(b) < n {
			if n-len(b) >= 3 && len(b)%7 == 0 {
				b = append(b, "€"...)
			} else {
				b = append(b, byte('a'+len(b)%26))
			}
		}
		return b
	}
	for i := 0; i < n; i++ {
		b = append(b, byte(i*31+i/256))
	}
	return b
}

func TestStreamingWriterAndReaderCarryLargeMessages(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	ctx := ctxT(t, 30*time.Second)
	c, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w, err := c.Writer(ctx, websocket.Binary)
	if err != nil {
		t.Fatal(err)
	}
	want := payload(3<<20, websocket.Binary)
	for off := 0; off < len(want); off += 100000 {
		if _, err := w.Write(want[off:min(off+100000, len(want))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	typ, r, err := c.Reader(ctx)
	if err != nil || typ != websocket.Binary {
		t.Fatal(typ, err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != string(want) {
		t.Fatalf("streamed %d bytes back, want %d: %v", len(got), len(want), err)
	}
}

func TestConcurrentWritersNeverInterleaveFrames(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	ctx := ctxT(t, 60*time.Second)
	var got sync.Map
	var n atomic.Int64
	done := make(chan struct{})
	const writers, each = 8, 200
	c, err := websocket.Dial(ctx, url, &websocket.Options{OnMessage: func(_ *websocket.Conn, _ websocket.MessageType, data []byte) {
		if _, dup := got.LoadOrStore(string(data), true); dup {
			t.Errorf("duplicate %q", data)
		}
		if n.Add(1) == writers*each {
			close(done)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				msg := fmt.Sprintf("%d-%d-%s", w, i, strings.Repeat("x", (i*97)%3000))
				var err error
				if i%2 == 0 {
					err = c.WriteText(ctx, msg)
				} else {
					err = c.Send(websocket.Text, []byte(msg))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("received %d of %d echoes", n.Load(), writers*each)
	}
}

func TestPingWaitsForPongAndKeepaliveDetectsDeadPeer(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{})
	ctx := ctxT(t, 20*time.Second)
	c, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()

	// A peer that completes the handshake and then never answers anything.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		rawAccept(t, nc, "")
		_, _ = io.Copy(io.Discard, nc)
	}()
	c2, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", &websocket.Options{
		PingInterval: 100 * time.Millisecond, PongTimeout: 200 * time.Millisecond, DisableCompression: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	select {
	case <-c2.Done():
	case <-ctx.Done():
		t.Fatal("keepalive did not drop a silent peer")
	}
	if code := arsenal.CodeOf(c2.Err()); code != arsenal.DeadlineExceeded {
		t.Errorf("silent peer ended with %v (%v), want DeadlineExceeded", code, c2.Err())
	}
}

func TestCloseCarriesCodeAndReasonBothWays(t *testing.T) {
	type closed struct {
		code   websocket.StatusCode
		reason string
	}
	got := make(chan closed, 1)
	_, url := startServer(t, websocket.ServerConfig{
		OnMessage: func(c *websocket.Conn, _ websocket.MessageType, data []byte) {
			if string(data) == "bye" {
				_ = c.CloseWith(4001, "server says bye")
			}
		},
		OnClose: func(c *websocket.Conn, code websocket.StatusCode, reason string) { got <- closed{code, reason} },
	})
	ctx := ctxT(t, 10*time.Second)
	c, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWith(4000, "client done"); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g.code != 4000 || g.reason != "client done" {
		t.Errorf("server saw close %+v, want 4000 client done", g)
	}
	if err := c.WriteText(ctx, "x"); !errors.Is(err, arsenal.ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}

	c2, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.WriteText(ctx, "bye")
	_, _, err = c2.Read(ctx)
	if websocket.CloseStatus(err) != 4001 {
		t.Errorf("client read after server close: %v, want close 4001", err)
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Reason != "server says bye" || !ce.Remote {
		t.Errorf("close error %+v", ce)
	}
	<-got
}

// rawAccept completes a server handshake by hand on nc.
func rawAccept(t testing.TB, nc net.Conn, extra string) *bufio.Reader {
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		t.Error(err)
		return br
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	fmt.Fprintf(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n", acceptKey(key), extra)
	return br
}
