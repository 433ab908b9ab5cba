// Command redis-pipeline sends many commands in one round trip with an
// explicit Pipeline, reads each result from its Future, and compares the
// time with one round trip per command.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-pipeline
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
	n := flag.Int("n", 200, "commands")
	flag.Parse()
	if err := run(*url, *n); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(url string, n int) error {
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

	start := time.Now()
	for i := range n {
		if err := c.Set(ctx, "example:pipe:"+strconv.Itoa(i), strconv.Itoa(i*i)); err != nil {
			return err
		}
	}
	oneByOne := time.Since(start)

	p := c.Pipeline()
	gets := make([]*redis.Future[string], n)
	for i := range n {
		gets[i] = p.Get("example:pipe:" + strconv.Itoa(i))
	}
	hits := p.Incr("example:pipe:hits")
	start = time.Now()
	if err := p.Exec(ctx); err != nil {
		return err
	}
	batched := time.Since(start)
	sum := 0
	for _, f := range gets {
		v, err := f.Result()
		if err != nil {
			return err
		}
		x, _ := strconv.Atoi(v)
		sum += x
	}
	fmt.Printf("pipelined %d commands in one batch\n", p.Len())
	fmt.Println("sum of squares:", sum)
	fmt.Println("hits counter:", hits.Val() >= 1)
	fmt.Printf("one by one %v, pipelined %v\n", oneByOne.Round(time.Microsecond), batched.Round(time.Microsecond))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "example:pipe:" + strconv.Itoa(i)
	}
	_, err = c.Del(ctx, keys...)
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
