// Command redis-leaderboard keeps a game leaderboard in a Redis sorted set:
// ZADD for scores, ZINCRBY for points won, ZREVRANGE for the top players and
// ZREVRANK for a player's position.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-leaderboard
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

	const board = "example:leaderboard"
	if _, err := c.Del(ctx, board); err != nil {
		return err
	}
	if _, err := c.ZAdd(ctx, board, redis.Z{Member: "ada", Score: 120}, redis.Z{Member: "bob", Score: 95},
		redis.Z{Member: "cyd", Score: 130}, redis.Z{Member: "dan", Score: 60}); err != nil {
		return err
	}
	score, err := c.ZIncrBy(ctx, board, 15, "bob")
	if err != nil {
		return err
	}
	fmt.Printf("bob now has %.0f\n", score)
	top, err := c.ZRevRange(ctx, board, 0, 2)
	if err != nil {
		return err
	}
	for i, name := range top {
		s, err := c.ZScore(ctx, board, name)
		if err != nil {
			return err
		}
		fmt.Printf("#%d %s %.0f\n", i+1, name, s)
	}
	rank, err := c.ZRevRank(ctx, board, "dan")
	if err != nil {
		return err
	}
	fmt.Printf("dan is #%d\n", rank+1)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
