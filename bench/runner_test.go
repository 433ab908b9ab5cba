package bench_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, l := range res.Levels {
		got = append(got, l.Concurrency)
		if l.Ops != 2000 || l.Errors != 0 || l.Latency.Count != 2000 {
			t.Errorf("level %d: ops %d errors %d, want exactly 2000 and 0", l.Concurrency, l.Ops, l.Errors)
		}
		if l.OpsPerSec <= 0 || l.Latency.P50 <= 0 || l.Latency.P99 < l.Latency.P50 || l.Latency.Max < l.Latency.P99 {
			t.Errorf("level %d: implausible figures %+v", l.Concurrency, l)
		}
		if want := l.Speedup / float64(l.Concurrency); l.Efficiency != want {
			t.Errorf("level %d: efficiency %v, want speedup/concurrency %v", l.Concurrency, l.Efficiency, want)
		}
	}
	if !slices.Equal(got, []int{1, 2, 4}) {
		t.Errorf("levels = %v, want [1 2 4] (serial added, sorted, de-duplicated)", got)
	}
	if calls.Load() != 6000 {
		t.Errorf("op called %d times, want 6000 (no warm-up)", calls.Load())
	}
	if s := res.Serial(); s.Concurrency != 1 || s.Speedup != 1 {
		t.Errorf("serial level = %+v, want concurrency 1 with speedup 1", s)
	}
	if progressed.Load() < 3 {
		t.Errorf("progress called %d times, want at least once per level", progressed.Load())
	}
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
	if err != nil {
		t.Fatal(err)
	}
	l := res.Levels[len(res.Levels)-1]
	if l.Concurrency != 8 || l.Speedup < 3 {
		t.Errorf("8 sleepers: speedup %.2f, want at least 3 (%+v)", l.Speedup, l)
	}
	if l.Latency.P50 < 2*time.Millisecond {
		t.Errorf("p50 = %v, want at least the 2ms sleep", l.Latency.P50)
	}
	if res.Resources.Wall <= 0 || len(res.Resources.Samples) < 2 || l.Resources.GoroutinesPeak < 8 {
		t.Errorf("resources not sampled: run %+v, level goroutines %d", res.Resources.Wall, l.Resources.GoroutinesPeak)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	l := res.Levels[0]
	if l.Errors != 100 || l.ErrorRate() < 0.33 || l.ErrorRate() > 0.34 || l.FirstError != "every third call fails" {
		t.Errorf("errors %d rate %v first %q, want 100, 1/3, the message", l.Errors, l.ErrorRate(), l.FirstError)
	}
}

func TestRunReportsAllocationsPerCall(t *testing.T) {
	res, err := bench.Run(context.Background(), "alloc", bench.Config{Levels: []int{1}, Count: 50000, Warmup: -1, SampleEvery: -1},
		func(context.Context) error {
			sink = make([]byte, 64)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	l := res.Levels[0]
	if l.AllocsPerOp < 0.95 || l.AllocsPerOp > 1.2 || l.BytesPerOp < 60 || l.BytesPerOp > 90 {
		t.Errorf("allocs/op %.3f bytes/op %.1f, want about 1 and 64", l.AllocsPerOp, l.BytesPerOp)
	}
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
	if !arsenal.IsCode(err, arsenal.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %v after its context ended", d)
	}
}

func TestRunRejectsABadConfigNamingEveryField(t *testing.T) {
	_, err := bench.Run(context.Background(), "x", bench.Config{Levels: []int{0, 3, -2}, Count: -1, Duration: -time.Second},
		func(context.Context) error { return nil })
	var ce *arsenal.ConfigError
	if !arsenal.IsCode(err, arsenal.InvalidArgument) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want InvalidArgument with a ConfigError", err)
	}
	for _, f := range []string{"Levels[0]", "Levels[2]", "Count", "Duration"} {
		if !ce.Has(f) {
			t.Errorf("error does not name %s: %v", f, err)
		}
	}
	if ce.Has("Levels[1]") {
		t.Errorf("error names the valid Levels[1]: %v", err)
	}
	if _, err := bench.Run(context.Background(), "nil", bench.Config{}, nil); !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Errorf("nil Func: err = %v, want InvalidArgument", err)
	}
}

func TestCompareABFindsTheFasterSideWithItsSpread(t *testing.T) {
	fast := func(context.Context) error { time.Sleep(200 * time.Microsecond); return nil }
	slow := func(context.Context) error { time.Sleep(3 * time.Millisecond); return nil }
	res, err := bench.CompareAB(context.Background(), bench.ABConfig{Rounds: 6, RoundDuration: 60 * time.Millisecond, Warmup: -1},
		"fast", fast, "slow", slow)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Spread
	if len(res.Ratios) != 6 || s.Median < 2 || s.Min > s.Q1 || s.Q1 > s.Median || s.Median > s.Q3 || s.Q3 > s.Max {
		t.Errorf("ratios %v spread %+v: want 6 ordered ratios with median above 2", res.Ratios, s)
	}
	if res.P >= 0.05 {
		t.Errorf("p = %v, want significant", res.P)
	}
	if !strings.HasPrefix(res.String(), "fast/slow = ") {
		t.Errorf("String() = %q", res.String())
	}
}

func TestCompareABWarnsAboutTooFewRoundsAndErrors(t *testing.T) {
	failing := func(context.Context) error { time.Sleep(time.Millisecond); return errors.New("x") }
	ok := func(context.Context) error { time.Sleep(time.Millisecond); return nil }
	res, err := bench.CompareAB(context.Background(), bench.ABConfig{Rounds: 2, RoundDuration: 20 * time.Millisecond, Warmup: -1},
		"a", failing, "b", ok)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(res.Warnings, "; ")
	if !strings.Contains(w, "need >= 4 samples") || !strings.Contains(w, "a returned") {
		t.Errorf("warnings = %q, want too-few-samples and errors", w)
	}
	if _, err := bench.CompareAB(context.Background(), bench.ABConfig{Rounds: -1}, "a", ok, "b", ok); !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Errorf("negative rounds: err = %v, want InvalidArgument", err)
	}
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
			if got := bench.SpreadOf(tt.in); got != tt.want {
				t.Errorf("SpreadOf(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestAlternateSwapsWhoGoesFirstAndPairsRounds(t *testing.T) {
	var order []string
	x, y := 0.0, 0.0
	a := func() (float64, error) { order = append(order, "a"); x += 2; return x, nil }
	b := func() (float64, error) { order = append(order, "b"); y++; return y, nil }
	as, bs, err := bench.Alternate(4, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ""); got != "abbaabba" {
		t.Errorf("order %q, want abbaabba", got)
	}
	if fmt.Sprint(as, bs) != "[2 4 6 8] [1 2 3 4]" {
		t.Errorf("values %v %v", as, bs)
	}
	if r := bench.Ratios(as, []float64{1, 0, 3, 4}); fmt.Sprint(r) != "[2 2 2]" {
		t.Errorf("ratios %v, want [2 2 2] (a zero b round is skipped)", r)
	}
	boom := errors.New("boom")
	if _, _, err := bench.Alternate(3, a, func() (float64, error) { return 0, boom }); err != boom {
		t.Errorf("error %v, want boom", err)
	}
}
