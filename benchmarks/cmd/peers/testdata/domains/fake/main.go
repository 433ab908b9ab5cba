// Command fake is a stand-in domain program for the runner's tests: it
// prints fixed results in the common JSON-lines format.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/infra-arsenal/arsenal/bench"
)

func main() {
	quick := flag.Bool("quick", false, "short run")
	flag.Parse()
	fmt.Fprintln(os.Stderr, "fake: starting, quick =", *quick)
	w := bench.NewLineWriter(os.Stdout)
	fmt.Println("a stray human line on stdout that the runner must skip")
	_ = w.Measurement("fake", "GET, 64 callers", "arsenal", "ops/s", 400000, true)
	_ = w.Measurement("fake", "GET, 64 callers", "raw driver", "ops/s", 420000, true)
	_ = w.Measurement("fake", "GET, 64 callers", "go-peer", "ops/s", 100000, true)
	_ = w.Measurement("fake", "GET, 64 callers", "bun", "ops/s", 200000, true)
	_ = w.Measurement("fake", "GET, serial", "arsenal", "p99 ms", 0.5, false)
	_ = w.Measurement("fake", "GET, serial", "go-peer", "p99 ms", 1.5, false)
	_ = w.Measurement("fake", "GET, serial", "limit", "p99 ms", 0.25, false)
	_ = w.Measurement("fake", "list 16000 objects", "arsenal sequential", "objects/s", 1000, true)
	_ = w.Measurement("fake", "list 16000 objects", "arsenal parallel", "objects/s", 2500, true)
	_ = w.Check("fake", "64-caller GET >= 3x go-peer", true, "4.0x")
	_ = w.Check("fake", "64-caller GET >= 3x bun", false, "2.0x")
	if *quick {
		_ = w.Check("fake", "ran quick", true, "-quick passed through")
	}
}
