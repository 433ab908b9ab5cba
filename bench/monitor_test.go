package bench_test

import (
	"crypto/sha256"
	"runtime"
	"testing"
	"time"

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
		if r.CPUUser <= 0 || r.CPUCores <= 0 {
			t.Errorf("CPU user %v cores %.2f, want positive after burning CPU", r.CPUUser, r.CPUCores)
		}
		if r.RSSPeak < 32<<20 || r.RSSEnd == 0 {
			t.Errorf("RSS peak %d end %d, want peak above 32 MiB", r.RSSPeak, r.RSSEnd)
		}
	}
	if r.HeapPeak < 32<<20 {
		t.Errorf("heap peak %d, want above 32 MiB", r.HeapPeak)
	}
	if r.GoroutinesPeak < 20 {
		t.Errorf("goroutines peak %d, want at least 20", r.GoroutinesPeak)
	}
	if r.GCCycles < 1 || r.GCPauseTotal <= 0 || r.GCPauseMax <= 0 {
		t.Errorf("GC cycles %d pause total %v max %v, want at least the forced GC", r.GCCycles, r.GCPauseTotal, r.GCPauseMax)
	}
	if len(r.Samples) < 3 || r.Wall < 200*time.Millisecond {
		t.Errorf("%d samples over %v, want several over at least 200ms", len(r.Samples), r.Wall)
	}
	for i := 1; i < len(r.Samples); i++ {
		if r.Samples[i].At < r.Samples[i-1].At || r.Samples[i].CPUUser < r.Samples[i-1].CPUUser {
			t.Fatalf("samples out of order at %d: %+v then %+v", i, r.Samples[i-1], r.Samples[i])
		}
	}
	if again := m.Stop(); again.Wall != r.Wall {
		t.Errorf("second Stop returned a different summary")
	}
}
