package bench_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/infra-arsenal/arsenal/bench"
)

// Run measures an operation serially and at each concurrency level.
func ExampleRun() {
	res, err := bench.Run(context.Background(), "noop", bench.Config{Levels: []int{2, 8}, Count: 1000},
		func(ctx context.Context) error { return nil })
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range res.Levels {
		fmt.Printf("%d callers: %d calls, %d errors\n", l.Concurrency, l.Ops, l.Errors)
	}
	// Output:
	// 1 callers: 1000 calls, 0 errors
	// 2 callers: 1000 calls, 0 errors
	// 8 callers: 1000 calls, 0 errors
}

// SpreadOf summarises per-round ratios by median, quartiles and extremes.
func ExampleSpreadOf() {
	s := bench.SpreadOf([]float64{2.1, 2.4, 2.2, 2.3, 2.0})
	fmt.Printf("median %.1f, IQR %.1f-%.1f, range %.1f-%.1f\n", s.Median, s.Q1, s.Q3, s.Min, s.Max)
	// Output: median 2.2, IQR 2.1-2.3, range 2.0-2.4
}

// CompareBenchmarks tells regressions from noise in `go test -bench` output.
func ExampleCompareBenchmarks() {
	old, _ := bench.ReadBenchmarks(strings.NewReader(`
BenchmarkGet-2 1000 1000 ns/op
BenchmarkGet-2 1000 1010 ns/op
BenchmarkGet-2 1000 990 ns/op
BenchmarkGet-2 1000 1005 ns/op
BenchmarkGet-2 1000 995 ns/op
`), "old")
	new, _ := bench.ReadBenchmarks(strings.NewReader(`
BenchmarkGet-2 1000 1300 ns/op
BenchmarkGet-2 1000 1290 ns/op
BenchmarkGet-2 1000 1310 ns/op
BenchmarkGet-2 1000 1305 ns/op
BenchmarkGet-2 1000 1295 ns/op
`), "new")
	report := bench.CompareBenchmarks(old, new, bench.RegressionConfig{})
	for _, c := range report.Changes {
		fmt.Println(c)
	}
	// Output: Get-2 sec/op: 1.000µ -> 1.300µ (+30.00%, p=0.008 n=5+5): regression
}

// The side-by-side programs in benchmarks write one JSON line per figure.
func ExampleLineWriter() {
	w := bench.NewLineWriter(os.Stdout)
	_ = w.Measurement("redis", "GET, 64 callers", "arsenal", "ops/s", 412345.6, true)
	_ = w.Check("redis", "64-caller GET >= 4x go-redis", true, "5.1x")
	// Output:
	// {"domain":"redis","workload":"GET, 64 callers","impl":"arsenal","metric":"ops/s","value":412345.6,"better":"higher"}
	// {"domain":"redis","check":"64-caller GET >= 4x go-redis","pass":true,"detail":"5.1x"}
}
