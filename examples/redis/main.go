// Command redis shows Arsenal's Redis client: typed commands, a pipeline,
// pub/sub, a WATCH transaction, client-side caching and latency stats.
//
// It connects to REDIS_URL (or VALKEY_URL). Without either it starts an
// embedded miniredis and says so: a stand-in without CLIENT TRACKING, so
// client-side caching is reported off there.
//
//	go run ./examples/redis
//	REDIS_URL=redis://127.0.0.1:6379/0 go run ./examples/redis
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run runs the tour, writing what it does to out.
func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var cfg redis.Config
	if os.Getenv("REDIS_URL") == "" && os.Getenv("VALKEY_URL") == "" {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return err
		}
		defer m.Close()
		fmt.Fprintf(out, "no REDIS_URL: using an embedded miniredis at %s (a stand-in, not a real server)\n", m.Addr())
		cfg = redis.Config{Addrs: []string{m.Addr()}}
	} else {
		var err error
		if cfg, err = redis.DefaultConfig(); err != nil {
			return err
		}
	}
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintln(out, "connected:", c.Describe())
	prefix := "example:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"

	// Typed commands: Go values back, a missing key is NotFound, not "".
	if err := c.Set(ctx, prefix+"greeting", "hello"); err != nil {
		return err
	}
	v, _ := c.Get(ctx, prefix+"greeting")
	n, _ := c.Incr(ctx, prefix+"visits")
	_, err = c.Get(ctx, prefix+"missing")
	fmt.Fprintf(out, "get=%q incr=%d missing-key NotFound=%v\n", v, n, redis.IsNotFound(err))
	if _, err := c.HSet(ctx, prefix+"user", "name", "ada", "lang", "go"); err != nil {
		return err
	}
	user, _ := c.HGetAll(ctx, prefix+"user")
	fmt.Fprintln(out, "hgetall:", user)

	// An explicit pipeline: many commands, one round trip.
	p := c.Pipeline()
	for i := 0; i < 5; i++ {
		p.RPush(prefix+"list", "item"+strconv.Itoa(i))
	}
	lr := p.LRange(prefix+"list", 0, -1)
	if err := p.Exec(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "pipeline lrange:", lr.Val())

	// Pub/sub on a second connection.
	sub, err := c.Duplicate(ctx)
	if err != nil {
		return err
	}
	defer sub.Close()
	got := make(chan redis.Message, 1)
	if _, err := sub.Subscribe(ctx, func(m redis.Message) { got <- m }, prefix+"events"); err != nil {
		return err
	}
	if _, err := c.Publish(ctx, prefix+"events", "deployed"); err != nil {
		return err
	}
	select {
	case m := <-got:
		fmt.Fprintf(out, "pub/sub: %s <- %q\n", m.Channel, m.Payload)
	case <-ctx.Done():
		return ctx.Err()
	}

	// A WATCH transaction: optimistic locking, retried on conflict.
	if err := c.Set(ctx, prefix+"balance", "100"); err != nil {
		return err
	}
	err = c.WatchRetry(ctx, 10, func(tx *redis.Tx) error {
		s, err := tx.Get(ctx, prefix+"balance")
		if err != nil {
			return err
		}
		bal, _ := strconv.Atoi(s)
		return tx.Exec(ctx, func(p *redis.Pipeline) error {
			p.Set(prefix+"balance", strconv.Itoa(bal-30))
			return nil
		})
	}, prefix+"balance")
	if err != nil {
		return err
	}
	bal, _ := c.Get(ctx, prefix+"balance")
	fmt.Fprintln(out, "transaction: balance", bal)

	// Client-side caching (where the server supports CLIENT TRACKING).
	for i := 0; i < 3; i++ {
		if _, err := c.CachedGet(ctx, prefix+"greeting", time.Minute); err != nil {
			return err
		}
	}
	on, why := c.CacheInfo()
	cs := c.ClientStats()
	fmt.Fprintf(out, "client-side cache: enabled=%v %s hits=%v misses=%v\n", on, why, cs.CacheHits, cs.CacheMisses)
	st := c.Stats()

	// Coded errors.
	_, err = c.LPush(ctx, prefix+"greeting", "x")
	var ae *arsenal.Error
	if errors.As(err, &ae) {
		fmt.Fprintf(out, "wrong type: code=%v retryable=%v\n", ae.Code, arsenal.Classify(err).Retryable)
	}

	// Latency stats per command.
	for _, name := range st.OpNames() {
		o := st.Ops[name]
		fmt.Fprintf(out, "  %-12s n=%-3d p50=%-9s p99=%s\n", name, o.Count, o.P50, o.P99)
	}
	_, _ = c.Del(ctx, prefix+"greeting", prefix+"visits", prefix+"user", prefix+"list", prefix+"balance")
	return nil
}
