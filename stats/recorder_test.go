package stats_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecorderCountsCallsAndErrors(t *testing.T) {
	tests := []struct {
		name       string
		calls      int
		failEvery  int // 0: never
		wantErrors uint64
	}{
		{name: "no calls", calls: 0},
		{name: "all succeed", calls: 10},
		{name: "every other call fails", calls: 10, failEvery: 2, wantErrors: 5},
		{name: "every call fails", calls: 7, failEvery: 1, wantErrors: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := stats.NewRecorder()
			op := r.Op("get")
			for i := 1; i <= tt.calls; i++ {
				var err error
				if tt.failEvery > 0 && i%tt.failEvery == 0 {
					err = errors.New("boom")
				}
				op.Record(time.Millisecond, err)
			}
			s := op.Stats()
			assert.Equal(t, uint64(tt.calls), s.Count, "count/errors = %d/%d, want %d/%d", s.Count, s.Errors, tt.calls, tt.wantErrors)
			assert.Equal(t, tt.wantErrors, s.Errors, "count/errors = %d/%d, want %d/%d", s.Count, s.Errors, tt.calls, tt.wantErrors)
		})
	}
}

func TestRecorderPercentilesMatchAKnownDistribution(t *testing.T) {
	r := stats.NewRecorder()
	// 1 µs .. 1000 µs, once each: p50 = 500 µs, p95 = 950 µs, p99 = 990 µs.
	for i := 1; i <= 1000; i++ {
		r.Record("q", time.Duration(i)*time.Microsecond, nil)
	}
	s := r.Snapshot()["q"]
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", s.P50, 500 * time.Microsecond},
		{"p95", s.P95, 950 * time.Microsecond},
		{"p99", s.P99, 990 * time.Microsecond},
		{"max", s.Max, 1000 * time.Microsecond},
		{"mean", s.Mean, 500500 * time.Nanosecond},
	} {
		// HdrHistogram with 2 significant digits: within 1%.
		diff := c.got - c.want
		assert.GreaterOrEqual(t, diff, -c.want/100, "%s = %v, want %v within 1%%", c.name, c.got, c.want)
		assert.LessOrEqual(t, diff, c.want/100, "%s = %v, want %v within 1%%", c.name, c.got, c.want)
	}
}

func TestRecorderClampsOutOfRangeLatencies(t *testing.T) {
	r := stats.NewRecorder()
	r.Record("op", -time.Second, nil)
	r.Record("op", time.Hour, nil)
	s := r.Snapshot()["op"]
	assert.Equal(t, uint64(2), s.Count, "stats = %+v, want 2 calls with max clamped to about 10 minutes", s)
	assert.GreaterOrEqual(t, s.Max, 9*time.Minute, "stats = %+v, want 2 calls with max clamped to about 10 minutes", s)
	assert.LessOrEqual(t, s.Max, 11*time.Minute, "stats = %+v, want 2 calls with max clamped to about 10 minutes", s)
}

func TestRecorderIsSafeForConcurrentUse(t *testing.T) {
	r := stats.NewRecorder()
	const workers, each = 8, 5000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := []string{"a", "b"}[w%2]
			for i := range each {
				var err error
				if i%10 == 0 {
					err = errors.New("x")
				}
				if i%2 == 0 {
					r.Record(name, time.Duration(i)*time.Microsecond, err)
				} else {
					_ = r.Op(name).Since(time.Now(), err)
				}
			}
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() { // readers race with writers
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = r.Snapshot()
				_ = r.Since()
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	snap := r.Snapshot()
	for _, name := range []string{"a", "b"} {
		s := snap[name]
		assert.Equal(t, uint64(workers/2*each), s.Count, "%s: count/errors = %d/%d, want %d/%d", name, s.Count, s.Errors, workers/2*each, workers/2*each/10)
		assert.Equal(t, uint64(workers/2*each/10), s.Errors, "%s: count/errors = %d/%d, want %d/%d", name, s.Count, s.Errors, workers/2*each, workers/2*each/10)
	}
}

func TestRecorderResetStartsANewWindow(t *testing.T) {
	r := stats.NewRecorder()
	before := r.Since()
	r.Record("op", time.Millisecond, errors.New("x"))
	time.Sleep(2 * time.Millisecond)
	r.Reset()
	s := r.Snapshot()["op"]
	assert.Equal(t, uint64(0), s.Count, "after Reset: %+v, want zero", s)
	assert.Equal(t, uint64(0), s.Errors, "after Reset: %+v, want zero", s)
	assert.Equal(t, time.Duration(0), s.P99, "after Reset: %+v, want zero", s)
	assert.True(t, r.Since().After(before), "Since did not move forward on Reset")
}

func TestRecorderStaysSmallPerOperation(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := stats.NewRecorder()
	for i := range 100 {
		r.Record(fmt.Sprint("op", i), time.Millisecond, nil)
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / 100
	assert.LessOrEqual(t, per, uint64(40<<10), "each operation costs %d bytes, want under 40 KiB", per)
}

func TestRecordingDoesNotAllocate(t *testing.T) {
	r := stats.NewRecorder()
	op := r.Op("get")
	err := errors.New("x")
	n := testing.AllocsPerRun(1000, func() { op.Record(123*time.Microsecond, nil) })
	assert.Equal(t, float64(0), n, "Op.Record allocates %v times per call, want 0", n)
	n = testing.AllocsPerRun(1000, func() { _ = op.Since(time.Now(), err) })
	assert.Equal(t, float64(0), n, "Op.Since allocates %v times per call, want 0", n)
	n = testing.AllocsPerRun(1000, func() { r.Record("get", time.Microsecond, nil) })
	assert.Equal(t, float64(0), n, "Recorder.Record allocates %v times per call, want 0", n)
}

func TestRateIsCallsPerSecondOverTheWindow(t *testing.T) {
	r := stats.NewRecorder()
	for range 50 {
		r.Record("op", time.Millisecond, nil)
	}
	s := r.Snapshot()["op"]
	got := stats.Rate(s, r.Since(), r.Since().Add(10*time.Second))
	assert.Equal(t, float64(5), got, "Rate, want 5 calls/s")
	assert.Equal(t, float64(0), stats.Rate(s, r.Since(), r.Since()), "Rate over an empty window should be 0")
}

// BenchmarkOpRecord proves the hot path allocates nothing (0 allocs/op).
func BenchmarkOpRecord(b *testing.B) {
	op := stats.NewRecorder().Op("get")
	b.ReportAllocs()
	d := 250 * time.Microsecond
	for b.Loop() {
		op.Record(d, nil)
	}
}

// BenchmarkOpRecordParallel measures recording from every P at once.
func BenchmarkOpRecordParallel(b *testing.B) {
	op := stats.NewRecorder().Op("get")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			op.Record(250*time.Microsecond, nil)
		}
	})
}

// BenchmarkOpSince measures the usual call-site form, including time.Now.
func BenchmarkOpSince(b *testing.B) {
	op := stats.NewRecorder().Op("get")
	b.ReportAllocs()
	for b.Loop() {
		_ = op.Since(time.Now(), nil)
	}
}

func TestDoneTimesACallFromNowAndReturnsItsError(t *testing.T) {
	op := stats.NewRecorder().Op("get")
	start := stats.Now()
	time.Sleep(2 * time.Millisecond)
	want := errors.New("boom")
	assert.Same(t, want, op.Done(start, want), "Done returned another error than the call's")
	s := op.Stats()
	assert.Equal(t, uint64(1), s.Count, "stats after one 2ms failed call: %+v", s)
	assert.Equal(t, uint64(1), s.Errors, "stats after one 2ms failed call: %+v", s)
	assert.GreaterOrEqual(t, s.Max, 2*time.Millisecond, "stats after one 2ms failed call: %+v", s)
	n := testing.AllocsPerRun(1000, func() { _ = op.Done(stats.Now(), nil) })
	assert.Equal(t, float64(0), n, "Done allocates %v times per call", n)
}

// TestRecorderMergesConcurrentCallersExactly records disjoint latency
// ranges from many goroutines at once (so several shards fill) and checks
// the summary describes the union: counts, max and the median.
func TestRecorderMergesConcurrentCallersExactly(t *testing.T) {
	op := stats.NewRecorder().Op("q")
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Worker w records (w*each + i + 1) µs: workers' ranges do not overlap.
				op.Record(time.Duration(w*each+i+1)*time.Microsecond, nil)
			}
		}()
	}
	wg.Wait()
	s := op.Stats()
	require.Equal(t, uint64(workers*each), s.Count, "count")
	want := time.Duration(workers*each/2) * time.Microsecond
	d := s.P50 - want
	assert.GreaterOrEqual(t, d, -want/50, "p50 %v, want %v within 2%%", s.P50, want)
	assert.LessOrEqual(t, d, want/50, "p50 %v, want %v within 2%%", s.P50, want)
	max := time.Duration(workers*each) * time.Microsecond
	assert.GreaterOrEqual(t, s.Max, max*99/100, "max %v, want %v within 1%%", s.Max, max)
	assert.LessOrEqual(t, s.Max, max*101/100, "max %v, want %v within 1%%", s.Max, max)
}
