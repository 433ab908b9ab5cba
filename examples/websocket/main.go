// Command websocket runs an echo server and a client against it on
// loopback: the client negotiates a subprotocol and compression, sends
// custom headers, reports the compression ratio on JSON messages, and then
// survives a server restart with a reconnecting client.
//
// The server is served through websocket.NewHTTPServer, which bounds slow
// and oversized handshakes (ReadHeaderTimeout, MaxHeaderBytes).
//
//	go run ./examples/websocket [-addr 127.0.0.1:0]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/infra-arsenal/arsenal/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address the echo server listens on (port 0 picks one)")
	flag.Parse()
	if err := run(os.Stdout, *addr); err != nil {
		log.Fatal(err)
	}
}

// echoServer starts the server on addr ("127.0.0.1:0" picks a port).
func echoServer(addr string) (*websocket.Server, *http.Server, string, error) {
	srv, err := websocket.NewServer(websocket.ServerConfig{
		Subprotocols: []string{"echo.v2", "echo.v1"},
		Compression:  true,
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			// Headers in, headers out: greet the client by its name.
			return r.Header.Get("X-Client"), http.Header{"X-Greeting": {"hello " + r.Header.Get("X-Client")}}, nil
		},
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Write(context.Background(), typ, data)
		},
	})
	if err != nil {
		return nil, nil, "", err
	}
	var ln net.Listener
	for i := 0; i < 50; i++ { // a restart may find the port briefly busy
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return nil, nil, "", err
	}
	hs := websocket.NewHTTPServer(addr, srv)
	go func() { _ = hs.Serve(ln) }()
	return srv, hs, ln.Addr().String(), nil
}

func run(out io.Writer, listen string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, hs, addr, err := echoServer(listen)
	if err != nil {
		return err
	}
	url := "ws://" + addr + "/"
	fmt.Fprintln(out, "echo server on", url)

	c, err := websocket.Dial(ctx, url, &websocket.Options{
		Subprotocols: []string{"echo.v1", "echo.v2"},
		Header:       http.Header{"X-Client": {"example"}},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "subprotocol: %s (the server's preference)\n", c.Subprotocol())
	fmt.Fprintf(out, "compression: %s\n", c.Compression())
	fmt.Fprintf(out, "response header X-Greeting: %s\n", c.ResponseHeader().Get("X-Greeting"))
	for i := 0; i < 500; i++ {
		msg := fmt.Sprintf(`{"type":"trade","symbol":"ETH-USD","price":%d.%02d,"size":%d,"ts":%d}`, 3000+i%40, i%100, 1+i%9, 1700000000000+i*250)
		if err := c.WriteText(ctx, msg); err != nil {
			return err
		}
		if _, _, err := c.Read(ctx); err != nil {
			return err
		}
	}
	t := c.Traffic()
	fmt.Fprintf(out, "sent %d JSON messages: %d payload bytes, %d bytes on the wire (%.0f%% saved)\n",
		t.MessagesOut, t.PayloadOut, t.WireOut, 100*(1-float64(t.WireOut)/float64(t.PayloadOut)))
	_ = c.Close()

	// A reconnecting client rides out a server restart.
	reconnected := make(chan struct{}, 1)
	disconnected := make(chan struct{}, 1)
	echoed := make(chan struct{}, 1)
	rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config:                 websocket.Config{URL: url},
		Retry:                  websocket.RetryPolicy{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second},
		QueueWhileDisconnected: true,
		OnReconnect: func(attempt int, delay time.Duration, lastErr error) {
			fmt.Fprintf(out, "  reconnect attempt %d in %s (after: %v)\n", attempt, delay.Round(time.Millisecond), lastErr)
			select {
			case disconnected <- struct{}{}:
			default:
			}
		},
		OnOpen: func(_ *websocket.Conn, again bool) {
			if again {
				reconnected <- struct{}{}
			}
		},
		OnMessage: func(_ websocket.MessageType, data []byte) {
			fmt.Fprintf(out, "  echo: %s\n", data)
			select {
			case echoed <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := rc.WaitConnected(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "restarting the server...")
	_ = hs.Close()
	_ = srv.Close()
	// Once the client has noticed (a message the kernel accepted just
	// before the connection died could be lost: WebSocket has no
	// acknowledgements), Send queues until the reconnect.
	select {
	case <-disconnected:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := rc.Send(ctx, websocket.Text, []byte("sent while the server was down")); err != nil {
		return err
	}
	srv, hs, _, err = echoServer(addr)
	if err != nil {
		return err
	}
	defer srv.Close()
	defer hs.Close()
	select {
	case <-reconnected:
		fmt.Fprintf(out, "reconnected (reconnects: %d)\n", rc.Reconnects())
	case <-ctx.Done():
		fmt.Fprintln(out, "no reconnect within 30 s")
		return ctx.Err()
	}
	select {
	case <-echoed: // the queued message went out after the reconnect
	case <-ctx.Done():
		fmt.Fprintln(out, "no echo of the queued message within 30 s")
		return ctx.Err()
	}
	return rc.Close() // before the deferred server shutdown
}
