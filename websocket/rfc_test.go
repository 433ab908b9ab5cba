package websocket_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/websocket"
)

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// Opcodes and bits for hand-written frames.
const (
	opCont, opText, opBinary, opClose, opPing, opPong = 0, 1, 2, 8, 9, 10
	rsv1, rsv2, rsv3                                  = 0x40, 0x20, 0x10
)

// rawFrame builds one frame; a masked frame uses a fixed non-zero key.
func rawFrame(fin bool, rsv byte, op byte, p []byte, masked bool) []byte {
	b0 := rsv | op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	var m byte
	if masked {
		m = 0x80
	}
	switch n := len(p); {
	case n <= 125:
		out = append(out, m|byte(n))
	case n <= 0xffff:
		out = append(out, m|126, byte(n>>8), byte(n))
	default:
		out = append(out, m|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if masked {
		key := [4]byte{0x12, 0x34, 0x56, 0x78}
		out = append(out, key[:]...)
		for i, c := range p {
			out = append(out, c^key[i%4])
		}
		return out
	}
	return append(out, p...)
}

type gotFrame struct {
	fin     bool
	rsv     byte
	op      byte
	payload []byte
}

func readRawFrame(br *bufio.Reader) (gotFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return gotFrame{}, err
	}
	f := gotFrame{fin: h[0]&0x80 != 0, rsv: h[0] & 0x70, op: h[0] & 0x0f}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	var key [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(br, key[:]); err != nil {
			return f, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(br, f.payload); err != nil {
		return f, err
	}
	if masked {
		for i := range f.payload {
			f.payload[i] ^= key[i%4]
		}
	}
	return f, nil
}

// rawClient dials the server and upgrades by hand; ext is an optional
// Sec-WebSocket-Extensions offer.
func rawClient(t *testing.T, url, ext string) (net.Conn, *bufio.Reader) {
	t.Helper()
	addr := strings.TrimPrefix(url, "ws://")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if ext != "" {
		req += "Sec-WebSocket-Extensions: " + ext + "\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ext != "" && !strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatalf("compression not accepted: %q", resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	return nc, br
}

// expectClose reads frames until a close frame and checks its code, then
// checks the server closes the TCP connection.
func expectClose(t *testing.T, br *bufio.Reader, want int) {
	t.Helper()
	for {
		f, err := readRawFrame(br)
		if err != nil {
			t.Fatalf("reading for close %d: %v", want, err)
		}
		if f.op != opClose {
			continue
		}
		got := 1005
		if len(f.payload) >= 2 {
			got = int(binary.BigEndian.Uint16(f.payload))
		}
		if got != want {
			t.Fatalf("close code %d (%q), want %d", got, f.payload[min(2, len(f.payload)):], want)
		}
		break
	}
	if _, err := br.ReadByte(); err == nil {
		t.Error("server kept the TCP connection open after closing")
	}
}

func deflateRaw(p []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	_, _ = w.Write(p)
	_ = w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

func TestServerEnforcesRFC6455OnRawFrames(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo, MaxPayload: 1000, Compression: true})
	euro := []byte("€") // e2 82 ac
	tests := []struct {
		name   string
		ext    string
		frames [][]byte
		echo   []gotFrame // expected echoes (opcode and payload), in order
		close  int        // expected close code, 0 for none
	}{
		{name: "unmasked client frame is a protocol error", frames: [][]byte{rawFrame(true, 0, opText, []byte("hi"), false)}, close: 1002},
		{name: "RSV2 set is a protocol error", frames: [][]byte{rawFrame(true, rsv2, opText, []byte("hi"), true)}, close: 1002},
		{name: "RSV3 set is a protocol error", frames: [][]byte{rawFrame(true, rsv3, opBinary, []byte("hi"), true)}, close: 1002},
		{name: "RSV1 without negotiated compression is a protocol error", frames: [][]byte{rawFrame(true, rsv1, opText, []byte("hi"), true)}, close: 1002},
		{name: "reserved data opcode 3 is a protocol error", frames: [][]byte{rawFrame(true, 0, 3, nil, true)}, close: 1002},
		{name: "reserved control opcode 11 is a protocol error", frames: [][]byte{rawFrame(true, 0, 11, nil, true)}, close: 1002},
		{name: "fragmented ping is a protocol error", frames: [][]byte{rawFrame(false, 0, opPing, []byte("p"), true)}, close: 1002},
		{name: "ping over 125 bytes is a protocol error", frames: [][]byte{rawFrame(true, 0, opPing, make([]byte, 126), true)}, close: 1002},
		{name: "continuation without a start is a protocol error", frames: [][]byte{rawFrame(true, 0, opCont, []byte("x"), true)}, close: 1002},
		{name: "new message inside a fragmented one is a protocol error", frames: [][]byte{
			rawFrame(false, 0, opText, []byte("a"), true), rawFrame(true, 0, opText, []byte("b"), true)}, close: 1002},
		{name: "invalid UTF-8 text is 1007", frames: [][]byte{rawFrame(true, 0, opText, []byte{0xff, 'a'}, true)}, close: 1007},
		{name: "UTF-8 surrogate is 1007", frames: [][]byte{rawFrame(true, 0, opText, []byte{0xed, 0xa0, 0x80}, true)}, close: 1007},
		{name: "UTF-8 truncated at the end of a message is 1007", frames: [][]byte{rawFrame(true, 0, opText, euro[:2], true)}, close: 1007},
		{name: "invalid UTF-8 across fragments is 1007", frames: [][]byte{
			rawFrame(false, 0, opText, euro[:1], true), rawFrame(true, 0, opCont, []byte{'x'}, true)}, close: 1007},
		{name: "valid UTF-8 split across fragments is accepted", frames: [][]byte{
			rawFrame(false, 0, opText, append([]byte("a"), euro[:1]...), true),
			rawFrame(false, 0, opCont, euro[1:2], true),
			rawFrame(true, 0, opCont, append(euro[2:], 'b'), true)},
			echo: []gotFrame{{op: opText, payload: []byte("a€b")}}},
		{name: "ping between fragments is answered and the message completes", frames: [][]byte{
			rawFrame(false, 0, opBinary, []byte("frag1-"), true),
			rawFrame(true, 0, opPing, []byte("ping!"), true),
			rawFrame(false, 0, opCont, []byte("frag2-"), true),
			rawFrame(true, 0, opPong, []byte("unsolicited"), true),
			rawFrame(true, 0, opCont, []byte("frag3"), true)},
			echo: []gotFrame{{op: opPong, payload: []byte("ping!")}, {op: opBinary, payload: []byte("frag1-frag2-frag3")}}},
		{name: "empty fragments are fine", frames: [][]byte{
			rawFrame(false, 0, opText, nil, true), rawFrame(false, 0, opCont, nil, true), rawFrame(true, 0, opCont, nil, true)},
			echo: []gotFrame{{op: opText, payload: []byte{}}}},
		{name: "message over MaxPayload is 1009", frames: [][]byte{rawFrame(true, 0, opBinary, make([]byte, 1001), true)}, close: 1009},
		{name: "fragments summing over MaxPayload are 1009", frames: [][]byte{
			rawFrame(false, 0, opBinary, make([]byte, 600), true), rawFrame(true, 0, opCont, make([]byte, 600), true)}, close: 1009},
		{name: "compressed message inflating over MaxPayload is 1009", ext: "permessage-deflate",
			frames: [][]byte{rawFrame(true, rsv1, opBinary, deflateRaw(make([]byte, 5000)), true)}, close: 1009},
		{name: "compressed and uncompressed messages mix", ext: "permessage-deflate; client_no_context_takeover", frames: [][]byte{
			rawFrame(true, rsv1, opText, deflateRaw([]byte("hello hello hello")), true),
			rawFrame(true, 0, opText, []byte("plain"), true),
			rawFrame(false, rsv1, opBinary, deflateRaw([]byte("fragmented and compressed"))[:3], true),
			rawFrame(true, 0, opCont, deflateRaw([]byte("fragmented and compressed"))[3:], true)},
			echo: []gotFrame{{op: opText, payload: []byte("hello hello hello")}, {op: opText, payload: []byte("plain")},
				{op: opBinary, payload: []byte("fragmented and compressed")}}},
		{name: "RSV1 on a continuation frame is a protocol error", ext: "permessage-deflate", frames: [][]byte{
			rawFrame(false, 0, opText, []byte("a"), true), rawFrame(true, rsv1, opCont, []byte("b"), true)}, close: 1002},
		{name: "corrupt deflate data is 1007", ext: "permessage-deflate",
			frames: [][]byte{rawFrame(true, rsv1, opBinary, []byte{0xff, 0xff, 0xff}, true)}, close: 1007},
		{name: "close with a 1-byte payload is a protocol error", frames: [][]byte{rawFrame(true, 0, opClose, []byte{3}, true)}, close: 1002},
		{name: "close with code 1005 on the wire is a protocol error", frames: [][]byte{rawFrame(true, 0, opClose, []byte{0x03, 0xed}, true)}, close: 1002},
		{name: "close with code 999 is a protocol error", frames: [][]byte{rawFrame(true, 0, opClose, []byte{0x03, 0xe7}, true)}, close: 1002},
		{name: "close with an invalid UTF-8 reason is 1007", frames: [][]byte{rawFrame(true, 0, opClose, []byte{0x03, 0xe8, 0xff}, true)}, close: 1007},
		{name: "close 1000 is echoed and the server hangs up", frames: [][]byte{rawFrame(true, 0, opClose, []byte{0x03, 0xe8, 'o', 'k'}, true)}, close: 1000},
		{name: "close without a code is answered without one", frames: [][]byte{rawFrame(true, 0, opClose, nil, true)}, close: 1005},
		{name: "application close code 4999 is echoed", frames: [][]byte{rawFrame(true, 0, opClose, []byte{0x13, 0x87}, true)}, close: 4999},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nc, br := rawClient(t, url, tc.ext)
			for _, f := range tc.frames {
				if _, err := nc.Write(f); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range tc.echo {
				f, err := readRawFrame(br)
				if err != nil {
					t.Fatalf("waiting for %q: %v", want.payload, err)
				}
				if f.rsv&rsv1 != 0 {
					t.Fatalf("unexpected compressed echo")
				}
				if f.op != want.op || !bytes.Equal(f.payload, want.payload) || !f.fin {
					t.Fatalf("got op %d %q, want op %d %q", f.op, f.payload, want.op, want.payload)
				}
			}
			if tc.close != 0 {
				expectClose(t, br, tc.close)
			}
		})
	}
}

// rawServer accepts one client, completes the handshake with extra
// response headers, writes frames, and returns what the client sent back.
func rawServer(t *testing.T, extra string, frames [][]byte) (string, <-chan []gotFrame) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan []gotFrame, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
		br := rawAccept(t, nc, extra)
		for _, f := range frames {
			_, _ = nc.Write(f)
		}
		var got []gotFrame
		for {
			f, err := readRawFrame(br)
			if err != nil {
				break
			}
			got = append(got, f)
			if f.op == opClose {
				break
			}
		}
		out <- got
	}()
	return "ws://" + ln.Addr().String() + "/", out
}

func TestClientEnforcesRFC6455OnRawFrames(t *testing.T) {
	tests := []struct {
		name   string
		extra  string
		frames [][]byte
		want   []string // messages the client delivers
		close  int      // close code the client sends
		pong   string   // a pong payload the client must send
	}{
		{name: "masked server frame is a protocol error", frames: [][]byte{rawFrame(true, 0, opText, []byte("hi"), true)}, close: 1002},
		{name: "reserved opcode is a protocol error", frames: [][]byte{rawFrame(true, 0, 7, nil, false)}, close: 1002},
		{name: "RSV1 without compression is a protocol error", frames: [][]byte{rawFrame(true, rsv1, opText, []byte("x"), false)}, close: 1002},
		{name: "invalid UTF-8 across fragments is 1007", frames: [][]byte{
			rawFrame(false, 0, opText, []byte{0xe2, 0x82}, false), rawFrame(true, 0, opCont, []byte{'x'}, false)}, close: 1007},
		{name: "message over the read limit is 1009", frames: [][]byte{rawFrame(true, 0, opBinary, make([]byte, 2000), false)}, close: 1009},
		{name: "fragments with a ping between are delivered whole", frames: [][]byte{
			rawFrame(false, 0, opText, []byte("he"), false), rawFrame(true, 0, opPing, []byte("pp"), false),
			rawFrame(true, 0, opCont, []byte("llo"), false), rawFrame(true, 0, opClose, []byte{0x03, 0xe8}, false)},
			want: []string{"hello"}, pong: "pp", close: 1000},
		{name: "compressed messages from the server are inflated", extra: "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
			frames: [][]byte{rawFrame(true, rsv1, opText, deflateRaw([]byte("squeeze me")), false),
				rawFrame(true, 0, opText, []byte("plain"), false), rawFrame(true, 0, opClose, []byte{0x0f, 0xa0}, false)},
			want: []string{"squeeze me", "plain"}, close: 4000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, out := rawServer(t, tc.extra, tc.frames)
			ctx := ctxT(t, 20*time.Second)
			c, err := websocket.Dial(ctx, url, &websocket.Options{ReadLimit: 1000, PingInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, w := range tc.want {
				_, got, err := c.Read(ctx)
				if err != nil || string(got) != w {
					t.Fatalf("Read = %q, %v; want %q", got, err, w)
				}
			}
			_, _, err = c.Read(ctx)
			if err == nil {
				t.Fatal("Read after the violation succeeded")
			}
			frames := <-out
			if len(frames) == 0 || frames[len(frames)-1].op != opClose {
				t.Fatalf("client sent %v, want a close frame last", frames)
			}
			last := frames[len(frames)-1]
			if code := int(binary.BigEndian.Uint16(last.payload)); code != tc.close {
				t.Errorf("client closed with %d, want %d", code, tc.close)
			}
			if last.payload == nil || frames[0].rsv != 0 {
				t.Errorf("bad close frame %+v", last)
			}
			if tc.pong != "" && (frames[0].op != opPong || string(frames[0].payload) != tc.pong) {
				t.Errorf("first frame %+v, want pong %q", frames[0], tc.pong)
			}
			if tc.close == 1002 && !arsenal.IsCode(err, arsenal.Internal) {
				t.Errorf("protocol error read as %v", arsenal.CodeOf(err))
			}
		})
	}
}

func TestServerRefusesCrossSiteOriginsWith403(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{AllowedOrigins: []string{"*.trusted.example", "https://app.example.com"}})
	host := strings.TrimPrefix(url, "ws://")
	for _, tc := range []struct {
		name   string
		origin string
		status int
	}{
		{name: "no origin (not a browser)", origin: "", status: 101},
		{name: "same origin", origin: "http://" + host, status: 101},
		{name: "allowed by host pattern", origin: "https://a.trusted.example", status: 101},
		{name: "allowed by whole origin", origin: "https://app.example.com", status: 101},
		{name: "cross-site", origin: "https://evil.example", status: 403},
		{name: "same host other scheme pattern", origin: "http://app.example.com", status: 403},
		{name: "null origin", origin: "null", status: 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, err := websocket.Dial(ctxT(t, 10*time.Second), url, &websocket.Options{Header: h})
			if tc.status == 101 {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				return
			}
			var he *websocket.HandshakeError
			if !asHandshake(err, &he) || he.StatusCode != tc.status || !arsenal.IsCode(err, arsenal.PermissionDenied) {
				t.Fatalf("err = %v, want %d PermissionDenied", err, tc.status)
			}
		})
	}
}

func asHandshake(err error, he **websocket.HandshakeError) bool { return errors.As(err, he) }
