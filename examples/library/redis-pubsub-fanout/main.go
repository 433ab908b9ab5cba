// Command redis-pubsub-fanout fans one publisher's messages out to several
// subscribers over Redis pub/sub: each subscriber (a client of its own, as
// separate services would be) gets every message, in order, and PUBLISH
// reports how many connections received it.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-pubsub-fanout
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
)

func main() {
	url := flag.String("redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	subs := flag.Int("subscribers", 3, "subscribers")
	flag.Parse()
	if err := run(*url, *subs); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(url string, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()

	channel := fmt.Sprintf("example:news:%d", time.Now().UnixNano())
	got := make([]chan string, n)
	for i := range n {
		got[i] = make(chan string, 16)
		sc, err := redis.Open(ctx, cfg)
		if err != nil {
			return err
		}
		defer sc.Close()
		sub, err := sc.Subscribe(ctx, func(m redis.Message) { got[i] <- m.Payload }, channel)
		if err != nil {
			return err
		}
		defer sub.Unsubscribe(context.Background())
	}
	msgs := []string{"breaking", "weather", "sports"}
	for _, m := range msgs {
		receivers, err := c.Publish(ctx, channel, m)
		if err != nil {
			return err
		}
		fmt.Printf("published %q to %d subscribers\n", m, receivers)
	}
	for i := range n {
		var seen []string
		for range msgs {
			select {
			case p := <-got[i]:
				seen = append(seen, p)
			case <-ctx.Done():
				return fmt.Errorf("subscriber %d: %w", i+1, ctx.Err())
			}
		}
		fmt.Printf("subscriber %d got %s\n", i+1, strings.Join(seen, ","))
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
