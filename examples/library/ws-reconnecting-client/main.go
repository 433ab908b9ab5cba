// Command ws-reconnecting-client keeps a WebSocket client connected through
// a server restart: Reconnecting redials with backoff, replays its topic
// subscription (SendOnConnect) and sends messages queued while it was down.
//
//	go run ./examples/library/ws-reconnecting-client
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal/websocket"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// server subscribes a connection to the topic it names in a "sub:TOPIC"
// message and stores every other message it receives.
type server struct {
	srv  *websocket.Server
	hs   *http.Server
	mu   sync.Mutex
	seen []string
}

func start(addr string) (*server, string, error) {
	s := &server{}
	srv, err := websocket.NewServer(websocket.ServerConfig{
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			if t, ok := strings.CutPrefix(string(data), "sub:"); ok {
				_ = c.Subscribe(t)
				_ = c.Send(websocket.Text, []byte("subscribed "+t))
				return
			}
			s.mu.Lock()
			s.seen = append(s.seen, string(data))
			s.mu.Unlock()
		},
	})
	if err != nil {
		return nil, "", err
	}
	var ln net.Listener
	for range 100 { // the old server's port may take a moment to free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return nil, "", err
	}
	s.srv, s.hs = srv, &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.hs.Serve(ln) }()
	return s, ln.Addr().String(), nil
}

func (s *server) stop() { _ = s.srv.Close(); _ = s.hs.Close() }

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s1, addr, err := start("127.0.0.1:0")
	if err != nil {
		return err
	}
	got := make(chan string, 16)
	opened := make(chan bool, 4)
	rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config:                 websocket.Config{URL: "ws://" + addr + "/"},
		Retry:                  websocket.RetryPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		QueueWhileDisconnected: true,
		OnOpen:                 func(c *websocket.Conn, reconnected bool) { opened <- reconnected },
		OnMessage:              func(typ websocket.MessageType, data []byte) { got <- string(data) },
	})
	if err != nil {
		s1.stop()
		return err
	}
	defer rc.Close()
	if err := rc.SendOnConnect(websocket.Text, []byte("sub:prices")); err != nil {
		return err
	}
	if err := rc.WaitConnected(ctx); err != nil {
		return err
	}
	wait := func() (string, error) {
		select {
		case m := <-got:
			return m, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	m, err := wait()
	if err != nil {
		return err
	}
	fmt.Println("first connection:", m, "reconnected:", <-opened)

	first := rc.Conn()
	s1.stop() // the server goes away
	if first != nil {
		select {
		case <-first.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := rc.Send(ctx, websocket.Text, []byte("sent while down")); err != nil {
		return err
	}
	s2, _, err := start(addr) // and comes back on the same address
	if err != nil {
		return err
	}
	defer s2.stop()
	m, err = wait()
	if err != nil {
		return err
	}
	fmt.Println("after restart:", m, "reconnected:", <-opened)
	if _, err := s2.srv.Publish("prices", websocket.Text, []byte("ACME 101.5")); err != nil {
		return err
	}
	m, err = wait()
	if err != nil {
		return err
	}
	fmt.Println("topic message after restart:", m)
	for ctx.Err() == nil {
		s2.mu.Lock()
		n := len(s2.seen)
		s2.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s2.mu.Lock()
	fmt.Println("queued message delivered:", s2.seen)
	s2.mu.Unlock()
	fmt.Println("reconnects:", rc.Reconnects())
	return nil
}
