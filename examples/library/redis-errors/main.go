// Command redis-errors shows Arsenal's coded errors on real Redis replies:
// each failure carries a Code, and arsenal.Classify says whether the call is
// safe to retry and what to do (retry, reconnect, re-authenticate or fail),
// without matching any message text.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-errors
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/infra-arsenal/arsenal"
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

func report(what string, err error) {
	c := arsenal.Classify(err)
	fmt.Printf("%-22s code=%v retryable=%v action=%v\n", what+":", c.Code, c.Retryable, c.Action)
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

	if _, err := c.Del(ctx, "example:errors:list"); err != nil {
		return err
	}
	if _, err := c.RPush(ctx, "example:errors:list", "a"); err != nil {
		return err
	}
	_, err = c.Get(ctx, "example:errors:missing")
	report("missing key", err)
	fmt.Println("  IsNotFound:", redis.IsNotFound(err))
	_, err = c.Get(ctx, "example:errors:list")
	report("wrong type", err)
	_, err = c.Do(ctx, "NOSUCHCOMMAND")
	report("unknown command", err)
	_, err = c.Eval(ctx, "return redis.call('INCR', KEYS[1], 'extra')", []string{"example:errors:n"})
	report("script error", err)
	short, cancelShort := context.WithTimeout(ctx, time.Millisecond)
	defer cancelShort()
	_, err = c.BLPop(short, time.Second, "example:errors:empty")
	report("deadline", err)
	if err := c.Close(); err != nil {
		return err
	}
	_, err = c.Get(ctx, "example:errors:missing")
	report("after Close", err)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
