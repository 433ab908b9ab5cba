package stats

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/infra-arsenal/arsenal"
)

// Histogram bounds: latencies are recorded in nanoseconds from 100 ns up
// to 10 minutes. A Recorder's histograms keep 2 significant digits (values
// within 1%), about 28 KiB per histogram, since components keep one or a
// few per operation for their whole life (and some per connection).
const (
	histLowest  = int64(100 * time.Nanosecond)
	histHighest = int64(10 * time.Minute)
	histSigFigs = 2
)

// Recorder keeps a latency histogram, a call count and an error count per
// operation. It is safe for concurrent use; recording allocates nothing once
// the operation's histogram exists.
type Recorder struct {
	since time.Time
	mu    sync.RWMutex
	ops   map[string]*Op
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{since: time.Now(), ops: map[string]*Op{}}
}

// Op returns the recorder for one operation, creating it on first use.
// Callers on a hot path keep the *Op to skip the map lookup.
func (r *Recorder) Op(name string) *Op {
	r.mu.RLock()
	op := r.ops[name]
	r.mu.RUnlock()
	if op != nil {
		return op
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if op = r.ops[name]; op == nil {
		op = newOp()
		r.ops[name] = op
	}
	return op
}

// Record adds one call of op that took d and returned err.
func (r *Recorder) Record(op string, d time.Duration, err error) { r.Op(op).Record(d, err) }

// Since is when the recorder started (or was last reset).
func (r *Recorder) Since() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.since
}

// Snapshot returns every operation's summary.
func (r *Recorder) Snapshot() map[string]arsenal.OpStats {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[string]arsenal.OpStats, len(r.ops))
	for name, op := range r.ops {
		out[name] = op.Stats()
	}
	return out
}

// Reset clears every operation.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.since = time.Now()
	for _, op := range r.ops {
		op.Reset()
	}
}

// Op records the calls of one operation.
//
// Recording takes no shared lock: an Op keeps one or more shards (a
// histogram with its counts). A call records into a shard taken from a
// sync.Pool, which is per-P, so the shard a core used last stays in that
// core's cache and callers on different cores do not contend; Stats merges
// the shards. An Op has at most 2×GOMAXPROCS shards of about 28 KiB each,
// allocated on first use (one, for an operation called from one goroutine
// at a time, until that goroutine moves between cores).
type Op struct {
	pool   sync.Pool  // *opShard in state shardPooled
	mu     sync.Mutex // guards shards (the list, not their contents)
	shards []*opShard
	every  atomic.Uint32 // Start times 1 call in every (0 or 1: all)
	warm   atomic.Bool   // enough calls timed for sampling to begin
	// Calls begun by a sampling Start (counted there, timed or not) and
	// their errors; shards count the other calls.
	calls, callErrors atomic.Uint64
}

// sampleAfter is how many calls an Op times in full (since it was made or
// Reset) before SampleEvery takes effect, so that the first figures of a
// new operation rest on every call.
const sampleAfter = 1024

// Shard states. A shard is busy while one goroutine records into it or
// reads it, and pooled otherwise (put back into the pool, or dropped from
// it by a garbage collection).
const (
	shardPooled int32 = iota
	shardBusy
)

type opShard struct {
	state  atomic.Int32
	count  uint64 // timed calls (owner only)
	errors uint64
	hist   *hdrhistogram.Histogram
}

func newOp() *Op { return &Op{} }

// Record adds one call that took d and returned err.
func (o *Op) Record(d time.Duration, err error) { o.record(d, err, true) }

// record adds the latency d to a shard; counted says the call is counted
// here too (a sampling Start counted its calls already, and its errors
// go with that count).
func (o *Op) record(d time.Duration, err error, counted bool) {
	v := min(max(int64(d), histLowest), histHighest)
	if !counted && err != nil {
		o.callErrors.Add(1)
	}
	s, _ := o.pool.Get().(*opShard)
	if s == nil || !s.state.CompareAndSwap(shardPooled, shardBusy) {
		s = o.grab()
	}
	if counted {
		s.count++
		if err != nil {
			s.errors++
		}
	}
	_ = s.hist.RecordValue(v) // v is clamped into range, so this cannot fail
	if s.hist.TotalCount() >= sampleAfter && !o.warm.Load() {
		o.warm.Store(true)
	}
	s.state.Store(shardPooled)
	o.pool.Put(s)
}

// SampleEvery makes Start time one call in n once the operation has timed
// its first 1024 calls; the others are counted (calls and errors stay
// exact) without reading the clock. Percentiles and the mean then rest on
// the sample. It is for operations whose calls take a few microseconds,
// where two clock reads and a histogram update are a visible share of the
// call. n <= 1 times every call (the default). A sampled call is counted
// when it starts.
func (o *Op) SampleEvery(n int) {
	o.every.Store(uint32(max(n, 1)))
}

// Start begins a call for Done. Without sampling it returns the call
// clock (Now). With sampling (see SampleEvery), once the operation is warm,
// it counts the call with one atomic add, which also picks 1 call in n to
// time, and returns 0 for a call that is not timed and the negated clock
// for one that is.
func (o *Op) Start() time.Duration {
	e := uint64(o.every.Load())
	if e <= 1 || !o.warm.Load() {
		return Now()
	}
	if o.calls.Add(1)%e != 0 {
		return 0
	}
	return -Now()
}

// grab returns a busy shard for a call the pool had none for: a new one
// while there are fewer than 2×GOMAXPROCS, then one whose pool entry a
// garbage collection dropped (any pooled shard: should it still sit in
// another core's pool, the two cores share it, which costs time, not
// correctness), and a new one when every shard is busy.
func (o *Op) grab() *opShard {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.shards) >= 2*runtime.GOMAXPROCS(0) {
		for _, s := range o.shards {
			if s.state.CompareAndSwap(shardPooled, shardBusy) {
				return s
			}
		}
	}
	s := &opShard{hist: hdrhistogram.New(histLowest, histHighest, histSigFigs)}
	s.state.Store(shardBusy)
	o.shards = append(o.shards, s)
	return s
}

// each calls fn with every shard in turn, each held busy while fn runs
// (waiting for a recording call to finish with it). o.mu is held.
func (o *Op) each(fn func(*opShard)) {
	for _, s := range o.shards {
		for !s.state.CompareAndSwap(shardPooled, shardBusy) {
			runtime.Gosched()
		}
		fn(s)
		s.state.Store(shardPooled)
	}
}

// epoch anchors Now.
var epoch = time.Now().Add(-time.Microsecond)

// Now reads the monotonic clock as the time since the process started: one
// clock read (about 20 ns, 55 ns on some virtual machines), where time.Now
// also reads the wall clock. Pair it with Op.Done to time a call on a hot
// path. It is never 0 (Start's "not timed"): it counts from just before
// the package was initialized.
func Now() time.Duration { return time.Since(epoch) }

// Done records a call that started at start (a Now or Start reading) and
// returned err; it returns err so a method can end with `return x,
// op.Done(start, err)`. A start of 0 (from Start, for a call left out of
// the sample) counts the call without timing it.
func (o *Op) Done(start time.Duration, err error) error {
	switch {
	case start > 0:
		o.Record(Now()-start, err)
	case start == 0: // counted by Start, not timed
		if err != nil {
			o.callErrors.Add(1)
		}
	default: // counted by Start, timed
		o.record(Now()+start, err, false)
	}
	return err
}

// Since records a call that started at start and returned err; it returns
// err so a method can end with `return x, op.Since(start, err)`.
func (o *Op) Since(start time.Time, err error) error {
	o.Record(time.Since(start), err)
	return err
}

// Stats returns the operation's summary.
func (o *Op) Stats() arsenal.OpStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := arsenal.OpStats{Count: o.calls.Load(), Errors: o.callErrors.Load()}
	var h *hdrhistogram.Histogram
	if len(o.shards) > 1 {
		h = hdrhistogram.New(histLowest, histHighest, histSigFigs)
	}
	o.each(func(sh *opShard) {
		s.Count += sh.count
		s.Errors += sh.errors
		if len(o.shards) == 1 {
			s = summary(s, sh.hist)
		} else {
			h.Merge(sh.hist)
		}
	})
	if h != nil {
		s = summary(s, h)
	}
	return s
}

// summary fills s's latency figures from h.
func summary(s arsenal.OpStats, h *hdrhistogram.Histogram) arsenal.OpStats {
	if h.TotalCount() == 0 {
		return s
	}
	s.Mean = time.Duration(h.Mean())
	s.P50 = time.Duration(h.ValueAtQuantile(50))
	s.P95 = time.Duration(h.ValueAtQuantile(95))
	s.P99 = time.Duration(h.ValueAtQuantile(99))
	s.Max = time.Duration(h.Max())
	return s
}

// Reset clears the operation.
func (o *Op) Reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.each(func(sh *opShard) {
		sh.count, sh.errors = 0, 0
		sh.hist.Reset()
	})
	o.warm.Store(false)
	o.calls.Store(0)
	o.callErrors.Store(0)
}

// Rate returns o's calls per second over the window from since to now (the
// recorder's Since and the snapshot's time), or 0 for an empty window.
func Rate(o arsenal.OpStats, since, now time.Time) float64 {
	d := now.Sub(since)
	if d <= 0 {
		return 0
	}
	return float64(o.Count) / d.Seconds()
}
