package bench_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
)

var sink []byte

func TestRunMeasuresSeriallyThenEachLevel(t *testing.T) {
	var calls atomic.Int64
	var progressed atomic.Int64
	cfg := bench.Config{Levels: []int{4, 2, 4}, Count: 2000, Warmup: -1, SampleEvery: -1,
		Progress: func(bench.Progress) { progressed.Add(1) }}
	res, err := bench.Run(context.Background(), "count", cfg, func(context.Context) error {
		calls.Add(1)
		return nil
	})
	require.NoError(t, err)
	var got []int
	for _, l := range res.Levels {
		got = append(got, l.Concurrency)
		assert.EqualValues(t, 2000, l.Ops, "level %d ops", l.Concurrency)
		assert.EqualValues(t, 0, l.Errors, "level %d errors", l.Concurrency)
		assert.EqualValues(t, 2000, l.Latency.Count, "level %d latency count", l.Concurrency)
		assert.Positive(t, l.OpsPerSec, "level %d: implausible figures %+v", l.Concurrency, l)
		assert.Positive(t, l.Latency.P50, "level %d: implausible figures %+v", l.Concurrency, l)
		assert.GreaterOrEqual(t, l.Latency.P99, l.Latency.P50, "level %d: implausible figures %+v", l.Concurrency, l)
		assert.GreaterOrEqual(t, l.Latency.Max, l.Latency.P99, "level %d: implausible figures %+v", l.Concurrency, l)
		assert.Equal(t, l.Speedup/float64(l.Concurrency), l.Efficiency, "level %d: efficiency is speedup/concurrency", l.Concurrency)
	}
	assert.Equal(t, []int{1, 2, 4}, got, "levels (serial added, sorted, de-duplicated)")
	assert.EqualValues(t, 6000, calls.Load(), "op calls (no warm-up)")
	s := res.Serial()
	assert.Equal(t, 1, s.Concurrency, "serial level %+v", s)
	assert.Equal(t, 1.0, s.Speedup, "serial level %+v", s)
	assert.GreaterOrEqual(t, progressed.Load(), int64(3), "progress at least once per level")
}

// Calls that wait (as network calls do) overlap, so concurrency speeds
// them up even on a loaded two-core machine.
func TestRunShowsSpeedupForWaitingCalls(t *testing.T) {
	res, err := bench.Run(context.Background(), "sleep", bench.Config{
		Levels: []int{8}, Duration: 300 * time.Millisecond, Warmup: 20 * time.Millisecond, SampleEvery: 50 * time.Millisecond,
	}, func(ctx context.Context) error {
		time.Sleep(2 * time.Millisecond)
		return nil
	})
	require.NoError(t, err)
	l := res.Levels[len(res.Levels)-1]
	assert.Equal(t, 8, l.Concurrency)
	assert.GreaterOrEqual(t, l.Speedup, 3.0, "8 sleepers: speedup (%+v)", l)
	assert.GreaterOrEqual(t, l.Latency.P50, 2*time.Millisecond, "p50 is at least the 2ms sleep")
	assert.Positive(t, res.Resources.Wall, "resources not sampled")
	assert.GreaterOrEqual(t, len(res.Resources.Samples), 2, "resources not sampled")
	assert.GreaterOrEqual(t, l.Resources.GoroutinesPeak, 8, "level goroutines")
}

func TestRunCountsErrorsAndKeepsTheFirst(t *testing.T) {
	var n atomic.Int64
	res, err := bench.Run(context.Background(), "flaky", bench.Config{Levels: []int{1}, Count: 300, Warmup: -1, SampleEvery: -1},
		func(context.Context) error {
			if n.Add(1)%3 == 0 {
				return errors.New("every third call fails")
			}
			return nil
		})
	require.NoError(t, err)
	l := res.Levels[0]
	assert.EqualValues(t, 100, l.Errors)
	assert.InDelta(t, 0.335, l.ErrorRate(), 0.005)
	assert.Equal(t, "every third call fails", l.FirstError)
}

func TestRunReportsAllocationsPerCall(t *testing.T) {
	res, err := bench.Run(context.Background(), "alloc", bench.Config{Levels: []int{1}, Count: 50000, Warmup: -1, SampleEvery: -1},
		func(context.Context) error {
			sink = make([]byte, 64)
			return nil
		})
	require.NoError(t, err)
	l := res.Levels[0]
	assert.GreaterOrEqual(t, l.AllocsPerOp, 0.95, "allocs/op about 1")
	assert.LessOrEqual(t, l.AllocsPerOp, 1.2, "allocs/op about 1")
	assert.GreaterOrEqual(t, l.BytesPerOp, 60.0, "bytes/op about 64")
	assert.LessOrEqual(t, l.BytesPerOp, 90.0, "bytes/op about 64")
}

func TestRunStopsPromptlyWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := bench.Run(ctx, "long", bench.Config{Duration: time.Minute, Warmup: -1}, func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
			return nil
		}
	})
	assert.True(t, arsenal.IsCode(err, arsenal.DeadlineExceeded), "err = %v, want DeadlineExceeded", err)
	assert.LessOrEqual(t, time.Since(start), 10*time.Second, "Run kept going after its context ended")
}

func TestRunRejectsABadConfigNamingEveryField(t *testing.T) {
	_, err := bench.Run(context.Background(), "x", bench.Config{Levels: []int{0, 3, -2}, Count: -1, Duration: -time.Second},
		func(context.Context) error { return nil })
	var ce *arsenal.ConfigError
	require.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "err = %v, want InvalidArgument", err)
	require.ErrorAs(t, err, &ce)
	for _, f := range []string{"Levels[0]", "Levels[2]", "Count", "Duration"} {
		assert.True(t, ce.Has(f), "error does not name %s: %v", f, err)
	}
	assert.False(t, ce.Has("Levels[1]"), "error names the valid Levels[1]: %v", err)
	_, err = bench.Run(context.Background(), "nil", bench.Config{}, nil)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "nil Func: err = %v, want InvalidArgument", err)
}

func TestCompareABFindsTheFasterSideWithItsSpread(t *testing.T) {
	fast := func(context.Context) error { time.Sleep(200 * time.Microsecond); return nil }
	slow := func(context.Context) error { time.Sleep(3 * time.Millisecond); return nil }
	res, err := bench.CompareAB(context.Background(), bench.ABConfig{Rounds: 6, RoundDuration: 60 * time.Millisecond, Warmup: -1},
		"fast", fast, "slow", slow)
	require.NoError(t, err)
	s := res.Spread
	assert.Len(t, res.Ratios, 6)
	assert.GreaterOrEqual(t, s.Median, 2.0, "spread %+v", s)
	assert.True(t, s.Min <= s.Q1 && s.Q1 <= s.Median && s.Median <= s.Q3 && s.Q3 <= s.Max, "spread out of order: %+v", s)
	assert.Less(t, res.P, 0.05, "want significant")
	assert.True(t, strings.HasPrefix(res.String(), "fast/slow = "), "String() = %q", res.String())
}

func TestCompareABWarnsAboutTooFewRoundsAndErrors(t *testing.T) {
	failing := func(context.Context) error { time.Sleep(time.Millisecond); return errors.New("x") }
	ok := func(context.Context) error { time.Sleep(time.Millisecond); return nil }
	res, err := bench.CompareAB(context.Background(), bench.ABConfig{Rounds: 2, RoundDuration: 20 * time.Millisecond, Warmup: -1},
		"a", failing, "b", ok)
	require.NoError(t, err)
	w := strings.Join(res.Warnings, "; ")
	assert.Contains(t, w, "need >= 4 samples", "want too-few-samples")
	assert.Contains(t, w, "a returned", "want errors")
	_, err = bench.CompareAB(context.Background(), bench.ABConfig{Rounds: -1}, "a", ok, "b", ok)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "negative rounds: err = %v, want InvalidArgument", err)
}

func TestSpreadOfKnownValues(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want bench.Spread
	}{
		{name: "empty", in: nil, want: bench.Spread{}},
		{name: "one value", in: []float64{7}, want: bench.Spread{Median: 7, Q1: 7, Q3: 7, Min: 7, Max: 7}},
		{name: "five values out of order", in: []float64{5, 1, 4, 2, 3}, want: bench.Spread{Median: 3, Q1: 2, Q3: 4, Min: 1, Max: 5}},
		{name: "four values interpolate", in: []float64{1, 2, 3, 4}, want: bench.Spread{Median: 2.5, Q1: 1.75, Q3: 3.25, Min: 1, Max: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, bench.SpreadOf(tt.in), "SpreadOf(%v)", tt.in)
		})
	}
}

func TestAlternateSwapsWhoGoesFirstAndPairsRounds(t *testing.T) {
	var order []string
	x, y := 0.0, 0.0
	a := func() (float64, error) { order = append(order, "a"); x += 2; return x, nil }
	b := func() (float64, error) { order = append(order, "b"); y++; return y, nil }
	as, bs, err := bench.Alternate(4, a, b)
	require.NoError(t, err)
	assert.Equal(t, "abbaabba", strings.Join(order, ""), "order")
	assert.Equal(t, "[2 4 6 8] [1 2 3 4]", fmt.Sprint(as, bs), "values")
	assert.Equal(t, "[2 2 2]", fmt.Sprint(bench.Ratios(as, []float64{1, 0, 3, 4})), "ratios (a zero b round is skipped)")
	boom := errors.New("boom")
	_, _, err = bench.Alternate(3, a, func() (float64, error) { return 0, boom })
	assert.Equal(t, boom, err)
}
