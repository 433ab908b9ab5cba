package websocket_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/websocket"
)

// Tests against hostile peers (issue 13): raw sockets send what no
// well-behaved peer would.

// A client that pings without end and never reads is not kept alive by its
// pings, and its pongs do not pile up in the server's send queue.
func TestServerIdleTimeoutIsNotResetByAPeersPingsAndPongsDoNotPileUp(t *testing.T) {
	opened := make(chan *websocket.Conn, 1)
	_, url := startServer(t, websocket.ServerConfig{
		IdleTimeout: time.Second, DisablePings: true,
		OnOpen: func(c *websocket.Conn) { opened <- c },
	})
	nc, _ := rawClient(t, url, "")
	var sc *websocket.Conn
	select {
	case sc = <-opened:
	case <-time.After(5 * time.Second):
		t.Fatal("no server connection")
	}
	flood := bytes.Repeat(rawFrame(true, 0, opPing, bytes.Repeat([]byte{'p'}, 125), true), 1000)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := nc.Write(flood); err != nil {
				return
			}
		}
	}()
	maxQueued := 0
	deadline := time.After(6 * time.Second)
	for closed := false; !closed; {
		select {
		case <-sc.Done():
			closed = true
		case <-deadline:
			t.Fatal("the server kept a connection that only sent pings past 6 s (idle timeout 1 s)")
		case <-time.After(10 * time.Millisecond):
			maxQueued = max(maxQueued, sc.Traffic().QueuedBytes)
		}
	}
	assert.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(sc.Err()), "closed by the idle timeout: %v", sc.Err())
	assert.Greater(t, sc.Traffic().WireIn, uint64(1<<20), "the peer flooded pings")
	assert.LessOrEqual(t, maxQueued, 1024, "bytes queued for a peer that never reads")
}

// A callback-mode server connection that receives a frame header declaring
// 1 MiB (and no payload) holds a few KiB, not the declared size.
func TestFrameHeaderAloneDoesNotReserveItsDeclaredLength(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo, IdleTimeout: time.Minute})
	const conns = 40
	header := []byte{0x02, 0x80 | 127} // non-final binary frame
	header = binary.BigEndian.AppendUint64(header, 1<<20)
	header = append(header, 1, 2, 3, 4, 'x'^1)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < conns; i++ {
		nc, _ := rawClient(t, url, "")
		_, err := nc.Write(header)
		require.NoError(t, err)
	}
	time.Sleep(300 * time.Millisecond) // let every read loop take the header
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew %d KiB for %d connections", grew>>10, conns)
	assert.Less(t, grew, int64(conns*128<<10), "heap growth for %d headers declaring 1 MiB each", conns)
}

// A compressed frame whose deflate stream ends (BFINAL) before its payload
// does fails the connection with 1007; the bytes after the end are never
// parsed as frames (no smuggled message).
func TestDataAfterTheEndOfADeflateStreamIsRefusedNotParsedAsFrames(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo, Compression: true})
	nc, br := rawClient(t, url, "permessage-deflate")
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestSpeed)
	require.NoError(t, err)
	_, _ = w.Write([]byte("hello"))
	require.NoError(t, w.Close()) // BFINAL: the stream ends here
	smuggled := rawFrame(true, 0, opText, []byte("smuggled"), true)
	_, err = nc.Write(rawFrame(true, rsv1, opText, append(b.Bytes(), smuggled...), true))
	require.NoError(t, err)
	for {
		f, err := readRawFrame(br)
		require.NoError(t, err, "reading for the close frame")
		require.NotEqual(t, byte(opText), f.op, "the server delivered and echoed %q", f.payload)
		if f.op == opClose {
			require.GreaterOrEqual(t, len(f.payload), 2)
			assert.Equal(t, 1007, int(binary.BigEndian.Uint16(f.payload)), "close code (%q)", f.payload[2:])
			return
		}
	}
}

// handshakeServer answers every connection with resp after reading the
// request.
func handshakeServer(t *testing.T, resp func(nc net.Conn, key string)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
				buf := make([]byte, 4096)
				n, _ := nc.Read(buf)
				key := ""
				for _, l := range strings.Split(string(buf[:n]), "\r\n") {
					if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Sec-WebSocket-Key") {
						key = strings.TrimSpace(v)
					}
				}
				resp(nc, key)
			}()
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}

// A server whose handshake response never ends (one endless header line,
// or header lines without end) is refused once the limits are passed,
// long before the handshake timeout, with ResourceExhausted.
func TestClientBoundsTheHandshakeResponseHeaders(t *testing.T) {
	cases := map[string]func(nc net.Conn){
		"one endless header line": func(nc net.Conn) {
			_, _ = nc.Write([]byte("X-Big: "))
			chunk := bytes.Repeat([]byte{'a'}, 64<<10)
			for i := 0; i < 256; i++ { // 16 MiB
				if _, err := nc.Write(chunk); err != nil {
					return
				}
			}
		},
		"header lines without end": func(nc net.Conn) {
			line := []byte("X-Many: v\r\n")
			chunk := bytes.Repeat(line, 4096)
			for i := 0; i < 64; i++ { // 256 Ki lines
				if _, err := nc.Write(chunk); err != nil {
					return
				}
			}
		},
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			url := handshakeServer(t, func(nc net.Conn, key string) {
				_, _ = nc.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n"))
				body(nc)
				_, _ = io.Copy(io.Discard, nc) // then hold the handshake open until the client leaves
			})
			start := time.Now()
			c, err := websocket.Dial(context.Background(), url, &websocket.Options{HandshakeTimeout: 10 * time.Second})
			if c != nil {
				_ = c.Close()
			}
			require.Error(t, err)
			assert.Equal(t, arsenal.ResourceExhausted, arsenal.CodeOf(err), "%v", err)
			assert.Less(t, time.Since(start), 5*time.Second, "refused only at the handshake timeout")
		})
	}
}

// On a server listening on loopback, a page whose host name was rebound to
// 127.0.0.1 is same-origin by its Host header, yet refused (403) unless
// AllowedOrigins lists it; loopback names pass.
func TestLoopbackServerRefusesADNSRebindingHost(t *testing.T) {
	dialWith := func(url, host, origin string) int {
		addr := strings.TrimPrefix(strings.TrimSuffix(url, "/"), "ws://")
		nc, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nOrigin: " + origin + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
		_, err = nc.Write([]byte(req))
		require.NoError(t, err)
		buf := make([]byte, 12)
		_, err = nc.Read(buf)
		require.NoError(t, err)
		code := 0
		_, _ = fmt.Sscan(string(buf[9:12]), &code)
		return code
	}
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	port := url[strings.LastIndex(url, ":")+1:]
	assert.Equal(t, 403, dialWith(url, "evil.example:"+port, "http://evil.example:"+port), "rebinding host")
	assert.Equal(t, 101, dialWith(url, "127.0.0.1:"+port, "http://127.0.0.1:"+port), "loopback address")
	assert.Equal(t, 101, dialWith(url, "localhost:"+port, "http://localhost:"+port), "localhost")
	assert.Equal(t, 101, dialWith(url, "app.localhost:"+port, "http://app.localhost:"+port), "*.localhost")

	_, allowed := startServer(t, websocket.ServerConfig{OnMessage: echo, AllowedOrigins: []string{"dev.example:*"}})
	port = allowed[strings.LastIndex(allowed, ":")+1:]
	assert.Equal(t, 101, dialWith(allowed, "dev.example:"+port, "http://dev.example:"+port), "configured name")
}

// NewHTTPServer bounds how long and how large a handshake request may be.
func TestNewHTTPServerBoundsHandshakeRequests(t *testing.T) {
	srv, err := websocket.NewServer(websocket.ServerConfig{OnMessage: echo})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	hs := websocket.NewHTTPServer("127.0.0.1:0", srv)
	assert.Equal(t, websocket.DefaultReadHeaderTimeout, hs.ReadHeaderTimeout)
	assert.Equal(t, websocket.MaxRequestHeaderBytes, hs.MaxHeaderBytes)
	hs.ReadHeaderTimeout = 300 * time.Millisecond // the test waits less than the default
	ln, err := net.Listen("tcp", hs.Addr)
	require.NoError(t, err)
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	addr := ln.Addr().String()

	// Slowloris: a request line and then nothing more.
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer nc.Close()
	_, err = nc.Write([]byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\n"))
	require.NoError(t, err)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = nc.Read(make([]byte, 1024))
	for err == nil {
		_, err = nc.Read(make([]byte, 1024))
	}
	var ne net.Error
	if assert.Error(t, err) && (!errors.As(err, &ne) || !ne.Timeout()) {
		assert.Less(t, time.Since(start), 3*time.Second, "slow handshake dropped")
	} else {
		t.Errorf("slow handshake still open after 5 s: %v", err)
	}

	// A header block past MaxRequestHeaderBytes gets 431.
	big, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer big.Close()
	_ = big.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = big.Write([]byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nX-Big: " + strings.Repeat("a", 2*websocket.MaxRequestHeaderBytes) + "\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(big), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}

// No secret of a configuration prints, under any fmt verb or slog.
func TestConfigsNeverPrintSecrets(t *testing.T) {
	cfg := websocket.Config{
		URL: "wss://alice:URLPASS@example.com/ws?access_token=QUERYTOKEN&room=1",
		Options: websocket.Options{
			Header: http.Header{"Authorization": {"Bearer HEADERTOKEN"}, "X-Signature": {"SIGVALUE"}, "X-Client": {"visible"}},
			Proxy:  "http://bob:PROXYPASS@proxy.example:3128",
		},
	}
	secrets := []string{"URLPASS", "QUERYTOKEN", "HEADERTOKEN", "SIGVALUE", "PROXYPASS"}
	rc := websocket.ReconnectConfig{Config: cfg, QueueLimit: 7}
	var outs []string
	for _, v := range []any{cfg, &cfg, cfg.Options, &cfg.Options, rc, &rc} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	outs = append(outs, cfg.String(), cfg.GoString(), rc.String())
	var logs bytes.Buffer
	lg := slog.New(slog.NewJSONHandler(&logs, nil))
	lg.Info("config", "cfg", cfg, "opts", cfg.Options, "rc", rc)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg)
	outs = append(outs, logs.String())
	for _, out := range outs {
		for _, s := range secrets {
			assert.NotContains(t, out, s)
		}
	}
	// What is not secret stays readable.
	plus := fmt.Sprintf("%+v", cfg)
	assert.Contains(t, plus, "example.com/ws")
	assert.Contains(t, plus, "room=1")
	assert.Contains(t, plus, "visible")
	assert.Contains(t, plus, "proxy.example:3128")
	assert.Contains(t, fmt.Sprintf("%#v", cfg), "websocket.Config{")
	assert.Contains(t, fmt.Sprintf("%+v", rc), "QueueLimit:7")
	assert.Contains(t, logs.String(), "example.com")
}

// A dial with TLS verification switched off from the URL warns through
// the Logger, with the target redacted.
func TestInsecureSkipVerifyFromTheURLLogsAWarning(t *testing.T) {
	srv, err := websocket.NewServer(websocket.ServerConfig{OnMessage: echo})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	hs := httptest.NewTLSServer(srv)
	t.Cleanup(hs.Close)
	cfg, err := websocket.ParseURL("wss://user:URLPASS@" + strings.TrimPrefix(hs.URL, "https://") + "/?insecure_skip_verify=true&token=QUERYTOKEN")
	require.NoError(t, err)
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c, err := websocket.Open(ctxT(t, 10*time.Second), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	out := logs.String()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "verification is off")
	assert.NotContains(t, out, "URLPASS")
	assert.NotContains(t, out, "QUERYTOKEN")
}

// Bad ports and hosts fail ParseURL and Validate with InvalidArgument
// before any dial (issue 14 #15).
func TestBadPortsAndNonASCIIHostsAreInvalidArguments(t *testing.T) {
	for _, raw := range []string{
		"ws://127.0.0.1:99999/ws", "ws://127.0.0.1:0/ws", "ws://127.0.0.1:-1/ws", "ws://127.0.0.1:/ws",
		"ws://exa\u202emple.com/ws", "wss://bücher.example/ws", "ws://[::1]:70000/",
	} {
		_, err := websocket.ParseURL(raw)
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "ParseURL(%q): %v", raw, err)
		err = websocket.Config{URL: raw}.Validate()
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "Validate(%q): %v", raw, err)
		if err != nil {
			assert.NotContains(t, err.Error(), "\u202e", "the error prints the bidi control raw")
		}
	}
	for _, raw := range []string{"ws://127.0.0.1:8080/ws", "wss://xn--bcher-kva.example/ws", "ws://[::1]:65535/", "ws://localhost/"} {
		_, err := websocket.ParseURL(raw)
		assert.NoError(t, err, raw)
	}
}

// arsenal.Open hands back a nil Component, not a typed nil, when the
// websocket opener fails (issue 14 #13).
func TestOpenFailureReturnsANilComponent(t *testing.T) {
	for _, raw := range []string{"ws://127.0.0.1:1/ws?handshake_timeout=500ms", "ws://127.0.0.1:99999/ws", "ws://127.0.0.1/ws?read_limit=x"} {
		c, err := arsenal.Open(context.Background(), raw)
		assert.Error(t, err, raw)
		assert.True(t, c == nil, "%s: Open returned %#v, a non-nil Component", raw, c)
	}
}

// A Reconnecting client and a Conn print as their redacted target, not
// their fields (which hold the configuration).
func TestClientsPrintOnlyTheirRedactedTarget(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	secretURL := strings.Replace(url, "ws://", "ws://u:URLPASS@", 1) + "?token=QUERYTOKEN"
	rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{Config: websocket.Config{URL: secretURL,
		Options: websocket.Options{Header: http.Header{"Authorization": {"Bearer HEADERTOKEN"}}}}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	require.NoError(t, rc.WaitConnected(ctxT(t, 5*time.Second)))
	c, err := websocket.Dial(ctxT(t, 5*time.Second), secretURL, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	for _, v := range []any{rc, c} {
		for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range []string{"URLPASS", "QUERYTOKEN", "HEADERTOKEN"} {
				assert.NotContains(t, out, s, verb)
			}
			assert.Contains(t, out, "xxxxx", verb)
		}
	}
}
