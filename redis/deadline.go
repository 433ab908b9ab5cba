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
