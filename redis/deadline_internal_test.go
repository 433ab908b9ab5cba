package redis

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
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

// A lone deadline-free call runs on the direct client under a cmdCtx:
// CommandTimeout still bounds it, without context.WithTimeout's five
// allocations.
func TestALoneDeadlineFreeCallAllocatesLittle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := Open(ctx, Config{Addrs: []string{testenv.SharedRedis(t).Addr}})
	require.NoError(t, err)
	defer c.Close()
	require.NotNil(t, c.rd.Load(), "no direct client")
	bg := context.Background()
	require.NoError(t, c.Set(bg, "alloc:k", "v"))
	var callErr error
	allocs := testing.AllocsPerRun(200, func() {
		if err := c.Set(bg, "alloc:k", "v"); err != nil {
			callErr = err
		}
		if _, err := c.Get(bg, "alloc:k"); err != nil {
			callErr = err
		}
	})
	require.NoError(t, callErr)
	// SET: the cmdCtx; GET: the cmdCtx and the reply string (rueidis's
	// own message parsing allocates nothing more for these replies).
	assert.LessOrEqual(t, allocs, 4.0, "allocations per SET+GET pair")
}
