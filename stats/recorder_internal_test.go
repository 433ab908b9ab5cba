package stats

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timed is how many calls o's histograms hold.
func (o *Op) timed() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var n int64
	o.each(func(s *opShard) { n += s.hist.TotalCount() })
	return n
}

func TestSampleEveryTimesAFractionButCountsEveryCall(t *testing.T) {
	op := NewRecorder().Op("get")
	op.SampleEvery(8)
	fail := errors.New("x")
	const calls = 40_000
	for i := range calls {
		var err error
		if i%5 == 0 {
			err = fail
		}
		_ = op.Done(op.Start(), err)
	}
	s := op.Stats()
	require.Equal(t, uint64(calls), s.Count, "count/errors %d/%d, want %d/%d (sampling must not lose calls)", s.Count, s.Errors, calls, calls/5)
	require.Equal(t, uint64(calls/5), s.Errors, "count/errors %d/%d, want %d/%d (sampling must not lose calls)", s.Count, s.Errors, calls, calls/5)
	// The first sampleAfter calls are all timed, then about 1 in 8.
	want := float64(sampleAfter) + float64(calls-sampleAfter)/8
	got := float64(op.timed())
	assert.GreaterOrEqual(t, got, want*0.85, "%v calls timed, want about %v", got, want)
	assert.LessOrEqual(t, got, want*1.15, "%v calls timed, want about %v", got, want)
	assert.Greater(t, s.P50, time.Duration(0), "sampled percentiles missing: %+v", s)
	assert.GreaterOrEqual(t, s.Max, s.P50, "sampled percentiles missing: %+v", s)

	// Reset starts over with every call timed.
	op.Reset()
	for range 100 {
		_ = op.Done(op.Start(), nil)
	}
	n := op.timed()
	assert.Equal(t, int64(100), n, "after Reset %d of 100 calls timed, want all", n)
}

func TestWithoutSamplingEveryCallIsTimed(t *testing.T) {
	op := NewRecorder().Op("get")
	for range 3000 {
		_ = op.Done(op.Start(), nil)
	}
	n := op.timed()
	assert.Equal(t, int64(3000), n, "%d of 3000 calls timed, want all", n)
	op.SampleEvery(1)
	for range 3000 {
		_ = op.Done(op.Start(), nil)
	}
	n = op.timed()
	assert.Equal(t, int64(6000), n, "SampleEvery(1): %d of 6000 calls timed, want all", n)
}

func TestNowIsNeverZero(t *testing.T) {
	require.Greater(t, Now(), time.Duration(0), "Now() must be positive: 0 means not timed")
	require.GreaterOrEqual(t, Now(), time.Microsecond, "Now(), want at least the 1 µs head start")
}
