package websocket_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/websocket"
)

func TestSmokeEcho(t *testing.T) {
	srv, err := websocket.NewServer(websocket.ServerConfig{
		Compression:  true,
		Subprotocols: []string{"b", "a"},
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Write(context.Background(), typ, data)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.Options{Subprotocols: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Logf("proto=%q comp=%s", c.Subprotocol(), c.Compression())
	for _, n := range []int{0, 10, 125, 126, 1000, 65536, 1 << 20} {
		msg := bytes.Repeat([]byte(`{"a":"hello"}`), n/13+1)[:n]
		if err := c.Write(ctx, websocket.Text, msg); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.Read(ctx)
		if err != nil {
			t.Fatal(n, err)
		}
		if typ != websocket.Text || !bytes.Equal(got, msg) {
			t.Fatalf("n=%d mismatch %d", n, len(got))
		}
	}
	t.Logf("%+v", c.Traffic())
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}
