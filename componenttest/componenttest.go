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
	"errors"
	"sync"
	"testing"
	"time"

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
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if c == nil {
		t.Fatal("Open returned a nil component and no error")
	}
	return c
}

func testOpen(t *testing.T, h Harness) {
	c := open(t, h)
	defer c.Close()
	if c.Kind() == "" {
		t.Error("Kind() is empty")
	}
	if h.Kind != "" && c.Kind() != h.Kind {
		t.Errorf("Kind() = %q, want %q", c.Kind(), h.Kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Health(ctx); err != nil {
		t.Errorf("Health on a fresh component: %v", err)
	}
}

func testInvalid(t *testing.T, h Harness) {
	if h.OpenInvalid == nil {
		t.Fatal("Harness.OpenInvalid is required: every component validates its config")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err := h.OpenInvalid(ctx)
	if err == nil {
		t.Fatal("OpenInvalid succeeded; want InvalidArgument")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("OpenInvalid took %s; validation must fail before any I/O", d)
	}
	if code := arsenal.CodeOf(err); code != arsenal.InvalidArgument {
		t.Errorf("code = %v, want InvalidArgument (err: %v)", code, err)
	}
	var ce *arsenal.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error does not wrap *arsenal.ConfigError: %v", err)
	}
	if len(h.InvalidFields) == 0 {
		t.Fatal("Harness.InvalidFields is empty: name the fields OpenInvalid gets wrong")
	}
	for _, f := range h.InvalidFields {
		if !ce.Has(f) {
			t.Errorf("ConfigError does not name field %q (it names %v)", f, ce.Fields)
		}
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
		if err := h.Exercise(ctx, c); err != nil {
			t.Fatalf("Exercise #%d: %v", i, err)
		}
	}
	s := c.Stats()
	after, _ := s.Total()
	if after < before+n {
		t.Errorf("Stats total count went from %d to %d after %d operations", before, after, n)
	}
	if s.Kind != c.Kind() {
		t.Errorf("Stats.Kind = %q, want %q", s.Kind, c.Kind())
	}
	var sawLatency bool
	for _, o := range s.Ops {
		if o.Count > 0 && o.Max > 0 {
			sawLatency = true
		}
		if o.P50 > o.P99 || o.P99 > o.Max {
			t.Errorf("percentiles out of order: %+v", o)
		}
	}
	if !sawLatency {
		t.Errorf("no operation reports a latency: %+v", s.Ops)
	}
}

func testClose(t *testing.T, h Harness) {
	c := open(t, h)
	if err := c.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v; Close must be idempotent", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for name, call := range map[string]func() error{
		"Health":   func() error { return c.Health(ctx) },
		"Exercise": func() error { return h.Exercise(ctx, c) },
	} {
		err := call()
		if err == nil {
			t.Errorf("%s after Close succeeded; want FailedPrecondition", name)
			continue
		}
		if code := arsenal.CodeOf(err); code != arsenal.FailedPrecondition {
			t.Errorf("%s after Close: code %v, want FailedPrecondition (%v)", name, code, err)
		}
		if !errors.Is(err, arsenal.ErrClosed) {
			t.Errorf("%s after Close: error does not wrap arsenal.ErrClosed: %v", name, err)
		}
	}
	_ = c.Stats() // must not panic after Close
}

func testUnreachable(t *testing.T, h Harness) {
	ctx, cancel := context.WithTimeout(context.Background(), h.UnreachableTimeout+10*time.Second)
	defer cancel()
	start := time.Now()
	err := h.Unreachable(ctx)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Unreachable succeeded; want Unavailable or DeadlineExceeded")
	}
	if code := arsenal.CodeOf(err); code != arsenal.Unavailable && code != arsenal.DeadlineExceeded {
		t.Errorf("code = %v, want Unavailable or DeadlineExceeded (%v)", code, err)
	}
	if limit := h.UnreachableTimeout + 2*time.Second; elapsed > limit {
		t.Errorf("Unreachable took %s, over the %s limit", elapsed, limit)
	}
}

func testMissingPath(t *testing.T, h Harness) {
	ctx, cancel := context.WithTimeout(context.Background(), h.MissingPathTimeout+10*time.Second)
	defer cancel()
	start := time.Now()
	err := h.MissingPath(ctx)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("MissingPath succeeded; want NotFound")
	}
	if code := arsenal.CodeOf(err); code != arsenal.NotFound {
		t.Errorf("code = %v, want NotFound (%v)", code, err)
	}
	if elapsed > h.MissingPathTimeout {
		t.Errorf("MissingPath took %s, over the %s limit", elapsed, h.MissingPathTimeout)
	}
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
	if err == nil {
		t.Fatal("call with a cancelled context succeeded; want Canceled")
	}
	if code := arsenal.CodeOf(err); code != arsenal.Canceled {
		t.Errorf("code = %v, want Canceled (%v)", code, err)
	}
	if cl := arsenal.Classify(err); cl.Retryable {
		t.Errorf("a cancelled call is classified retryable: %+v", cl)
	}
	if elapsed > 2*time.Second {
		t.Errorf("cancelled call took %s to return", elapsed)
	}
	// The component stays usable after a cancelled call.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := h.Exercise(ctx2, c); err != nil {
		t.Errorf("Exercise after a cancelled call: %v", err)
	}
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
		t.Errorf("concurrent use: %v", err)
	}
	n, _ := c.Stats().Total()
	if n < uint64(h.Concurrency*20) {
		t.Errorf("Stats count %d after %d concurrent operations", n, h.Concurrency*20)
	}
}

func testLeaks(t *testing.T, h Harness) {
	opts := append([]goleak.Option{goleak.IgnoreCurrent()}, h.LeakOptions...)
	c := open(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := h.Exercise(ctx, c); err != nil {
		t.Errorf("Exercise: %v", err)
	}
	cancel()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := goleak.Find(opts...); err != nil {
		t.Errorf("goroutines left after Close: %v", err)
	}
}
