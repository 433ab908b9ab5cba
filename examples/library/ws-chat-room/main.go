// Command ws-chat-room is a chat server on WebSocket topics: each client
// joins a room (Subscribe on the server side), a message goes to everyone
// else in the room (Conn.Publish), and the server announces joins to the room
// with Server.Publish.
//
//	go run ./examples/library/ws-chat-room [-addr 127.0.0.1:0]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
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

// user is what the server keeps per connection (Conn.Data).
type user struct{ name, room string }

func newChat() (*websocket.Server, error) {
	var srv *websocket.Server
	var err error
	srv, err = websocket.NewServer(websocket.ServerConfig{
		// ws://host/?room=lobby&name=ada
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			return &user{name: r.URL.Query().Get("name"), room: r.URL.Query().Get("room")}, nil, nil
		},
		OnOpen: func(c *websocket.Conn) {
			u := c.Data().(*user)
			_, _ = srv.Publish(u.room, websocket.Text, []byte("* "+u.name+" joined"))
			_ = c.Subscribe(u.room)
		},
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			u := c.Data().(*user)
			_, _ = c.Publish(u.room, websocket.Text, []byte(u.name+": "+string(data)))
		},
	})
	return srv, err
}

func run(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := newChat()
	if err != nil {
		return err
	}
	url, stop, err := serve(srv, addr)
	if err != nil {
		return err
	}
	defer stop()

	join := func(name, room string) (*websocket.Conn, error) {
		c, err := websocket.Dial(ctx, url+"?room="+room+"&name="+name, nil)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	ada, err := join("ada", "lobby")
	if err != nil {
		return err
	}
	defer ada.Close()
	waitCount(ctx, srv, "lobby", 1)
	bob, err := join("bob", "lobby")
	if err != nil {
		return err
	}
	defer bob.Close()
	waitCount(ctx, srv, "lobby", 2)
	eve, err := join("eve", "kitchen")
	if err != nil {
		return err
	}
	defer eve.Close()
	waitCount(ctx, srv, "kitchen", 1)
	fmt.Printf("lobby has %d members, kitchen %d\n", srv.SubscriberCount("lobby"), srv.SubscriberCount("kitchen"))

	if err := bob.WriteText(ctx, "hi all"); err != nil {
		return err
	}
	var got []string
	for range 2 { // ada hears bob join, then bob's message
		_, m, err := ada.Read(ctx)
		if err != nil {
			return err
		}
		got = append(got, string(m))
	}
	fmt.Println("ada received:", strings.Join(got, " | "))
	// eve, in another room, receives nothing within a short wait.
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	_, m, err := eve.Read(short)
	cancelShort()
	fmt.Println("eve received from the lobby:", err == nil, string(m))
	return nil
}

// waitCount waits until the server has subscribed n connections to room
// (OnOpen runs just after the handshake completes).
func waitCount(ctx context.Context, srv *websocket.Server, room string, n int) {
	for srv.SubscriberCount(room) < n && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
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
