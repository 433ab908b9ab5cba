// Command redis-ws-bridge pushes Redis pub/sub messages to browsers: a
// WebSocket server pattern-subscribes to example:bridge:* on Redis and
// republishes each message to the WebSocket topic named after the channel, so
// any process that PUBLISHes reaches every connected client of that topic.
// Both components sit in one Hub for health checks.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-ws-bridge [-addr 127.0.0.1:0]
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

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/websocket"
)

func main() {
	redisURL := flag.String("redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	addr := flag.String("addr", "127.0.0.1:0", "address of the WebSocket server")
	flag.Parse()
	if err := run(*redisURL, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

const prefix = "example:bridge:"

func run(redisURL, addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	rc, err := redis.Open(ctx, cfg)
	if err != nil {
		return err
	}
	// ws://host/?topic=orders subscribes the client to "orders".
	ws, err := websocket.NewServer(websocket.ServerConfig{
		OnOpen: func(c *websocket.Conn) { _ = c.Subscribe(c.Data().(string)) },
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			t := r.URL.Query().Get("topic")
			if t == "" {
				return nil, nil, arsenal.Errorf(arsenal.InvalidArgument, websocket.Kind, "upgrade", "topic is required")
			}
			return t, nil, nil
		},
	})
	if err != nil {
		rc.Close()
		return err
	}
	hub := arsenal.NewHub()
	defer hub.Close()
	_ = hub.Add("redis", rc)
	_ = hub.Add("websocket", ws)

	forwarded := make(chan int, 16)
	sub, err := rc.PSubscribe(ctx, func(m redis.Message) {
		n, _ := ws.Publish(strings.TrimPrefix(m.Channel, prefix), websocket.Text, []byte(m.Payload))
		forwarded <- n
	}, prefix+"*")
	if err != nil {
		return err
	}
	defer sub.Unsubscribe(context.Background())

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: ws, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	url := "ws://" + ln.Addr().String() + "/"

	var clients []*websocket.Conn
	for _, topic := range []string{"orders", "orders", "prices"} {
		c, err := websocket.Dial(ctx, url+"?topic="+topic, nil)
		if err != nil {
			return err
		}
		defer c.Close()
		clients = append(clients, c)
	}
	for (ws.SubscriberCount("orders") < 2 || ws.SubscriberCount("prices") < 1) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Println("health:", hub.Health(ctx).Healthy())

	// Any process may publish; here the same client does.
	if _, err := rc.Publish(ctx, prefix+"orders", `{"order":1001,"status":"paid"}`); err != nil {
		return err
	}
	select {
	case n := <-forwarded:
		fmt.Println("forwarded to websocket clients:", n)
	case <-ctx.Done():
		return ctx.Err()
	}
	for i, c := range clients[:2] {
		_, m, err := c.Read(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("orders client %d got %s\n", i+1, m)
	}
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	_, _, err = clients[2].Read(short)
	cancelShort()
	fmt.Println("prices client got an orders message:", err == nil)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
