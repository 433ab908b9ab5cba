// Command ws-echo runs the library's WebSocket server as an echo service on
// loopback and talks to it with the client: text and binary messages, a ping,
// and a clean close with a status code.
//
//	go run ./examples/library/ws-echo [-addr 127.0.0.1:0]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/infra-arsenal/arsenal/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address the server listens on")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := websocket.NewServer(websocket.ServerConfig{
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Write(context.Background(), typ, data)
		},
		OnClose: func(c *websocket.Conn, code websocket.StatusCode, reason string) {
			fmt.Printf("server: client left with %d %q\n", code, reason)
		},
	})
	if err != nil {
		return err
	}
	url, stop, err := serve(srv, addr)
	if err != nil {
		return err
	}
	defer stop()

	c, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return err
	}
	if err := c.WriteText(ctx, "hello"); err != nil {
		return err
	}
	typ, msg, err := c.Read(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("echo (%v): %s\n", typ == websocket.Text, msg)
	if err := c.Write(ctx, websocket.Binary, []byte{1, 2, 3}); err != nil {
		return err
	}
	typ, msg, err = c.Read(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("binary echo: %v %v\n", typ == websocket.Binary, msg)
	if err := c.Ping(ctx); err != nil {
		return err
	}
	fmt.Println("ping: pong received")
	if err := c.CloseWith(websocket.StatusNormalClosure, "bye"); err != nil {
		return err
	}
	// Wait for the server to see the close.
	deadline := time.Now().Add(5 * time.Second)
	for srv.ConnectionCount() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("connections left:", srv.ConnectionCount())
	return nil
}

// serve runs srv on addr ("127.0.0.1:0" picks a free port) and returns its
// ws:// URL and a function that stops it.
func serve(srv *websocket.Server, addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "ws://" + ln.Addr().String() + "/", func() { _ = srv.Close(); _ = hs.Close() }, nil
}
