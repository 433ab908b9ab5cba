package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/infra-arsenal/arsenal"
)

// Func is one operation under test. It is called from many goroutines at
// once when the concurrency level is above 1, so it must be safe for
// concurrent use. A returned error is counted, not fatal: the run goes on.
type Func func(ctx context.Context) error

// Config says how Run measures an operation. The zero value is usable:
// every zero field takes the default stated beside it.
type Config struct {
	// Levels are the concurrency levels (goroutines calling the op at once)
	// to measure, in order. Default {1, 4, 16, 64}. Level 1 is the serial
	// baseline: it is measured first even when Levels omits it, and speedup
	// and efficiency are relative to it.
	Levels []int
	// Warmup runs the op at each level, unrecorded, before measuring it.
	// Default 200 ms; a negative value disables warm-up.
	Warmup time.Duration
	// Duration is how long each level is measured. Default 2 s. Ignored when
	// Count is set.
	Duration time.Duration
	// Count, when positive, measures exactly Count calls per level (shared
	// by the level's goroutines) instead of running for Duration.
	Count int
	// SampleEvery is the resource monitor's sampling interval. Default
	// 100 ms; a negative value disables resource sampling.
	SampleEvery time.Duration
	// Progress, when set, is called from one goroutine about ten times a
	// second while a level runs, and once when it ends. It must be quick.
	Progress func(Progress)
}

// Progress reports how far Run has come, for progress bars.
type Progress struct {
	Name        string        // the workload's name
	Level       int           // index into the run's levels
	Levels      int           // how many levels the run measures
	Concurrency int           // goroutines at this level
	Warmup      bool          // true while warming up
	Done        uint64        // calls completed at this level so far
	Total       uint64        // calls to make at this level (Count mode), else 0
	Elapsed     time.Duration // time spent measuring this level so far
	Planned     time.Duration // planned measuring time (Duration mode), else 0
	Finished    bool          // the level is done
}

// Default values for Config fields left zero.
const (
	DefaultWarmup      = 200 * time.Millisecond
	DefaultDuration    = 2 * time.Second
	DefaultSampleEvery = 100 * time.Millisecond
	maxConcurrency     = 1 << 16
)

// DefaultLevels are the concurrency levels Run measures when Config.Levels
// is empty.
var DefaultLevels = []int{1, 4, 16, 64}

// Validate reports every bad field at once as an InvalidArgument
// *arsenal.Error wrapping an *arsenal.ConfigError. It does no I/O.
func (c Config) Validate() error {
	v := arsenal.Validation{Component: "bench"}
	for i, l := range c.Levels {
		v.Check(l >= 1 && l <= maxConcurrency, fmt.Sprintf("Levels[%d]", i), "must be between 1 and %d, got %d", maxConcurrency, l)
	}
	v.Check(c.Duration >= 0, "Duration", "must not be negative, got %v", c.Duration)
	v.Check(c.Count >= 0, "Count", "must not be negative, got %d", c.Count)
	return v.Err()
}

// withDefaults returns c with defaults filled in and Levels sorted,
// de-duplicated and starting with 1.
func (c Config) withDefaults() Config {
	if len(c.Levels) == 0 {
		c.Levels = DefaultLevels
	}
	levels := append([]int{1}, c.Levels...)
	slices.Sort(levels)
	c.Levels = slices.Compact(levels)
	if c.Warmup == 0 {
		c.Warmup = DefaultWarmup
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.SampleEvery == 0 {
		c.SampleEvery = DefaultSampleEvery
	}
	return c
}

// Result is what Run measured for one operation.
type Result struct {
	Name      string    // the workload's name
	Started   time.Time // when the run began
	Levels    []Level   // one per concurrency level, serial (1) first
	Resources Resources // process resources over the whole run (zero when sampling is off)
}

// Serial returns the level measured at concurrency 1.
func (r Result) Serial() Level {
	for _, l := range r.Levels {
		if l.Concurrency == 1 {
			return l
		}
	}
	return Level{}
}

// Best returns the level with the highest throughput.
func (r Result) Best() Level {
	var best Level
	for _, l := range r.Levels {
		if l.OpsPerSec > best.OpsPerSec {
			best = l
		}
	}
	return best
}

// Level is one concurrency level's measurement.
type Level struct {
	Concurrency int             // goroutines calling the op at once
	Ops         uint64          // calls completed (successful or not)
	Errors      uint64          // calls that returned an error
	Elapsed     time.Duration   // wall time measured
	OpsPerSec   float64         // Ops / Elapsed
	Latency     arsenal.OpStats // per-call latency summary (Count and Errors as above)
	P999        time.Duration   // 99.9th percentile latency
	AllocsPerOp float64         // heap allocations per call, from runtime.MemStats deltas
	BytesPerOp  float64         // heap bytes allocated per call
	Speedup     float64         // OpsPerSec over the serial level's OpsPerSec
	Efficiency  float64         // Speedup / Concurrency: 1.0 is perfect scaling
	Resources   Resources       // process resources while this level was measured
	FirstError  string          // the first error the op returned, if any
}

// ErrorRate is Errors/Ops, or 0 when nothing ran.
func (l Level) ErrorRate() float64 {
	if l.Ops == 0 {
		return 0
	}
	return float64(l.Errors) / float64(l.Ops)
}

// Run measures fn serially and at each of cfg's concurrency levels, with
// warm-up, and returns throughput, latency percentiles, allocations per
// call, speedup and scaling efficiency per level.
//
// Cost: Run takes about (Warmup+Duration) per level. Each goroutine keeps
// its own latency histogram (about 200 KiB), merged when the level ends, so
// recording adds no contention and no allocation per call. Allocation
// counts come from runtime.ReadMemStats before and after each level and
// include whatever else the process allocated meanwhile.
//
// Run returns an InvalidArgument error for a bad Config or a nil fn, and a
// Canceled or DeadlineExceeded error (with the levels finished so far) when
// ctx ends.
func Run(ctx context.Context, name string, cfg Config, fn Func) (Result, error) {
	if fn == nil {
		return Result{}, arsenal.Errorf(arsenal.InvalidArgument, "bench", "run", "nil Func for workload %q", name)
	}
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	cfg = cfg.withDefaults()
	res := Result{Name: name, Started: time.Now()}
	var whole *Monitor
	if cfg.SampleEvery > 0 {
		whole = StartMonitor(cfg.SampleEvery)
	}
	var err error
	for i, c := range cfg.Levels {
		var l Level
		l, err = runLevel(ctx, name, cfg, i, c, fn)
		if err != nil {
			break
		}
		res.Levels = append(res.Levels, l)
	}
	if whole != nil {
		res.Resources = whole.Stop()
	}
	if serial := res.Serial(); serial.OpsPerSec > 0 {
		for i := range res.Levels {
			l := &res.Levels[i]
			l.Speedup = l.OpsPerSec / serial.OpsPerSec
			l.Efficiency = l.Speedup / float64(l.Concurrency)
		}
	}
	return res, err
}

func runLevel(ctx context.Context, name string, cfg Config, idx, conc int, fn Func) (Level, error) {
	progress := func(p Progress) {
		if cfg.Progress != nil {
			p.Name, p.Level, p.Levels, p.Concurrency = name, idx, len(cfg.Levels), conc
			cfg.Progress(p)
		}
	}
	if cfg.Warmup > 0 {
		progress(Progress{Warmup: true})
		if _, err := drive(ctx, conc, 0, cfg.Warmup, fn, nil, nil); err != nil {
			return Level{}, err
		}
	}
	var before, after runtime.MemStats
	var mon *Monitor
	if cfg.SampleEvery > 0 {
		mon = StartMonitor(cfg.SampleEvery)
	}
	runtime.ReadMemStats(&before)
	start := time.Now()
	d := cfg.Duration
	if cfg.Count > 0 {
		d = 0
	}
	tick := func(done uint64) {
		progress(Progress{Done: done, Total: uint64(cfg.Count), Elapsed: time.Since(start), Planned: d})
	}
	out, err := drive(ctx, conc, cfg.Count, d, fn, newHist, tick)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	l := Level{Concurrency: conc, Ops: out.ops, Errors: out.errors, Elapsed: elapsed, FirstError: out.firstErr}
	if mon != nil {
		l.Resources = mon.Stop()
	}
	if err != nil {
		return l, err
	}
	if elapsed > 0 {
		l.OpsPerSec = float64(out.ops) / elapsed.Seconds()
	}
	if out.ops > 0 {
		l.AllocsPerOp = float64(after.Mallocs-before.Mallocs) / float64(out.ops)
		l.BytesPerOp = float64(after.TotalAlloc-before.TotalAlloc) / float64(out.ops)
	}
	l.Latency = summarize(out.hist, out.ops, out.errors)
	if out.hist != nil && out.hist.TotalCount() > 0 {
		l.P999 = time.Duration(out.hist.ValueAtQuantile(99.9))
	}
	progress(Progress{Done: out.ops, Total: uint64(cfg.Count), Elapsed: elapsed, Planned: d, Finished: true})
	return l, nil
}

// Histogram bounds of the runner: latencies in nanoseconds from 100 ns up
// to 10 minutes, as stats.Recorder's, with 3 significant digits (within
// 0.1%, about 200 KiB) for its short-lived per-goroutine histograms.
const (
	histLowest    = int64(100 * time.Nanosecond)
	histHighest   = int64(10 * time.Minute)
	runnerSigFigs = 3
)

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, runnerSigFigs)
}

func summarize(h *hdrhistogram.Histogram, count, errs uint64) arsenal.OpStats {
	s := arsenal.OpStats{Count: count, Errors: errs}
	if h == nil || h.TotalCount() == 0 {
		return s
	}
	s.Mean = time.Duration(h.Mean())
	s.P50 = time.Duration(h.ValueAtQuantile(50))
	s.P95 = time.Duration(h.ValueAtQuantile(95))
	s.P99 = time.Duration(h.ValueAtQuantile(99))
	s.Max = time.Duration(h.Max())
	return s
}

type driveResult struct {
	ops, errors uint64
	hist        *hdrhistogram.Histogram // merged latencies, nil when not recorded
	firstErr    string
}

// drive calls fn from conc goroutines until count calls are made (count >
// 0) or d has passed, recording latencies when mkHist is set. tick, when
// set, is called about ten times a second with the calls made so far.
func drive(ctx context.Context, conc, count int, d time.Duration, fn Func, mkHist func() *hdrhistogram.Histogram, tick func(uint64)) (driveResult, error) {
	if err := ctx.Err(); err != nil {
		return driveResult{}, arsenal.Wrap("bench", "run", err)
	}
	var (
		done, errs atomic.Uint64
		issued     atomic.Int64
		stop       atomic.Bool
		firstErr   atomic.Pointer[string]
		wg         sync.WaitGroup
	)
	hists := make([]*hdrhistogram.Histogram, conc)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.Now().Add(d)
	for w := range conc {
		var h *hdrhistogram.Histogram
		if mkHist != nil {
			h = mkHist()
			hists[w] = h
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if count > 0 {
					if issued.Add(1) > int64(count) {
						return
					}
				}
				t0 := time.Now()
				err := fn(runCtx)
				t1 := time.Now()
				if h != nil {
					_ = h.RecordValue(clamp(int64(t1.Sub(t0))))
				}
				done.Add(1)
				if err != nil {
					errs.Add(1)
					if firstErr.Load() == nil {
						msg := err.Error()
						firstErr.CompareAndSwap(nil, &msg)
					}
				}
				if count == 0 && !t1.Before(deadline) {
					return
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	var ctxErr error
wait:
	for {
		select {
		case <-finished:
			break wait
		case <-ctx.Done():
			ctxErr = ctx.Err()
			stop.Store(true)
			cancel()
			<-finished
			break wait
		case <-ticker.C:
			if tick != nil {
				tick(done.Load())
			}
		}
	}
	out := driveResult{ops: done.Load(), errors: errs.Load()}
	if p := firstErr.Load(); p != nil {
		out.firstErr = *p
	}
	if mkHist != nil {
		out.hist = hists[0]
		for _, h := range hists[1:] {
			out.hist.Merge(h)
		}
	}
	if ctxErr != nil {
		return out, arsenal.Wrap("bench", "run", ctxErr)
	}
	return out, nil
}

func clamp(v int64) int64 {
	if v < histLowest {
		return histLowest
	}
	if v > histHighest {
		return histHighest
	}
	return v
}

// ABConfig says how CompareAB interleaves two operations. Zero fields take
// the defaults stated beside them.
type ABConfig struct {
	// Rounds is how many times each side is measured. Default 10; at least
	// 4 are needed for the significance test to detect anything.
	Rounds int
	// RoundDuration is how long each side runs per round. Default 300 ms.
	RoundDuration time.Duration
	// Concurrency is the goroutines calling each op at once. Default 1.
	Concurrency int
	// Warmup runs each side once, unrecorded, before the first round.
	// Default 200 ms; negative disables it.
	Warmup time.Duration
}

// Validate reports every bad field at once, as Config.Validate does.
func (c ABConfig) Validate() error {
	v := arsenal.Validation{Component: "bench"}
	v.Check(c.Rounds >= 0, "Rounds", "must not be negative, got %d", c.Rounds)
	v.Check(c.RoundDuration >= 0, "RoundDuration", "must not be negative, got %v", c.RoundDuration)
	v.Check(c.Concurrency >= 0 && c.Concurrency <= maxConcurrency, "Concurrency", "must be between 0 and %d, got %d", maxConcurrency, c.Concurrency)
	return v.Err()
}

// ABResult compares two operations measured in alternation.
type ABResult struct {
	A, B        string    // the two workloads' names
	Concurrency int       // goroutines per side
	AOpsPerSec  []float64 // A's throughput in each round
	BOpsPerSec  []float64 // B's throughput in each round
	Ratios      []float64 // per round, A's throughput over B's (above 1: A is faster)
	Spread      Spread    // the ratios' median, quartiles and extremes
	// P is the Mann-Whitney U test's p-value that A's and B's throughputs
	// come from the same distribution; below 0.05 the difference is
	// significant.
	P        float64
	Warnings []string // e.g. too few rounds for the test, or errors seen
}

// Ratio is the median per-round throughput ratio A/B.
func (r ABResult) Ratio() float64 { return r.Spread.Median }

// String formats the comparison like "A is 2.31x B (IQR 2.25–2.40, min 2.1,
// max 2.5, p=0.000, 10 rounds)".
func (r ABResult) String() string {
	s := r.Spread
	return fmt.Sprintf("%s/%s = %.2fx (IQR %.2f–%.2f, min %.2f, max %.2f, p=%.3f, %d rounds)",
		r.A, r.B, s.Median, s.Q1, s.Q3, s.Min, s.Max, r.P, len(r.Ratios))
}

// Spread summarises a set of values by order statistics.
type Spread struct {
	Median, Q1, Q3, Min, Max float64
}

// SpreadOf returns the median, quartiles (linear interpolation between
// order statistics) and extremes of xs. An empty xs gives the zero Spread.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Spread{Median: quantile(s, 0.5), Q1: quantile(s, 0.25), Q3: quantile(s, 0.75), Min: s[0], Max: s[len(s)-1]}
}

// quantile of sorted s at q in [0,1], interpolating linearly.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	frac := pos - float64(lo)
	return s[lo] + frac*(s[lo+1]-s[lo])
}

// Alternate measures a and b in alternation for n rounds (a b, then b a,
// and so on, so that neither side always runs first) and returns each
// side's per-round values. It stops at the first error. CompareAB and the
// side-by-side programs in benchmarks pair their measurements with it.
func Alternate(n int, a, b func() (float64, error)) (as, bs []float64, err error) {
	for round := range n {
		var x, y float64
		if round%2 == 0 {
			if x, err = a(); err == nil {
				y, err = b()
			}
		} else {
			if y, err = b(); err == nil {
				x, err = a()
			}
		}
		if err != nil {
			return as, bs, err
		}
		as = append(as, x)
		bs = append(bs, y)
	}
	return as, bs, nil
}

// Ratios returns as[i]/bs[i] for every round where bs[i] > 0.
func Ratios(as, bs []float64) []float64 {
	var rs []float64
	for i := range min(len(as), len(bs)) {
		if bs[i] > 0 {
			rs = append(rs, as[i]/bs[i])
		}
	}
	return rs
}

// CompareAB measures a and b in alternation (A B, then B A, and so on, so
// that neither side always runs first) for cfg.Rounds rounds and reports
// the per-round throughput ratio A/B with its spread and a Mann-Whitney U
// p-value. Slow drift of the machine (thermal throttling, a neighbour's
// load) affects both sides of a round alike and cancels in the ratio.
//
// Cost: about 2 x Rounds x RoundDuration plus warm-up.
func CompareAB(ctx context.Context, cfg ABConfig, aName string, a Func, bName string, b Func) (ABResult, error) {
	if a == nil || b == nil {
		return ABResult{}, arsenal.Errorf(arsenal.InvalidArgument, "bench", "compare", "nil Func")
	}
	if err := cfg.Validate(); err != nil {
		return ABResult{}, err
	}
	if cfg.Rounds == 0 {
		cfg.Rounds = 10
	}
	if cfg.RoundDuration == 0 {
		cfg.RoundDuration = 300 * time.Millisecond
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = DefaultWarmup
	}
	res := ABResult{A: aName, B: bName, Concurrency: cfg.Concurrency}
	if cfg.Warmup > 0 {
		for _, f := range []Func{a, b} {
			if _, err := drive(ctx, cfg.Concurrency, 0, cfg.Warmup, f, nil, nil); err != nil {
				return res, err
			}
		}
	}
	measure := func(f Func) (float64, uint64, error) {
		start := time.Now()
		out, err := drive(ctx, cfg.Concurrency, 0, cfg.RoundDuration, f, nil, nil)
		return float64(out.ops) / time.Since(start).Seconds(), out.errors, err
	}
	var aErrs, bErrs uint64
	side := func(f Func, errs *uint64) func() (float64, error) {
		return func() (float64, error) {
			r, e, err := measure(f)
			*errs += e
			return r, err
		}
	}
	var err error
	res.AOpsPerSec, res.BOpsPerSec, err = Alternate(cfg.Rounds, side(a, &aErrs), side(b, &bErrs))
	if err != nil {
		return res, err
	}
	res.Ratios = Ratios(res.AOpsPerSec, res.BOpsPerSec)
	res.Spread = SpreadOf(res.Ratios)
	cmp := compareSamples(res.AOpsPerSec, res.BOpsPerSec, DefaultAlpha)
	res.P = cmp.P
	for _, w := range cmp.Warnings {
		res.Warnings = append(res.Warnings, w.Error())
	}
	if aErrs > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s returned %d errors", aName, aErrs))
	}
	if bErrs > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s returned %d errors", bName, bErrs))
	}
	if len(res.Ratios) < len(res.AOpsPerSec) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s completed no calls in some rounds", bName))
	}
	return res, nil
}
