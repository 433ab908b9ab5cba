// Command redis-transfer-tx moves money between two balances with optimistic
// locking: WATCH both keys, check the balance, and write in MULTI/EXEC;
// concurrent transfers that collide are retried, and the total never changes.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-transfer-tx
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
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

var errInsufficient = errors.New("insufficient funds")

// Transfer moves amount from one account to another atomically.
func Transfer(ctx context.Context, c *redis.Client, from, to string, amount int64) error {
	return c.WatchRetry(ctx, 50, func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, from)
		if err != nil {
			return err
		}
		bal, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		if bal < amount {
			return errInsufficient
		}
		return tx.Exec(ctx, func(p *redis.Pipeline) error {
			p.IncrBy(from, -amount)
			p.IncrBy(to, amount)
			return nil
		})
	}, from, to)
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

	a, b := "example:account:alice", "example:account:bob"
	if err := c.MSet(ctx, a, "100", b, "100"); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from, to := a, b
			if i%2 == 1 {
				from, to = b, a
			}
			errs <- Transfer(ctx, c, from, to, 5)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	vals, err := c.MGet(ctx, a, b)
	if err != nil {
		return err
	}
	x, _ := strconv.Atoi(vals[0].V)
	y, _ := strconv.Atoi(vals[1].V)
	fmt.Printf("20 concurrent transfers done; alice=%d bob=%d total=%d\n", x, y, x+y)
	if err := Transfer(ctx, c, a, b, 1000); errors.Is(err, errInsufficient) {
		fmt.Println("overdraft refused:", err)
	} else {
		return fmt.Errorf("expected the overdraft to be refused, got %v", err)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
