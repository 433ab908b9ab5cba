package websocket_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/websocket"
)

// An echo server and a client that negotiates a subprotocol and
// compression.
func Example() {
	srv, _ := websocket.NewServer(websocket.ServerConfig{
		Subprotocols: []string{"chat.v2", "chat.v1"},
		Compression:  true,
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Write(context.Background(), typ, data)
		},
	})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.Options{
		Subprotocols: []string{"chat.v1", "chat.v2"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_ = c.WriteText(ctx, "hello")
	_, msg, _ := c.Read(ctx)
	fmt.Println(string(msg), c.Subprotocol(), c.Compression())
	// Output: hello chat.v2 permessage-deflate
}

// Topics: each connection subscribes on open; Publish reaches everyone
// subscribed except the sender.
func ExampleConn_Publish() {
	srv, _ := websocket.NewServer(websocket.ServerConfig{
		OnOpen: func(c *websocket.Conn) { _ = c.Subscribe("room") },
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_, _ = c.Publish("room", typ, data)
		},
	})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, _ := websocket.Dial(ctx, url, nil)
	defer alice.Close()
	bob, _ := websocket.Dial(ctx, url, nil)
	defer bob.Close()
	for srv.SubscriberCount("room") < 2 {
		time.Sleep(time.Millisecond)
	}
	_ = alice.WriteText(ctx, "hi from alice")
	_, msg, _ := bob.Read(ctx)
	fmt.Println(string(msg))
	// Output: hi from alice
}

// A refused handshake is a coded error.
func ExampleHandshakeError() {
	srv, _ := websocket.NewServer(websocket.ServerConfig{})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.Options{
		Header: map[string][]string{"Origin": {"https://evil.example"}},
	})
	fmt.Println(arsenal.CodeOf(err))
	// Output: PermissionDenied
}

// A reconnecting client that queues while disconnected and resubscribes
// after every reconnect.
func ExampleNewReconnecting() {
	srv, _ := websocket.NewServer(websocket.ServerConfig{
		OnMessage: func(c *websocket.Conn, _ websocket.MessageType, data []byte) {
			if s := string(data); strings.HasPrefix(s, "sub ") {
				_ = c.Subscribe(s[4:])
			}
		},
	})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	rc, _ := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config:                 websocket.Config{URL: "ws" + strings.TrimPrefix(hs.URL, "http")},
		Retry:                  websocket.RetryPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 2 * time.Second},
		QueueWhileDisconnected: true,
	})
	defer rc.Close()
	_ = rc.SendOnConnect(websocket.Text, []byte("sub prices"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = rc.WaitConnected(ctx)
	for srv.SubscriberCount("prices") < 1 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(srv.SubscriberCount("prices"))
	// Output: 1
}
