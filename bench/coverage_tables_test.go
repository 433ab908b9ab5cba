package bench_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
)

func TestTabulateGroupsLinesIntoRowsWithArsenalFirst(t *testing.T) {
	lines := []bench.Line{
		{Domain: "redis", Workload: "GET", Impl: "go-redis", Metric: "ops/s", Value: 100},
		{Domain: "redis", Workload: "GET", Impl: "arsenal", Metric: "ops/s", Value: 390},
		{Domain: "redis", Workload: "GET", Impl: "arsenal", Metric: "ops/s", Value: 410},
		{Domain: "redis", Workload: "GET", Impl: "arsenal", Metric: "ops/s", Value: 400},
		{Domain: "redis", Check: "GET >= 4x go-redis", Pass: true, Detail: "4.0x"},
		{Domain: "redis", Workload: "GET", Impl: "go-redis", Metric: "p99 ms", Value: 2},
		{Domain: "redis", Workload: "GET", Impl: "arsenal", Metric: "p99 ms", Value: 0.5},
		{Domain: "redis", Workload: "SET", Impl: "rueidis", Metric: "allocs", Value: 3, Better: "lower"},
	}
	tb := bench.Tabulate(lines)
	assert.Equal(t, []string{"arsenal", "go-redis", "rueidis"}, tb.Impls, "arsenal first, then in order of appearance")
	require.Len(t, tb.Checks, 1)
	assert.Equal(t, "GET >= 4x go-redis", tb.Checks[0].Check)
	require.Len(t, tb.Rows, 3)

	get := tb.Rows[0]
	assert.Equal(t, "GET", get.Workload)
	assert.Equal(t, "ops/s", get.Metric)
	assert.True(t, get.Higher)
	assert.Equal(t, 400.0, get.Values["arsenal"], "the median of the three figures")
	assert.InDelta(t, 4.0, get.Advantage("go-redis"), 1e-9, "4x the throughput")

	p99 := tb.Rows[1]
	assert.False(t, p99.Higher)
	assert.InDelta(t, 4.0, p99.Advantage("go-redis"), 1e-9, "a quarter of the latency")

	set := tb.Rows[2]
	assert.True(t, math.IsNaN(set.Advantage("rueidis")), "no arsenal figure")
	assert.True(t, math.IsNaN(get.Advantage("bun")), "no figure for bun")
	zero := bench.Row{Higher: true, Values: map[string]float64{"arsenal": 10, "x": 0}}
	assert.True(t, math.IsNaN(zero.Advantage("x")), "a zero figure has no ratio")

	empty := bench.Tabulate(nil)
	assert.Empty(t, empty.Rows)
	assert.Empty(t, empty.Impls)
}

func TestResultBestAndErrorRate(t *testing.T) {
	r := bench.Result{Levels: []bench.Level{
		{Concurrency: 1, OpsPerSec: 100},
		{Concurrency: 4, OpsPerSec: 350},
		{Concurrency: 16, OpsPerSec: 300},
	}}
	assert.Equal(t, 4, r.Best().Concurrency)
	assert.Equal(t, bench.Level{}, bench.Result{}.Best(), "no levels, no best")
	assert.Zero(t, bench.Level{}.ErrorRate(), "nothing ran")
	assert.InDelta(t, 0.25, bench.Level{Ops: 8, Errors: 2}.ErrorRate(), 1e-12)

	// On a real run the best level is one of the measured ones.
	var calls atomic.Int64
	res, err := bench.Run(context.Background(), "count", bench.Config{Levels: []int{2}, Count: 200, SampleEvery: -1},
		func(ctx context.Context) error { calls.Add(1); return nil })
	require.NoError(t, err)
	best := res.Best()
	assert.Contains(t, []int{1, 2}, best.Concurrency)
	for _, l := range res.Levels {
		assert.LessOrEqual(t, l.OpsPerSec, best.OpsPerSec)
	}
	assert.GreaterOrEqual(t, calls.Load(), int64(400))
}

func TestBenchmarksSamplesAcrossPackages(t *testing.T) {
	b, err := bench.ReadBenchmarks(strings.NewReader(`pkg: example.com/a
BenchmarkGet-2 1000 1000 ns/op
BenchmarkGet-2 1000 2000 ns/op
BenchmarkPut-2 1000 5 ns/op
pkg: example.com/b
BenchmarkGet-2 1000 3000 ns/op 16 B/op
`), "run")
	require.NoError(t, err)
	got := b.Samples("Get-2", "sec/op")
	require.Len(t, got, 3, "both packages' samples, in file order")
	for i, want := range []float64{1e-6, 2e-6, 3e-6} {
		assert.InEpsilon(t, want, got[i], 1e-9, "ns/op is tidied to seconds")
	}
	assert.Equal(t, []float64{16}, b.Samples("Get-2", "B/op"))
	assert.Nil(t, b.Samples("Get-2", "ns/op"), "the untidied unit has no samples")
	assert.Nil(t, b.Samples("Missing", "sec/op"))
}

func benchLines(name, unit string, vals ...float64) string {
	var s strings.Builder
	for _, v := range vals {
		fmt.Fprintf(&s, "Benchmark%s 1 %g %s\n", name, v, unit)
	}
	return s.String()
}

func TestCompareBenchmarksUsesTheUnitsDirection(t *testing.T) {
	old, err := bench.ReadBenchmarks(strings.NewReader(
		benchLines("Rate", "req/s", 100, 101, 99, 100, 102)+
			benchLines("Rows", "rows/op", 10, 10.1, 9.9, 10, 10.2)+
			benchLines("Widgets", "widgets", 10, 10.1, 9.9, 10, 10.2)+
			benchLines("Gadgets", "gadgets", 10, 10.1, 9.9, 10, 10.2)+
			benchLines("Zero", "zeros/op", 0, 0, 0, 0, 0)), "old")
	require.NoError(t, err)
	new, err := bench.ReadBenchmarks(strings.NewReader("Unit gadgets better=higher\n"+
		benchLines("Rate", "req/s", 200, 201, 199, 200, 202)+
		benchLines("Rows", "rows/op", 20, 20.1, 19.9, 20, 20.2)+
		benchLines("Widgets", "widgets", 20, 20.1, 19.9, 20, 20.2)+
		benchLines("Gadgets", "gadgets", 20, 20.1, 19.9, 20, 20.2)+
		benchLines("Zero", "zeros/op", 5, 5, 5, 5, 5)), "new")
	require.NoError(t, err)
	rep := bench.CompareBenchmarks(old, new, bench.RegressionConfig{})

	assert.Equal(t, bench.Improvement, findChange(t, rep, "Rate", "req/s").Verdict, "a rate doubling is better")
	assert.Equal(t, bench.Regression, findChange(t, rep, "Rows", "rows/op").Verdict, "a per-op amount doubling is worse")
	assert.Equal(t, bench.Improvement, findChange(t, rep, "Gadgets", "gadgets").Verdict, "the new run's unit metadata says higher is better")
	w := findChange(t, rep, "Widgets", "widgets")
	assert.Equal(t, bench.Inconclusive, w.Verdict)
	assert.Contains(t, w.Warnings, "unknown whether higher or lower widgets is better")
	z := findChange(t, rep, "Zero", "zeros/op")
	assert.True(t, math.IsInf(z.Delta, 1), "from zero the change is infinite")
	assert.Equal(t, bench.Regression, z.Verdict)

	err = rep.Err()
	require.Error(t, err)
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "2 regression(s) against old")
	assert.Equal(t, "Verdict(9)", bench.Verdict(9).String())
}

func TestCompareABRefusesNilFuncsAndStopsOnACancelledContext(t *testing.T) {
	nop := func(ctx context.Context) error { return nil }
	_, err := bench.CompareAB(context.Background(), bench.ABConfig{}, "a", nil, "b", nop)
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	_, err = bench.CompareAB(context.Background(), bench.ABConfig{}, "a", nop, "b", nil)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err = bench.CompareAB(ctx, bench.ABConfig{}, "a", nop, "b", nop)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled) || arsenal.CodeOf(err) == arsenal.Canceled, "%v", err)
	assert.Less(t, time.Since(start), 2*time.Second, "the warm-up does not run on a cancelled context")
}

func TestCompareABWarnsAboutErrorsOnEitherSide(t *testing.T) {
	fail := errors.New("boom")
	a := func(ctx context.Context) error { return nil }
	b := func(ctx context.Context) error { time.Sleep(100 * time.Microsecond); return fail }
	res, err := bench.CompareAB(context.Background(), bench.ABConfig{Rounds: 4, RoundDuration: 10 * time.Millisecond},
		"ok", a, "failing", b)
	require.NoError(t, err)
	assert.Len(t, res.AOpsPerSec, 4)
	assert.Len(t, res.BOpsPerSec, 4)
	assert.Equal(t, 1, res.Concurrency, "the default")
	assert.Greater(t, res.Ratio(), 1.0, "the side without the sleep is faster")
	assert.Equal(t, res.Spread.Median, res.Ratio())
	var sawErrors bool
	for _, w := range res.Warnings {
		if strings.HasPrefix(w, "failing returned ") && strings.HasSuffix(w, " errors") {
			sawErrors = true
		}
		assert.NotContains(t, w, "ok returned", "the healthy side has no errors")
	}
	assert.True(t, sawErrors, "warnings %v", res.Warnings)
}
