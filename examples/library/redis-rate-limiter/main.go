// Command redis-rate-limiter limits requests per client with a fixed
// window counter kept in Redis by an atomic Lua script (INCR, and EXPIRE on
// the first hit of each window), so any number of processes share one limit.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-rate-limiter
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
)

func main() {
	url := flag.String("redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	limit := flag.Int("limit", 5, "requests allowed per window")
	flag.Parse()
	if err := run(*url, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// The script returns the count in the current window after this hit.
var hit = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Allow reports whether client may make one more request in this window.
func Allow(ctx context.Context, c *redis.Client, client string, limit int, window time.Duration) (bool, error) {
	slot := time.Now().UnixMilli() / window.Milliseconds()
	key := "example:ratelimit:" + client + ":" + strconv.FormatInt(slot, 10)
	r, err := hit.Run(ctx, c, []string{key}, strconv.FormatInt(window.Milliseconds(), 10))
	if err != nil {
		return false, err
	}
	n, err := r.Int64()
	if err != nil {
		return false, err
	}
	return n <= int64(limit), nil
}

func run(url string, limit int) error {
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

	// A one-hour window, so the demo never straddles two windows; a fresh
	// client name per run.
	client := "demo-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	allowed, denied := 0, 0
	for range limit + 3 {
		ok, err := Allow(ctx, c, client, limit, time.Hour)
		if err != nil {
			return err
		}
		if ok {
			allowed++
		} else {
			denied++
		}
	}
	fmt.Printf("allowed=%d denied=%d\n", allowed, denied)
	other, err := Allow(ctx, c, client+"-other", limit, time.Hour)
	if err != nil {
		return err
	}
	fmt.Println("another client allowed:", other)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
