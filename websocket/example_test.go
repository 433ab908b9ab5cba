package websocket_test

import (
	"context"
	"fmt"
	"net"
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

// Options come from the URL's query; they are removed from the URL that is
// dialled, and printing a Config never shows a password or token.
func ExampleParseURL() {
	cfg, err := websocket.ParseURL("wss://bob:s3cret@feed.example.com/ws?subprotocols=v2,v1&handshake_timeout=5s&access_token=abc123&room=7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Subprotocols, cfg.HandshakeTimeout)
	fmt.Println(arsenal.RedactURL(cfg.URL))
	fmt.Println(strings.Contains(fmt.Sprintf("%+v", cfg), "s3cret"), strings.Contains(cfg.String(), "abc123"))
	// Output:
	// [v2 v1] 5s
	// wss://bob:xxxxx@feed.example.com/ws?access_token=xxxxx&room=7
	// false false
}

// Bad input fails before any I/O, with InvalidArgument.
func ExampleConfig_Validate() {
	err := websocket.Config{URL: "ws://127.0.0.1:99999/ws"}.Validate()
	fmt.Println(arsenal.CodeOf(err))
	// Output: InvalidArgument
}

// NewHTTPServer serves a Server with the limits an internet-facing
// handshake needs (a read-header timeout and a header size limit).
func ExampleNewHTTPServer() {
	srv, _ := websocket.NewServer(websocket.ServerConfig{
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Write(context.Background(), typ, data)
		},
	})
	defer srv.Close()
	hs := websocket.NewHTTPServer("127.0.0.1:0", srv)
	ln, err := net.Listen("tcp", hs.Addr)
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_ = c.WriteText(ctx, "ping?")
	_, msg, _ := c.Read(ctx)
	fmt.Println(string(msg), hs.ReadHeaderTimeout, hs.MaxHeaderBytes)
	// Output: ping? 10s 65536
}

// Send queues without waiting for the socket; past the backpressure
// limit it refuses with ResourceExhausted. Stats count every call.
func ExampleConn_Send() {
	srv, _ := websocket.NewServer(websocket.ServerConfig{
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Write(context.Background(), typ, data)
		},
	})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for i := 1; i <= 3; i++ {
		_ = c.Send(websocket.Text, []byte(fmt.Sprint("tick ", i)))
	}
	for i := 0; i < 3; i++ {
		_, msg, _ := c.Read(ctx)
		fmt.Println(string(msg))
	}
	fmt.Println("sends counted:", c.Stats().Ops["send"].Count)
	// Output:
	// tick 1
	// tick 2
	// tick 3
	// sends counted: 3
}

// An Observer sees every operation; here one that prints each as it
// ends.
func ExampleOptions_observer() {
	srv, _ := websocket.NewServer(websocket.ServerConfig{
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Write(context.Background(), typ, data)
		},
	})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.Options{Observer: printObserver{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = c.WriteText(ctx, "hello")
	_, _, _ = c.Read(ctx)
	_ = c.Close()
	_ = c.WriteText(ctx, "too late")
	// Output:
	// dial OK
	// write OK
	// read OK
	// close OK
	// write FailedPrecondition
}

// printObserver prints each operation's name and result code.
type printObserver struct{}

func (printObserver) OpStart(ctx context.Context, _ arsenal.OpStart) context.Context { return ctx }

func (printObserver) OpEnd(_ context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	fmt.Println(op.Op, end.Code)
}
