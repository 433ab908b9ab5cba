package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// EventKind says what changed in a Client's connection.
type EventKind int

// The connection events a Client reports to OnEvent listeners.
const (
	// EventDisconnected: a connection to the server failed; Err says why.
	EventDisconnected EventKind = iota + 1
	// EventReconnected: the client is connected again after an outage;
	// Downtime says how long it lasted and Attempts how many probes it took.
	EventReconnected
	// EventResubscribed: a subscription was restored on the new
	// connection after a reconnect; Channels names it.
	EventResubscribed
	// EventGaveUp: the outage outlasted MaxRetries reconnect delays; calls
	// waiting in the offline queue failed with Unavailable. The client keeps
	// probing at the capped backoff.
	EventGaveUp
)

// String returns the event kind's name.
func (k EventKind) String() string {
	switch k {
	case EventDisconnected:
		return "disconnected"
	case EventReconnected:
		return "reconnected"
	case EventResubscribed:
		return "resubscribed"
	case EventGaveUp:
		return "gave-up"
	}
	return "unknown"
}

// Event is one change in a Client's connection.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Err      error         // EventDisconnected, EventGaveUp: the coded cause
	Downtime time.Duration // EventReconnected: how long the outage lasted
	Attempts int           // EventReconnected, EventGaveUp: reconnect probes made
	Channels []string      // EventResubscribed: the subscription's channels or patterns
}

// OnEvent registers fn to be called, in order, for every connection event.
// Calls come from one goroutine of the client's; fn must not block for long
// (events that do not fit the 256-event buffer are dropped and counted in
// the events_dropped gauge). The returned function removes fn.
func (c *Client) OnEvent(fn func(Event)) (remove func()) {
	c.lsMu.Lock()
	id := c.lsNext
	c.lsNext++
	c.listeners[id] = fn
	c.lsMu.Unlock()
	return func() {
		c.lsMu.Lock()
		delete(c.listeners, id)
		c.lsMu.Unlock()
	}
}

func (c *Client) emit(e Event) {
	e.Time = time.Now()
	select {
	case c.events <- e:
	default:
		c.evDropped.Add(1)
	}
}

// dispatch delivers events to listeners until Close.
func (c *Client) dispatch() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case e := <-c.events:
			c.lsMu.Lock()
			fns := make([]func(Event), 0, len(c.listeners))
			for i := 0; i < c.lsNext; i++ {
				if fn, ok := c.listeners[i]; ok {
					fns = append(fns, fn)
				}
			}
			c.lsMu.Unlock()
			for _, fn := range fns {
				fn(e)
			}
		}
	}
}

// outage is one period of disconnection.
type outage struct {
	since      time.Time
	up         chan struct{} // closed when the outage ends
	gaveUp     chan struct{} // closed when calls should stop waiting
	waiters    atomic.Int64  // calls waiting in the offline queue
	demand     atomic.Int64  // unix nanos of the last call that met the outage
	gaveUpOnce sync.Once
}

// connState tracks whether the client is connected.
type connState struct {
	up          atomic.Bool
	outage      atomic.Pointer[outage]
	kick        chan struct{}
	reconnects  atomic.Int64
	disconnects atomic.Int64
	dials       atomic.Int64
	dialErrors  atomic.Int64

	mu      sync.Mutex
	lastErr error
	lastAt  time.Time
}

func newConnState() *connState {
	s := &connState{kick: make(chan struct{}, 1)}
	s.up.Store(true)
	return s
}

func (s *connState) noteErr(err error) {
	s.mu.Lock()
	s.lastErr, s.lastAt = err, time.Now()
	s.mu.Unlock()
}

func (s *connState) last() (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAt, s.lastErr
}

func (s *connState) kickProbe() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// markDown records a connection failure and starts an outage.
func (c *Client) markDown(err error) {
	c.st.noteErr(err)
	if c.closed.Load() {
		return
	}
	c.st.mu.Lock()
	if !c.st.up.Load() {
		c.st.mu.Unlock()
		return
	}
	o := &outage{since: time.Now(), up: make(chan struct{}), gaveUp: make(chan struct{})}
	if c.cfg.DisableAutoReconnect {
		close(o.gaveUp)
	}
	c.st.outage.Store(o)
	c.st.up.Store(false)
	c.st.mu.Unlock()
	c.st.disconnects.Add(1)
	c.emit(Event{Kind: EventDisconnected, Err: wrapErr("connection", err)})
	c.connEvent(arsenal.ConnDisconnect, err)
	c.st.kickProbe()
}

// markUp ends the current outage.
func (c *Client) markUp(attempts int) {
	c.st.mu.Lock()
	o := c.st.outage.Load()
	if c.st.up.Load() || o == nil {
		c.st.mu.Unlock()
		return
	}
	c.st.up.Store(true)
	c.st.outage.Store(nil)
	close(o.up)
	c.st.mu.Unlock()
	c.st.reconnects.Add(1)
	down := time.Since(o.since)
	c.emit(Event{Kind: EventReconnected, Downtime: down, Attempts: attempts})
	c.connEvent(arsenal.ConnReconnect, nil, "downtime", down, "attempts", attempts)
}

// monitor probes the server while the client is disconnected: with the
// capped exponential backoff when nobody is waiting, and every
// ReconnectBackoffMin while calls are waiting or failing, so service
// resumes soon after the server accepts again.
func (c *Client) monitor() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.st.kick:
		}
		if c.cfg.DisableAutoReconnect {
			continue
		}
		attempt := 0
		for !c.st.up.Load() && c.ctx.Err() == nil {
			o := c.st.outage.Load()
			if o == nil {
				break
			}
			attempt++
			if c.probe() == nil {
				c.markUp(attempt)
				c.renewDirect()
				break
			}
			if limit := c.giveUpAfter(); limit >= 0 && time.Since(o.since) >= limit {
				o.gaveUpOnce.Do(func() {
					close(o.gaveUp)
					_, err := c.st.last()
					c.emit(Event{Kind: EventGaveUp, Attempts: attempt, Err: wrapErr("connection", err)})
					if l := c.cfg.Logger; l != nil {
						l.Warn("redis: still disconnected after MaxRetries reconnect delays; waiting calls fail with Unavailable",
							"target", c.target, "attempts", attempt, "error", wrapErr("connection", err).Error())
					}
				})
			}
			delay := c.backoff(attempt)
			if o.waiters.Load() > 0 || time.Since(time.Unix(0, o.demand.Load())) < time.Second {
				delay = c.cfg.ReconnectBackoffMin
			}
			t := time.NewTimer(delay)
			select {
			case <-c.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// probe sends one PING that rueidis does not retry.
func (c *Client) probe() error {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.ConnectTimeout)
	defer cancel()
	err := c.rc.Do(ctx, c.bld.Arbitrary("PING").Build()).Error()
	if err != nil {
		c.st.noteErr(err)
	}
	return err
}
