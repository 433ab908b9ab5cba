//go:build !race

// The race detector's instrumentation allocates, so allocation counts are
// checked only in builds without it.

package redis

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
)

type allocKey struct{}

// A lone deadline-free call is bounded by CommandTimeout without
// context.WithTimeout's five allocations.
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
	// context.Background shares the wheel's context: the only
	// allocation left is GET's reply string.
	assert.LessOrEqual(t, allocs, 1.0, "allocations per SET+GET pair")
	// A context that carries a value costs one small wheelCtx a call.
	vctx := context.WithValue(bg, allocKey{}, 1)
	allocs = testing.AllocsPerRun(200, func() {
		if err := c.Set(vctx, "alloc:k", "v"); err != nil {
			callErr = err
		}
	})
	require.NoError(t, callErr)
	assert.LessOrEqual(t, allocs, 1.0, "allocations per SET under a value context")
	// A cancellable context goes direct under a cmdCtx.
	cctx, ccancel := context.WithCancel(bg)
	defer ccancel()
	allocs = testing.AllocsPerRun(200, func() {
		if err := c.Set(cctx, "alloc:k", "v"); err != nil {
			callErr = err
		}
	})
	require.NoError(t, callErr)
	assert.LessOrEqual(t, allocs, 1.0, "allocations per SET under a cancellable context")
}
