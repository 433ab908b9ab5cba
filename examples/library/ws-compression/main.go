// Command ws-compression negotiates permessage-deflate with context takeover
// and sends a stream of similar JSON events: the wire bytes come out a small
// fraction of the payload bytes. A client that declines compression sends
// them as they are.
//
//	go run ./examples/library/ws-compression [-addr 127.0.0.1:0]
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
		Compression: true,
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Write(context.Background(), typ, data)
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

	for _, compress := range []bool{true, false} {
		c, err := websocket.Dial(ctx, url, &websocket.Options{DisableCompression: !compress})
		if err != nil {
			return err
		}
		for i := range 200 {
			ev := fmt.Sprintf(`{"type":"price","symbol":"ACME","bid":%d.25,"ask":%d.75,"venue":"XNAS","seq":%d}`, 100+i%7, 100+i%7, i)
			if err := c.WriteText(ctx, ev); err != nil {
				return err
			}
			if _, _, err := c.Read(ctx); err != nil {
				return err
			}
		}
		t := c.Traffic()
		ratio := float64(t.WireOut) / float64(t.PayloadOut)
		fmt.Printf("compression=%v negotiated=%v wire/payload=%.2f under half=%v\n", compress, c.Compression().Enabled, ratio, ratio < 0.5)
		if err := c.Close(); err != nil {
			return err
		}
	}
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
