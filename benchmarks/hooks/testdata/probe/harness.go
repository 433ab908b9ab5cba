// Command probe is built by the hooks benchmark beside two copies of the
// library, one at the commit before a domain's observer hooks
// (arsenal.test/before) and one at the commit that added them
// (arsenal.test/after), so the same calls through both run in one
// process, interleaved, and differ only by the hooks. It uses only API
// that both commits have, and prints one line per pair:
//
//	<workload> <calls a side> <seconds before> <seconds after>
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"
)

var (
	pairs = flag.Int("pairs", 200, "pairs per workload")
	addr  = flag.String("redis", "", "redis-server address (host:port)")
	db    = flag.String("db", "", "SQLite file holding table bench (id, name, score), ids 1..10000")
	key   = flag.String("key", "bench:hooks", "Redis key")
)

// A workload is one call through each build.
type workload struct {
	name          string
	n, sub        int // calls per sub-block, sub-blocks per pair
	before, after func(i int) error
}

func main() {
	flag.Parse()
	ws, closeAll, err := workloads(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
	defer closeAll()
	for _, w := range ws {
		if err := measure(w); err != nil {
			fmt.Fprintln(os.Stderr, "probe:", w.name+":", err)
			closeAll()
			os.Exit(1)
		}
	}
}

func timeCalls(first, n int, fn func(int) error) (float64, error) {
	start := time.Now()
	for i := first; i < first+n; i++ {
		if err := fn(i); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

// measure runs a warm-up pair and then *pairs pairs, each of w.sub
// interleaved sub-blocks (before after, after before, ...) of w.n calls.
func measure(w workload) error {
	next := 0
	for p := -1; p < *pairs; p++ {
		var tb, ta float64
		for j := range w.sub {
			x, y := w.before, w.after
			if j%2 == 1 {
				x, y = y, x
			}
			tx, err := timeCalls(next, w.n, x)
			if err != nil {
				return err
			}
			ty, err := timeCalls(next, w.n, y)
			if err != nil {
				return err
			}
			next += w.n
			if j%2 == 1 {
				tx, ty = ty, tx
			}
			tb, ta = tb+tx, ta+ty
		}
		if p >= 0 {
			fmt.Printf("%s %d %.9f %.9f\n", w.name, w.n*w.sub, tb, ta)
		}
	}
	return nil
}
