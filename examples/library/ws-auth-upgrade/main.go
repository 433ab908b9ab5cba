// Command ws-auth-upgrade authenticates WebSocket clients before the
// upgrade: the server's Upgrade hook checks a bearer token, refuses a bad one
// with 401 (the client gets an Unauthenticated error), refuses a foreign
// browser Origin with 403, and hands the user to the connection as Conn.Data.
//
//	go run ./examples/library/ws-auth-upgrade [-addr 127.0.0.1:0]
package main

import (
	"context"
	"crypto/subtle"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
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

var tokens = map[string]string{"t0k3n-ada": "ada"}

func authenticate(r *http.Request) (any, http.Header, error) {
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	for tok, user := range tokens {
		if subtle.ConstantTimeCompare([]byte(got), []byte(tok)) == 1 {
			return user, nil, nil
		}
	}
	return nil, nil, arsenal.Errorf(arsenal.Unauthenticated, websocket.Kind, "upgrade", "bad or missing token")
}

func run(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := websocket.NewServer(websocket.ServerConfig{
		Upgrade: authenticate,
		OnOpen: func(c *websocket.Conn) {
			_ = c.Send(websocket.Text, []byte("welcome "+c.Data().(string)))
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

	c, err := websocket.Dial(ctx, url, &websocket.Options{Header: http.Header{"Authorization": {"Bearer t0k3n-ada"}}})
	if err != nil {
		return err
	}
	_, msg, err := c.Read(ctx)
	if err != nil {
		return err
	}
	fmt.Println("with a token:", string(msg))
	_ = c.Close()

	_, err = websocket.Dial(ctx, url, &websocket.Options{Header: http.Header{"Authorization": {"Bearer wrong"}}})
	fmt.Println("with a bad token:", arsenal.CodeOf(err))
	_, err = websocket.Dial(ctx, url, &websocket.Options{Header: http.Header{
		"Authorization": {"Bearer t0k3n-ada"}, "Origin": {"https://evil.example"}}})
	fmt.Println("from a foreign origin:", arsenal.CodeOf(err))
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
