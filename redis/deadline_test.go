package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// Concurrent deadline-free calls share the pipelined connections, where
// CommandTimeout is kept by a timer shared per slice of time: each must
// still end at CommandTimeout (plus at most a sixteenth of it) as
// DeadlineExceeded, under context.Background, a value context and a
// cancellable one alike.
func TestCommandTimeoutBoundsConcurrentCallsToAServerThatStopsAnswering(t *testing.T) {
	srv := startReal(t)
	const timeout = 400 * time.Millisecond
	c := openAt(t, srv, func(cfg *redis.Config) { cfg.CommandTimeout = timeout })
	_, err := c.Do(ctxT(t), "CLIENT", "PAUSE", "3000", "ALL")
	require.NoError(t, err)
	type key struct{}
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctxs := []context.Context{context.Background(), context.WithValue(context.Background(), key{}, 1), cctx}
	const callers = 48
	errs := make([]error, callers)
	took := make([]time.Duration, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, errs[i] = c.Get(ctxs[i%len(ctxs)], "k")
			took[i] = time.Since(start)
		}()
	}
	wg.Wait()
	for i := range callers {
		assert.True(t, arsenal.IsCode(errs[i], arsenal.DeadlineExceeded), "call %d: %v; want DeadlineExceeded", i, errs[i])
		assert.GreaterOrEqual(t, took[i], timeout-50*time.Millisecond, "call %d ended before CommandTimeout", i)
		assert.Less(t, took[i], 2*time.Second, "call %d waited past CommandTimeout", i)
	}
}
