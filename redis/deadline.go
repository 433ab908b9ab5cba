package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// cmdCtx bounds a deadline-free call by Config.CommandTimeout without
// starting a timer up front. Deadline reports the bound at once; the timer
// behind Done is started only when something asks for Done. A call on the
// direct client (see openDirect) is read synchronously by rueidis, which
// takes only the deadline (it becomes the connection's I/O deadline, and
// rueidis reports its passing as context.DeadlineExceeded), so such a call
// costs one small allocation instead of context.WithTimeout's timer,
// channel and cancel function (about 390 bytes in 5 allocations).
//
// It is a complete context otherwise: Err reports the parent's error or,
// from the deadline on, context.DeadlineExceeded; Done closes when the
// parent is done or the deadline passes, with errCommandTimeout as its
// cause; Value reads through.
type cmdCtx struct {
	context.Context // the caller's, without a deadline
	dl              time.Time
	once            sync.Once
	t               atomic.Pointer[context.Context] // the timer context, once Done was asked for
	cancel          context.CancelFunc
}

// closedDone is what Done returns after release.
var closedDone = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

func newCmdCtx(parent context.Context, d time.Duration) *cmdCtx {
	return &cmdCtx{Context: parent, dl: time.Now().Add(d)}
}

func (c *cmdCtx) Deadline() (time.Time, bool) { return c.dl, true }

func (c *cmdCtx) Done() <-chan struct{} {
	c.once.Do(c.start)
	if t := c.t.Load(); t != nil {
		return (*t).Done()
	}
	return closedDone // released: the call is over
}

func (c *cmdCtx) start() {
	t, cancel := context.WithDeadlineCause(c.Context, c.dl, errCommandTimeout)
	c.cancel = cancel
	c.t.Store(&t)
}

func (c *cmdCtx) Err() error {
	if t := c.t.Load(); t != nil {
		return (*t).Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.dl) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *cmdCtx) Value(key any) any {
	if t := c.t.Load(); t != nil {
		return (*t).Value(key)
	}
	return c.Context.Value(key)
}

// release ends the call's use of c: a timer started by Done is stopped,
// and none is started after.
func (c *cmdCtx) release() {
	c.once.Do(func() {})
	if c.cancel != nil {
		c.cancel()
	}
}

// timeoutWheel bounds deadline-free calls on the pipelined connections,
// where rueidis waits for the reply or ctx.Done: instead of a timer per
// call (context.WithTimeout's, about 390 bytes in 5 allocations and two
// timer-heap updates), calls that start within the same slice of time
// (CommandTimeout/16, at least 1 ms) share one channel, closed by one
// timer when the last of them is CommandTimeout old. A call therefore
// ends between CommandTimeout and CommandTimeout plus a slice after it
// started, and a busy client runs at most 17 such timers.
type timeoutWheel struct {
	timeout time.Duration
	slice   int64 // nanoseconds
	mu      sync.Mutex
	cur     atomic.Pointer[wheelSlot]
}

// wheelSlot is the calls started in one slice of time.
type wheelSlot struct {
	end int64     // the slice's end, in ns on the wheel's clock
	bg  *wheelCtx // the context of the slot's calls made under context.Background
	ch  chan struct{}
	dl  time.Time
}

// wheelEpoch is the wheel's clock origin: time.Since reads the monotonic
// clock.
var wheelEpoch = time.Now()

func newTimeoutWheel(timeout time.Duration) *timeoutWheel {
	return &timeoutWheel{timeout: timeout, slice: int64(max(timeout/16, time.Millisecond))}
}

// bound returns parent, which has no deadline and can never be cancelled
// (Done is nil), bounded by the wheel's timeout.
func (w *timeoutWheel) bound(parent context.Context) context.Context {
	now := int64(time.Since(wheelEpoch))
	s := w.cur.Load()
	if s == nil || now >= s.end {
		s = w.advance(now)
	}
	if parent == context.Background() {
		return s.bg
	}
	return &wheelCtx{Context: parent, s: s}
}

func (w *timeoutWheel) advance(now int64) *wheelSlot {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s := w.cur.Load(); s != nil && now < s.end {
		return s
	}
	end := (now/w.slice + 1) * w.slice
	wait := time.Duration(end-now) + w.timeout
	s := &wheelSlot{end: end, ch: make(chan struct{}), dl: time.Now().Add(wait)}
	s.bg = &wheelCtx{Context: context.Background(), s: s}
	time.AfterFunc(wait, func() { close(s.ch) })
	w.cur.Store(s)
	return s
}

// wheelCtx is a deadline-free, never-cancelled context bounded by a
// wheelSlot.
type wheelCtx struct {
	context.Context
	s *wheelSlot
}

func (c *wheelCtx) Deadline() (time.Time, bool) { return c.s.dl, true }
func (c *wheelCtx) Done() <-chan struct{}       { return c.s.ch }
func (c *wheelCtx) Err() error {
	select {
	case <-c.s.ch:
		return context.DeadlineExceeded
	default:
		return c.Context.Err()
	}
}
