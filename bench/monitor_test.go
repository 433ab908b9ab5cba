package bench_test

import (
	"crypto/sha256"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/bench"
)

var keep [][]byte

func TestMonitorSeesCPUMemoryGoroutinesAndGC(t *testing.T) {
	m := bench.StartMonitor(10 * time.Millisecond)
	// Burn CPU for a while, hold 32 MiB, park some goroutines, collect.
	buf := make([]byte, 1<<20)
	for start := time.Now(); time.Since(start) < 150*time.Millisecond; {
		sha256.Sum256(buf)
	}
	for range 32 {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = byte(i)
		}
		keep = append(keep, b)
	}
	park := make(chan struct{})
	for range 20 {
		go func() { <-park }()
	}
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	r := m.Stop()
	close(park)
	keep = nil

	if runtime.GOOS == "linux" {
		assert.Positive(t, r.CPUUser, "CPU user after burning CPU")
		assert.Positive(t, r.CPUCores, "CPU cores after burning CPU")
		assert.GreaterOrEqual(t, r.RSSPeak, uint64(32<<20), "RSS peak above 32 MiB")
		assert.NotZero(t, r.RSSEnd, "RSS at the end")
	}
	assert.GreaterOrEqual(t, r.HeapPeak, uint64(32<<20), "heap peak above 32 MiB")
	assert.GreaterOrEqual(t, r.GoroutinesPeak, 20, "goroutines peak")
	assert.GreaterOrEqual(t, r.GCCycles, uint64(1), "GC cycles: at least the forced GC")
	assert.Positive(t, r.GCPauseTotal, "GC pause total")
	assert.Positive(t, r.GCPauseMax, "GC pause max")
	assert.GreaterOrEqual(t, len(r.Samples), 3, "several samples")
	assert.GreaterOrEqual(t, r.Wall, 200*time.Millisecond, "over at least 200ms")
	for i := 1; i < len(r.Samples); i++ {
		require.True(t, r.Samples[i].At >= r.Samples[i-1].At && r.Samples[i].CPUUser >= r.Samples[i-1].CPUUser,
			"samples out of order at %d: %+v then %+v", i, r.Samples[i-1], r.Samples[i])
	}
	assert.Equal(t, r.Wall, m.Stop().Wall, "second Stop returned a different summary")
}
