package fanout_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/internal/fanout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunCallsEveryCallerAtOnceAndKeepsTheirErrors(t *testing.T) {
	var running, peak atomic.Int32
	release := make(chan struct{})
	go func() {
		for running.Load() < 4 {
			time.Sleep(time.Millisecond)
		}
		close(release)
	}()
	errs := fanout.Run(4, func(i int) error {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release // returns only once all four run at the same time
		if i%2 == 1 {
			return fmt.Errorf("caller %d", i)
		}
		return nil
	})
	assert.Equal(t, int32(4), peak.Load(), "peak %d callers at once, want 4", peak.Load())
	require.Equal(t, 2, len(errs), "errors %v, want callers 1 and 3 in order", errs)
	assert.Equal(t, "caller 1", errs[0].Error(), "errors %v, want callers 1 and 3 in order", errs)
	assert.Equal(t, "caller 3", errs[1].Error(), "errors %v, want callers 1 and 3 in order", errs)
	errs = fanout.Run(3, func(int) error { return nil })
	assert.Equal(t, 0, len(errs), "no failures gave %v", errs)
	errs = fanout.Run(1, func(int) error { return errors.ErrUnsupported })
	require.Equal(t, 1, len(errs), "one failure gave %v", errs)
	assert.ErrorIs(t, errs[0], errors.ErrUnsupported, "one failure gave %v", errs)
}
