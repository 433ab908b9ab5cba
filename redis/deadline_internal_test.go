package redis

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCmdCtxReportsItsDeadlineAndEndsThere(t *testing.T) {
	before := time.Now()
	c := newCmdCtx(context.Background(), 50*time.Millisecond)
	defer c.release()
	dl, ok := c.Deadline()
	require.True(t, ok)
	assert.WithinDuration(t, before.Add(50*time.Millisecond), dl, 20*time.Millisecond)
	assert.NoError(t, c.Err())
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done did not close at the deadline")
	}
	assert.ErrorIs(t, c.Err(), context.DeadlineExceeded)
	assert.ErrorIs(t, context.Cause(c), errCommandTimeout)
}

func TestCmdCtxErrPassesTheDeadlineWithoutATimer(t *testing.T) {
	c := newCmdCtx(context.Background(), 10*time.Millisecond)
	defer c.release()
	time.Sleep(20 * time.Millisecond)
	assert.ErrorIs(t, c.Err(), context.DeadlineExceeded)
	assert.Nil(t, c.t.Load(), "Err started a timer")
}

func TestCmdCtxFollowsItsParent(t *testing.T) {
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	c := newCmdCtx(parent, time.Hour)
	defer c.release()
	assert.Equal(t, "v", c.Value(key{}))
	cancel()
	assert.ErrorIs(t, c.Err(), context.Canceled)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done did not close when the parent was cancelled")
	}
	assert.Equal(t, "v", c.Value(key{}))
	assert.ErrorIs(t, c.Err(), context.Canceled)
}

func TestCmdCtxReleaseStopsItsTimerAndStartsNone(t *testing.T) {
	c := newCmdCtx(context.Background(), time.Hour)
	done := c.Done()
	c.release()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("release did not stop the timer context")
	}
	c2 := newCmdCtx(context.Background(), time.Hour)
	c2.release()
	select {
	case <-c2.Done():
	default:
		t.Fatal("Done after release is not closed")
	}
	assert.Nil(t, c2.t.Load(), "Done after release started a timer")
}

func TestTimeoutWheelBoundsCallsWithinOneSlice(t *testing.T) {
	w := newTimeoutWheel(160 * time.Millisecond)
	require.Equal(t, int64(10*time.Millisecond), w.slice)
	before := time.Now()
	ctx := w.bound(context.Background())
	dl, ok := ctx.Deadline()
	require.True(t, ok)
	assert.False(t, dl.Before(before.Add(160*time.Millisecond)), "deadline before CommandTimeout")
	assert.False(t, dl.After(time.Now().Add(170*time.Millisecond)), "deadline past CommandTimeout and a slice")
	assert.NoError(t, ctx.Err())
	type key struct{}
	vctx := w.bound(context.WithValue(context.Background(), key{}, "v"))
	assert.Equal(t, "v", vctx.Value(key{}))
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done did not close")
	}
	ended := time.Since(before)
	assert.GreaterOrEqual(t, ended, 160*time.Millisecond)
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	assert.ErrorIs(t, context.Cause(ctx), context.DeadlineExceeded)
	// A call after the slot ended gets a fresh one.
	next := w.bound(context.Background())
	assert.NoError(t, next.Err())
	assert.NotEqual(t, ctx.Done(), next.Done())
}

func TestTimeoutWheelSharesOneTimerPerSlice(t *testing.T) {
	w := newTimeoutWheel(time.Hour)
	first := w.bound(context.Background())
	for range 1000 {
		c := w.bound(context.Background())
		if c.Done() != first.Done() {
			// The slice (225 s) ended meanwhile: impossible in this loop.
			t.Fatal("calls in one slice got different channels")
		}
	}
	assert.Same(t, first, w.bound(context.Background()), "context.Background's calls share one context")
}
