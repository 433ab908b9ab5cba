// Command redis-client-cache serves hot reads from the client-side cache
// (RESP3 CLIENT TRACKING): a repeated CachedGet costs no round trip, and when
// another client changes the key the server invalidates the cached copy, so
// the next read sees the new value.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-client-cache
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
	reader, err := redis.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer reader.Close()
	writer, err := redis.Open(ctx, cfg) // another process, say
	if err != nil {
		return err
	}
	defer writer.Close()

	enabled, reason := reader.CacheInfo()
	fmt.Println("client-side cache enabled:", enabled)
	if !enabled {
		fmt.Println("  (the server has no CLIENT TRACKING:", reason+"; CachedGet is a plain GET)")
	}
	const key = "example:flags:checkout"
	if err := writer.Set(ctx, key, "v1"); err != nil {
		return err
	}
	for range 3 {
		v, err := reader.CachedGet(ctx, key, time.Minute)
		if err != nil {
			return err
		}
		fmt.Println("read:", v)
	}
	st := reader.ClientStats()
	fmt.Printf("cache hits=%d misses=%d\n", st.CacheHits, st.CacheMisses)
	if err := writer.Set(ctx, key, "v2"); err != nil {
		return err
	}
	// The invalidation arrives asynchronously; it is usually there at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := reader.CachedGet(ctx, key, time.Minute)
		if err != nil {
			return err
		}
		if v == "v2" {
			fmt.Println("after another client's write:", v)
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the cached value was never invalidated (still %q)", v)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
