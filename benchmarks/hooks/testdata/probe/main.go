// Command probe is built by the hooks benchmark inside a copy of the
// library at one commit, once from before a domain's observer hooks and
// once from the commit that added them, so the two builds differ only by
// the hooks. It uses only API that both commits have.
//
// It reads requests from stdin, one per line, "<op> <first> <n>" with op
// get, set or point, runs calls first..first+n-1 and answers with the
// nanoseconds they took, or "error <text>".
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func main() {
	addr := flag.String("redis", "", "redis-server address (host:port)")
	db := flag.String("db", "", "SQLite file holding table bench (id, name, score), ids 1..10000")
	key := flag.String("key", "bench:hooks", "Redis key")
	flag.Parse()
	ctx := context.Background()
	ops := map[string]func(i int) error{}
	if *addr != "" {
		c, err := redis.Open(ctx, redis.Config{Addrs: []string{*addr}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			os.Exit(1)
		}
		defer c.Close()
		ops["set"] = func(int) error { return c.Set(ctx, *key, "value") }
		ops["get"] = func(int) error { _, err := c.Get(ctx, *key); return err }
	}
	if *db != "" {
		d, err := sqlite.Open(ctx, sqlite.Config{Path: *db, Readers: 8})
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			os.Exit(1)
		}
		defer d.Close()
		var id int64
		var name string
		var score float64
		ops["point"] = func(i int) error {
			return d.QueryRow(ctx, "SELECT id, name, score FROM bench WHERE id = ?", i%10000+1).Scan(&id, &name, &score)
		}
	}
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) != 3 {
			fmt.Fprintln(out, "error want: op first n")
			out.Flush()
			continue
		}
		op, ok := ops[f[0]]
		first, err1 := strconv.Atoi(f[1])
		n, err2 := strconv.Atoi(f[2])
		if !ok || err1 != nil || err2 != nil {
			fmt.Fprintln(out, "error bad request", strconv.Quote(in.Text()))
			out.Flush()
			continue
		}
		start := time.Now()
		var err error
		for i := first; i < first+n && err == nil; i++ {
			err = op(i)
		}
		if err != nil {
			fmt.Fprintln(out, "error", strconv.Quote(err.Error()))
		} else {
			fmt.Fprintln(out, time.Since(start).Nanoseconds())
		}
		out.Flush()
	}
}
