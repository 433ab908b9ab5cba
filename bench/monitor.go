package bench

import (
	"math"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Resources is what the process used while a Monitor ran.
type Resources struct {
	Wall           time.Duration // how long the monitor ran
	CPUUser        time.Duration // user CPU time consumed (getrusage); 0 where unsupported
	CPUSys         time.Duration // system CPU time consumed
	CPUCores       float64       // (CPUUser+CPUSys)/Wall: 1.0 means one core busy throughout
	RSSPeak        uint64        // highest resident set size sampled, bytes (Linux /proc; 0 elsewhere)
	RSSEnd         uint64        // resident set size at the end, bytes
	HeapPeak       uint64        // highest live-and-unswept heap object bytes sampled
	HeapEnd        uint64        // heap object bytes at the end
	GoroutinesPeak int           // most goroutines sampled
	GCCycles       uint64        // garbage collections completed
	GCPauseTotal   time.Duration // stop-the-world GC pause time (from bucket midpoints)
	GCPauseMax     time.Duration // upper bound of the longest GC pause's bucket
	Samples        []Sample      // the samples taken, in order
}

// Sample is one reading of the process's resources.
type Sample struct {
	At         time.Duration // since the monitor started
	CPUUser    time.Duration // cumulative since the monitor started
	CPUSys     time.Duration // cumulative since the monitor started
	RSS        uint64        // resident set size, bytes
	Heap       uint64        // heap object bytes
	Goroutines int
}

// Monitor samples the process's CPU time, RSS, Go heap and goroutines at a
// fixed interval, and its GC cycles and pauses between start and stop.
// Start one with StartMonitor and end it with Stop. A Monitor is safe for
// concurrent use; Stop may be called more than once.
type Monitor struct {
	every time.Duration
	start time.Time
	cpu0  cpuTimes
	gc0   gcState
	done  chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	samples []Sample
	stopped bool
	result  Resources
}

// StartMonitor starts sampling every interval (100 ms when interval <= 0)
// in a background goroutine. Each sample costs a getrusage call, a read of
// /proc/self/statm and a runtime/metrics read: a few microseconds, no
// stop-the-world.
func StartMonitor(interval time.Duration) *Monitor {
	if interval <= 0 {
		interval = DefaultSampleEvery
	}
	m := &Monitor{every: interval, start: time.Now(), cpu0: readCPU(), gc0: readGC(), done: make(chan struct{})}
	m.sample()
	m.wg.Add(1)
	go m.loop()
	return m
}

func (m *Monitor) loop() {
	defer m.wg.Done()
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
			m.sample()
		}
	}
}

var gaugeNames = []string{"/memory/classes/heap/objects:bytes", "/sched/goroutines:goroutines"}

func (m *Monitor) sample() {
	gs := make([]metrics.Sample, len(gaugeNames))
	for i, n := range gaugeNames {
		gs[i].Name = n
	}
	metrics.Read(gs)
	cpu := readCPU()
	s := Sample{
		At:         time.Since(m.start),
		CPUUser:    cpu.user - m.cpu0.user,
		CPUSys:     cpu.sys - m.cpu0.sys,
		RSS:        readRSS(),
		Heap:       metricUint(gs[0]),
		Goroutines: int(metricUint(gs[1])),
	}
	m.mu.Lock()
	m.samples = append(m.samples, s)
	m.mu.Unlock()
}

func metricUint(s metrics.Sample) uint64 {
	if s.Value.Kind() == metrics.KindUint64 {
		return s.Value.Uint64()
	}
	return 0
}

// Stop takes a last sample, stops the sampler and returns the summary.
// Later calls return the same summary.
func (m *Monitor) Stop() Resources {
	m.mu.Lock()
	if m.stopped {
		defer m.mu.Unlock()
		return m.result
	}
	m.stopped = true
	m.mu.Unlock()
	close(m.done)
	m.wg.Wait()
	m.sample()
	gc := readGC()

	m.mu.Lock()
	defer m.mu.Unlock()
	r := Resources{Wall: time.Since(m.start), Samples: m.samples}
	last := m.samples[len(m.samples)-1]
	r.CPUUser, r.CPUSys, r.RSSEnd, r.HeapEnd = last.CPUUser, last.CPUSys, last.RSS, last.Heap
	for _, s := range m.samples {
		r.RSSPeak = max(r.RSSPeak, s.RSS)
		r.HeapPeak = max(r.HeapPeak, s.Heap)
		r.GoroutinesPeak = max(r.GoroutinesPeak, s.Goroutines)
	}
	if r.Wall > 0 {
		r.CPUCores = (r.CPUUser + r.CPUSys).Seconds() / r.Wall.Seconds()
	}
	r.GCCycles = gc.cycles - m.gc0.cycles
	r.GCPauseTotal, r.GCPauseMax = pauseDelta(m.gc0.pauses, gc.pauses)
	m.result = r
	return r
}

type cpuTimes struct{ user, sys time.Duration }

type gcState struct {
	cycles uint64
	pauses *metrics.Float64Histogram
}

func readGC() gcState {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(s)
	g := gcState{cycles: metricUint(s[0])}
	if s[1].Value.Kind() == metrics.KindFloat64Histogram {
		g.pauses = s[1].Value.Float64Histogram()
	}
	return g
}

// pauseDelta sums the pauses recorded between two cumulative histograms,
// counting each at its bucket's midpoint, and returns the upper bound of
// the highest bucket that gained a pause.
func pauseDelta(before, after *metrics.Float64Histogram) (total, longest time.Duration) {
	if after == nil {
		return 0, 0
	}
	var sum, top float64
	for i, c := range after.Counts {
		var c0 uint64
		if before != nil && i < len(before.Counts) {
			c0 = before.Counts[i]
		}
		n := c - c0
		if n == 0 {
			continue
		}
		lo, hi := after.Buckets[i], after.Buckets[i+1]
		if math.IsInf(lo, -1) {
			lo = 0
		}
		if math.IsInf(hi, 1) {
			hi = lo
		}
		sum += float64(n) * (lo + hi) / 2
		top = hi
	}
	return time.Duration(sum * 1e9), time.Duration(top * 1e9)
}

var pageSize = uint64(os.Getpagesize())

// readRSS reads the resident set size from /proc/self/statm (Linux); it
// returns 0 where that file does not exist.
func readRSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * pageSize
}
