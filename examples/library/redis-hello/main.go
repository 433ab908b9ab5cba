// Command redis-hello connects to Redis, sets, reads and deletes a key, and
// shows that a missing key is a NotFound error rather than "".
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-hello
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
)

func main() {
	url := flag.String("redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	flag.Parse()
	if err := run(*url); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(url string) error {
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

	const key = "example:hello:greeting"
	if err := c.Set(ctx, key, "hello, arsenal"); err != nil {
		return err
	}
	v, err := c.Get(ctx, key)
	if err != nil {
		return err
	}
	fmt.Println("get:", v)
	n, err := c.Del(ctx, key)
	if err != nil {
		return err
	}
	fmt.Println("deleted:", n)
	if _, err := c.Get(ctx, key); redis.IsNotFound(err) {
		fmt.Println("after delete: not found")
	} else {
		return fmt.Errorf("expected NotFound after delete, got %v", err)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
