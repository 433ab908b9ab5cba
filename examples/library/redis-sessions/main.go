// Command redis-sessions stores web sessions as Redis hashes with a sliding
// TTL: login creates the hash and its expiry, each request reads it and
// extends the TTL, logout deletes it.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-sessions
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

const idle = 30 * time.Minute

// Login creates a session for user and returns its id.
func Login(ctx context.Context, c *redis.Client, user, role string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	key := "example:session:" + id
	if _, err := c.HSet(ctx, key, "user", user, "role", role, "created", time.Now().UTC().Format(time.RFC3339)); err != nil {
		return "", err
	}
	_, err := c.Expire(ctx, key, idle)
	return id, err
}

// Touch reads a session and slides its expiry; a missing one is NotFound.
func Touch(ctx context.Context, c *redis.Client, id string) (map[string]string, error) {
	key := "example:session:" + id
	s, err := c.HGetAll(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("session expired or logged out")
	}
	_, err = c.Expire(ctx, key, idle)
	return s, err
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

	id, err := Login(ctx, c, "ada", "admin")
	if err != nil {
		return err
	}
	s, err := Touch(ctx, c, id)
	if err != nil {
		return err
	}
	fmt.Printf("session user=%s role=%s\n", s["user"], s["role"])
	ttl, err := c.TTL(ctx, "example:session:"+id)
	if err != nil {
		return err
	}
	fmt.Println("ttl set:", ttl > 29*time.Minute && ttl <= idle)
	if _, err := c.Del(ctx, "example:session:"+id); err != nil {
		return err
	}
	if _, err := Touch(ctx, c, id); err != nil {
		fmt.Println("after logout:", err)
	}
	// A short-lived session really expires.
	if err := c.PSetEx(ctx, "example:session:short", "x", 100*time.Millisecond); err != nil {
		return err
	}
	time.Sleep(250 * time.Millisecond)
	n, err := c.Exists(ctx, "example:session:short")
	if err != nil {
		return err
	}
	fmt.Println("short session exists after its TTL:", n == 1)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
