package wsredis_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/infra-arsenal/arsenal/wsredis"
)

// Two WebSocket servers sharing their topics through Redis, as two
// processes of one service would: a publish on server A reaches a client
// of server B. (The tests point REDIS_URL at the redis-server they start.)
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rcfg, err := redis.DefaultConfig() // REDIS_URL, else localhost:6379
	if err != nil {
		log.Fatal(err)
	}
	newServer := func(cfg websocket.ServerConfig) *websocket.Server {
		rc, err := redis.Open(ctx, rcfg)
		if err != nil {
			log.Fatal(err)
		}
		b, err := wsredis.New(ctx, wsredis.Config{Client: rc, Prefix: "example"})
		if err != nil {
			log.Fatal(err)
		}
		cfg.Broker = b
		srv, err := websocket.NewServer(cfg)
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			<-ctx.Done()
			_ = srv.Close()
			_ = b.Close()
			_ = rc.Close()
		}()
		return srv
	}
	a := newServer(websocket.ServerConfig{})
	b := newServer(websocket.ServerConfig{
		OnOpen: func(c *websocket.Conn) { _ = c.Subscribe("news") },
	})
	hs := httptest.NewServer(b) // http.ListenAndServe(":8080", b) in a real service
	defer hs.Close()

	conn, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	// Presence is eventually consistent: wait until A sees B's subscriber.
	for n := 0; n == 0; time.Sleep(10 * time.Millisecond) {
		if n, err = a.Subscribers(ctx, "news"); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := a.Publish("news", websocket.Text, []byte("hello from server A")); err != nil {
		log.Fatal(err)
	}
	_, data, err := conn.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data))
	// Output: hello from server A
}
