// Package componenttest is the conformance suite every Arsenal Component
// runs, built-in domain or plugin, after gocloud.dev's drivertest. A
// component's test supplies a Harness and calls Run:
//
//	func TestConformance(t *testing.T) {
//		componenttest.Run(t, componenttest.Harness{
//			Open:          func(ctx context.Context) (arsenal.Component, error) { return mypkg.Open(ctx, validCfg) },
//			OpenInvalid:   func(ctx context.Context) error { _, err := mypkg.Open(ctx, badCfg); return err },
//			InvalidFields: []string{"Addr", "PoolSize"},
//			Unreachable:   func(ctx context.Context) error { ... }, // or MissingPath for a file-backed component
//			Exercise:      func(ctx context.Context, c arsenal.Component) error { ... },
//		})
//	}
//
// The suite checks: open with a valid config; an invalid config is rejected
// before any I/O with InvalidArgument naming every bad field; health passes;
// stats show the operations performed; close is idempotent and later calls
// fail with a coded error wrapping arsenal.ErrClosed; an unreachable server
// (Harness.Unreachable, for networked components) fails as Unavailable or
// DeadlineExceeded within the configured timeout, and only those; a file in
// a directory that does not exist (Harness.MissingPath, for file-backed
// components) fails promptly as NotFound, and only that; a cancelled
// context returns promptly with Canceled; concurrent use is race-free (run
// the suite under -race); no goroutine outlives Close. A harness sets
// Unreachable, MissingPath or both, never neither.
package componenttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/infra-arsenal/arsenal"
)

// Harness is what a component gives the suite.
type Harness struct {
	// Open opens a component with a valid config against a working server.
	Open func(ctx context.Context) (arsenal.Component, error)
	// OpenInvalid opens with a config whose bad fields are InvalidFields.
	// It must fail with InvalidArgument before any I/O.
	OpenInvalid func(ctx context.Context) error
	// InvalidFields are the Config field names OpenInvalid gets wrong; the
	// error's *arsenal.ConfigError must name each.
	InvalidFields []string
	// Unreachable opens (and, where opening is lazy, uses) a component
	// pointed at an address where nothing listens, with its connect timeout
	// set to UnreachableTimeout. It must fail with Unavailable or
	// DeadlineExceeded; any other code (NotFound included) fails the
	// suite. Networked components set it.
	Unreachable func(ctx context.Context) error
	// MissingPath opens (and, where opening is lazy, uses) a file-backed
	// component at a path whose directory does not exist. It must fail
	// with NotFound within MissingPathTimeout: a missing directory is not
	// an unreachable server. File-backed components set it.
	MissingPath func(ctx context.Context) error
	// UnreachableTimeout is the connect timeout Unreachable configures; the
	// call must return within it plus 2 s. Default 3 s.
	UnreachableTimeout time.Duration
	// MissingPathTimeout bounds MissingPath (no network wait is involved).
	// Default 2 s.
	MissingPathTimeout time.Duration
	// Exercise performs one operation that Stats counts.
	Exercise func(ctx context.Context, c arsenal.Component) error
	// Blocking, when set, performs an operation that waits (a blocking read,
	// a long query) until its context ends; the suite calls it with a
	// context it cancels. When nil, Exercise is called with an already
	// cancelled context instead.
	Blocking func(ctx context.Context, c arsenal.Component) error
	// Kind is the expected Kind(); empty skips that check.
	Kind string
	// Concurrency is how many goroutines the race check runs; default 8.
	Concurrency int
	// LeakOptions are extra goleak options (goroutines of shared test
	// servers, say).
	LeakOptions []goleak.Option
}

// Run runs every conformance check as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil || h.Exercise == nil {
		t.Fatal("componenttest: Harness needs Open and Exercise")
	}
	if h.UnreachableTimeout <= 0 {
		h.UnreachableTimeout = 3 * time.Second
	}
	if h.MissingPathTimeout <= 0 {
		h.MissingPathTimeout = 2 * time.Second
	}
	if h.Concurrency <= 0 {
		h.Concurrency = 8
	}
	t.Run("OpensWithValidConfig", func(t *testing.T) { testOpen(t, h) })
	t.Run("RejectsInvalidConfigNamingEveryField", func(t *testing.T) { testInvalid(t, h) })
	t.Run("StatsCountOperations", func(t *testing.T) { testStats(t, h) })
	t.Run("CloseIsIdempotentAndLaterCallsFailCoded", func(t *testing.T) { testClose(t, h) })
	if h.Unreachable == nil && h.MissingPath == nil {
		t.Error("componenttest: Harness needs Unreachable (a networked component), MissingPath (a file-backed one) or both")
	}
	if h.Unreachable != nil {
		t.Run("UnreachableFailsWithinTimeout", func(t *testing.T) { testUnreachable(t, h) })
	}
	if h.MissingPath != nil {
		t.Run("MissingPathFailsAsNotFound", func(t *testing.T) { testMissingPath(t, h) })
	}
	t.Run("CancelledContextReturnsPromptly", func(t *testing.T) { testCancel(t, h) })
	t.Run("ConcurrentUseIsSafe", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("NoGoroutineOutlivesClose", func(t *testing.T) { testLeaks(t, h) })
}

func open(t *testing.T, h Harness) arsenal.Component {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := h.Open(ctx)
	require.NoError(t, err, "Open")
	require.NotNil(t, c, "Open returned a nil component and no error")
	return c
}

func testOpen(t *testing.T, h Harness) {
	c := open(t, h)
	defer c.Close()
	assert.NotEmpty(t, c.Kind(), "Kind() is empty")
	if h.Kind != "" {
		assert.Equal(t, h.Kind, c.Kind(), "Kind()")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	assert.NoError(t, c.Health(ctx), "Health on a fresh component")
}

func testInvalid(t *testing.T, h Harness) {
	require.NotNil(t, h.OpenInvalid, "Harness.OpenInvalid is required: every component validates its config")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err := h.OpenInvalid(ctx)
	require.Error(t, err, "OpenInvalid succeeded; want InvalidArgument")
	assert.LessOrEqual(t, time.Since(start), time.Second, "OpenInvalid took too long; validation must fail before any I/O")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "code = %v, want InvalidArgument (err: %v)", arsenal.CodeOf(err), err)
	var ce *arsenal.ConfigError
	require.ErrorAs(t, err, &ce, "error does not wrap *arsenal.ConfigError")
	require.NotEmpty(t, h.InvalidFields, "Harness.InvalidFields is empty: name the fields OpenInvalid gets wrong")
	for _, f := range h.InvalidFields {
		assert.True(t, ce.Has(f), "ConfigError does not name field %q (it names %v)", f, ce.Fields)
	}
}

func testStats(t *testing.T, h Harness) {
	c := open(t, h)
	defer c.Close()
	before, _ := c.Stats().Total()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const n = 5
	for i := 0; i < n; i++ {
		require.NoError(t, h.Exercise(ctx, c), "Exercise #%d", i)
	}
	s := c.Stats()
	after, _ := s.Total()
	assert.GreaterOrEqual(t, after, before+n, "Stats total count went from %d to %d after %d operations", before, after, n)
	assert.Equal(t, c.Kind(), s.Kind, "Stats.Kind")
	var sawLatency bool
	for _, o := range s.Ops {
		if o.Count > 0 && o.Max > 0 {
			sawLatency = true
		}
		assert.True(t, o.P50 <= o.P99 && o.P99 <= o.Max, "percentiles out of order: %+v", o)
	}
	assert.True(t, sawLatency, "no operation reports a latency: %+v", s.Ops)
}

func testClose(t *testing.T, h Harness) {
	c := open(t, h)
	require.NoError(t, c.Close(), "first Close")
	assert.NoError(t, c.Close(), "second Close; Close must be idempotent")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for name, call := range map[string]func() error{
		"Health":   func() error { return c.Health(ctx) },
		"Exercise": func() error { return h.Exercise(ctx, c) },
	} {
		err := call()
		if !assert.Error(t, err, "%s after Close succeeded; want FailedPrecondition", name) {
			continue
		}
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "%s after Close: %v", name, err)
		assert.ErrorIs(t, err, arsenal.ErrClosed, "%s after Close: error does not wrap arsenal.ErrClosed", name)
	}
	_ = c.Stats() // must not panic after Close
}

func testUnreachable(t *testing.T, h Harness) {
	ctx, cancel := context.WithTimeout(context.Background(), h.UnreachableTimeout+10*time.Second)
	defer cancel()
	start := time.Now()
	err := h.Unreachable(ctx)
	elapsed := time.Since(start)
	require.Error(t, err, "Unreachable succeeded; want Unavailable or DeadlineExceeded")
	code := arsenal.CodeOf(err)
	assert.True(t, code == arsenal.Unavailable || code == arsenal.DeadlineExceeded,
		"code = %v, want Unavailable or DeadlineExceeded (%v)", code, err)
	limit := h.UnreachableTimeout + 2*time.Second
	assert.LessOrEqual(t, elapsed, limit, "Unreachable took %s, over the %s limit", elapsed, limit)
}

func testMissingPath(t *testing.T, h Harness) {
	ctx, cancel := context.WithTimeout(context.Background(), h.MissingPathTimeout+10*time.Second)
	defer cancel()
	start := time.Now()
	err := h.MissingPath(ctx)
	elapsed := time.Since(start)
	require.Error(t, err, "MissingPath succeeded; want NotFound")
	code := arsenal.CodeOf(err)
	assert.Equal(t, arsenal.NotFound, code, "code = %v, want NotFound (%v)", code, err)
	assert.LessOrEqual(t, elapsed, h.MissingPathTimeout, "MissingPath took %s, over the %s limit", elapsed, h.MissingPathTimeout)
}

func testCancel(t *testing.T, h Harness) {
	c := open(t, h)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	start := time.Now()
	if h.Blocking != nil {
		time.AfterFunc(100*time.Millisecond, cancel)
		err = h.Blocking(ctx, c)
	} else {
		cancel()
		err = h.Exercise(ctx, c)
	}
	elapsed := time.Since(start)
	cancel()
	require.Error(t, err, "call with a cancelled context succeeded; want Canceled")
	assert.Equal(t, arsenal.Canceled, arsenal.CodeOf(err), "code = %v, want Canceled (%v)", arsenal.CodeOf(err), err)
	assert.False(t, arsenal.Classify(err).Retryable, "a cancelled call is classified retryable: %+v", arsenal.Classify(err))
	assert.LessOrEqual(t, elapsed, 2*time.Second, "cancelled call took %s to return", elapsed)
	// The component stays usable after a cancelled call.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	assert.NoError(t, h.Exercise(ctx2, c), "Exercise after a cancelled call")
}

func testConcurrent(t *testing.T, h Harness) {
	c := open(t, h)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, h.Concurrency)
	for g := 0; g < h.Concurrency; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if err := h.Exercise(ctx, c); err != nil {
					errs <- err
					return
				}
				if i%5 == 0 {
					_ = c.Stats()
					if err := c.Health(ctx); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "concurrent use")
	}
	n, _ := c.Stats().Total()
	assert.GreaterOrEqual(t, n, uint64(h.Concurrency*20), "Stats count %d after %d concurrent operations", n, h.Concurrency*20)
}

func testLeaks(t *testing.T, h Harness) {
	opts := append([]goleak.Option{goleak.IgnoreCurrent()}, h.LeakOptions...)
	c := open(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	assert.NoError(t, h.Exercise(ctx, c), "Exercise")
	cancel()
	assert.NoError(t, c.Close(), "Close")
	assert.NoError(t, goleak.Find(opts...), "goroutines left after Close")
}
