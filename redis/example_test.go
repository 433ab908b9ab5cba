package redis_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// A missing key is a NotFound error, never an empty string. (The example
// runs on an embedded miniredis so that it needs no server.)
func Example() {
	m, err := miniredis.Run()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx := context.Background()
	c, err := redis.Open(ctx, redis.Config{Addrs: []string{m.Addr()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_ = c.Set(ctx, "greeting", "hello")
	v, _ := c.Get(ctx, "greeting")
	_, err = c.Get(ctx, "nothing")
	fmt.Println(v, redis.IsNotFound(err), arsenal.CodeOf(err))
	// Output: hello true NotFound
}

func ExampleParseURL() {
	cfg, err := redis.ParseURL("rediss://app:secret@cache.internal:6380/2?connect_timeout=3s")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Addrs, cfg.DB, cfg.TLS, cfg.Username, cfg.ConnectTimeout)
	_, err = redis.ParseURL("redis://app:secret@cache.internal:6380/?bogus=1")
	fmt.Println(err)
	// Output:
	// [cache.internal:6380] 2 true app 3s
	// redis: parse url: InvalidArgument: redis://app:xxxxx@cache.internal:6380/?bogus=1: unknown parameter "bogus"
}

func ExampleClient_Pipeline() {
	m, err := miniredis.Run()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx := context.Background()
	c, err := redis.Open(ctx, redis.Config{Addrs: []string{m.Addr()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	p := c.Pipeline()
	p.Set("a", "1")
	n := p.IncrBy("a", 41)
	p.Expire("a", time.Minute)
	if err := p.Exec(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.Val())
	// Output: 42
}
