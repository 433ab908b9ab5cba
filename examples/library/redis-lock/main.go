// Command redis-lock is a distributed lock on one Redis: SET key token NX PX
// takes it with an expiry (so a crashed holder cannot block others for ever),
// and a Lua script releases it only if the caller still holds it.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-lock
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
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

var release = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Lock is one held lock.
type Lock struct {
	c          *redis.Client
	key, token string
}

// TryLock takes the lock named name for ttl, or reports false if another holds it.
func TryLock(ctx context.Context, c *redis.Client, name string, ttl time.Duration) (*Lock, bool, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, false, err
	}
	l := &Lock{c: c, key: "example:lock:" + name, token: hex.EncodeToString(b)}
	r, err := c.SetWith(ctx, l.key, l.token, redis.SetOptions{NX: true, PX: ttl})
	if err != nil || !r.Set {
		return nil, false, err
	}
	return l, true, nil
}

// Unlock releases the lock if it is still ours.
func (l *Lock) Unlock(ctx context.Context) (bool, error) {
	r, err := release.Run(ctx, l.c, []string{l.key}, l.token)
	if err != nil {
		return false, err
	}
	n, err := r.Int64()
	return n == 1, err
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
	if _, err := c.Del(ctx, "example:lock:report", "example:lock:counter"); err != nil {
		return err
	}

	// Five goroutines race for the lock; exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	var held *Lock
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, ok, err := TryLock(ctx, c, "report", 10*time.Second)
			if err == nil && ok {
				mu.Lock()
				winners++
				held = l
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Println("winners:", winners)
	if held == nil {
		return fmt.Errorf("no goroutine took the lock")
	}
	// An expired lock taken over by someone else is not released by its old holder.
	old, ok, err := TryLock(ctx, c, "counter", 50*time.Millisecond)
	if err != nil || !ok {
		return fmt.Errorf("take counter lock: %v", err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, ok, err = TryLock(ctx, c, "counter", 10*time.Second); err != nil || !ok {
		return fmt.Errorf("take over expired lock: ok=%v %v", ok, err)
	}
	released, err := old.Unlock(ctx)
	if err != nil {
		return err
	}
	fmt.Println("stale holder released someone else's lock:", released)
	released, err = held.Unlock(ctx)
	if err != nil {
		return err
	}
	fmt.Println("holder released its lock:", released)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
