// Command redis-cache is a read-through cache: reads go to Redis first and
// fall back to a slow loader (standing in for a database) on a miss, storing
// the result with a TTL. Writes invalidate the cached value.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-cache
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

// Cache reads through Redis to a loader.
type Cache struct {
	rc           *redis.Client
	ttl          time.Duration
	load         func(ctx context.Context, id string) (string, error)
	hits, misses int
}

// Get returns the value of id from the cache, loading and storing it on a miss.
func (c *Cache) Get(ctx context.Context, id string) (string, error) {
	key := "example:cache:product:" + id
	v, err := c.rc.Get(ctx, key)
	if err == nil {
		c.hits++
		return v, nil
	}
	if !redis.IsNotFound(err) {
		return "", err
	}
	c.misses++
	v, err = c.load(ctx, id)
	if err != nil {
		return "", err
	}
	return v, c.rc.SetEx(ctx, key, v, c.ttl)
}

// Invalidate drops the cached value of id after a write.
func (c *Cache) Invalidate(ctx context.Context, id string) error {
	_, err := c.rc.Del(ctx, "example:cache:product:"+id)
	return err
}

func run(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	rc, err := redis.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer rc.Close()

	db := map[string]string{"42": "blue teapot", "7": "red kettle"}
	loads := 0
	cache := &Cache{rc: rc, ttl: time.Minute, load: func(ctx context.Context, id string) (string, error) {
		loads++
		time.Sleep(20 * time.Millisecond) // a slow query
		return db[id], nil
	}}
	if err := cache.Invalidate(ctx, "42"); err != nil {
		return err
	}
	for range 3 {
		v, err := cache.Get(ctx, "42")
		if err != nil {
			return err
		}
		fmt.Println("product 42:", v)
	}
	db["42"] = "green teapot"
	if err := cache.Invalidate(ctx, "42"); err != nil {
		return err
	}
	v, err := cache.Get(ctx, "42")
	if err != nil {
		return err
	}
	fmt.Println("after update:", v)
	ttl, err := rc.TTL(ctx, "example:cache:product:42")
	if err != nil {
		return err
	}
	fmt.Printf("hits=%d misses=%d loads=%d ttl<=1m:%v\n", cache.hits, cache.misses, loads, ttl > 0 && ttl <= time.Minute)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
