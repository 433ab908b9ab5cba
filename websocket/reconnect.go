package websocket

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// RetryPolicy is an exponential backoff with jitter between reconnect
// attempts (computed by cenkalti/backoff, a well-kept implementation).
type RetryPolicy struct {
	// InitialBackoff is the first delay. Default 100 ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the delay (before jitter). Default 10 s.
	MaxBackoff time.Duration
	// Multiplier grows the delay after each failed attempt. Default 2.
	Multiplier float64
	// Jitter randomises each delay by ±Jitter (0..1). Default 0.2;
	// negative means none.
	Jitter float64
	// MaxAttempts is how many consecutive failed attempts are made before
	// giving up (the client then stays closed and OnGiveUp is called).
	// Default 0: retry forever.
	MaxAttempts int
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = 100 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 10 * time.Second
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	if p.Jitter == 0 {
		p.Jitter = 0.2
	} else if p.Jitter < 0 {
		p.Jitter = 0
	}
	return p
}

// ReconnectConfig configures a Reconnecting client.
type ReconnectConfig struct {
	// Config is the URL and connection options. Its OnMessage and OnClose
	// are replaced by the callbacks below.
	Config
	// Retry is the backoff between attempts. Default: see RetryPolicy.
	Retry RetryPolicy
	// QueueWhileDisconnected makes Send queue messages while there is no
	// connection; they are sent, in order, right after the next connect.
	// Default false: Send fails at once with Unavailable.
	QueueWhileDisconnected bool
	// QueueLimit bounds the queue in messages; a Send past it fails with
	// ResourceExhausted. Default 1024.
	QueueLimit int
	// OnOpen is called after every successful connect (reconnected is false
	// the first time), after the SendOnConnect messages and before the
	// queue is sent.
	//
	// OnOpen, OnClose, OnReconnect and OnGiveUp run on the client's own
	// goroutine, one at a time; they may call Close (see Reconnecting.Close).
	OnOpen func(c *Conn, reconnected bool)
	// OnMessage receives every data message (on the connection's
	// goroutine). It may call Close as well.
	OnMessage func(typ MessageType, data []byte)
	// OnClose is called when a connection ends (err says why).
	OnClose func(err error)
	// OnReconnect is called before each wait between attempts.
	OnReconnect func(attempt int, delay time.Duration, lastErr error)
	// OnGiveUp is called when MaxAttempts is reached; the client has
	// stopped for good but must still be closed (calling Close from
	// OnGiveUp is allowed).
	OnGiveUp func(lastErr error)
}

// Validate checks every field without I/O.
func (rc ReconnectConfig) Validate() error {
	v := arsenal.Validation{Component: Kind}
	if err := rc.Config.Validate(); err != nil {
		if ce := configError(err); ce != nil {
			for _, f := range ce.Fields {
				v.Add(f.Field, "%s", f.Problem)
			}
		}
	}
	v.Check(rc.Retry.Jitter <= 1, "Retry.Jitter", "must be at most 1")
	v.Check(rc.Retry.MaxAttempts >= 0, "Retry.MaxAttempts", "must not be negative")
	v.Check(rc.Retry.InitialBackoff >= 0, "Retry.InitialBackoff", "must not be negative")
	v.Check(rc.Retry.MaxBackoff >= 0, "Retry.MaxBackoff", "must not be negative")
	v.Check(rc.QueueLimit >= 0, "QueueLimit", "must not be negative")
	return v.Err()
}

type queued struct {
	typ  MessageType
	data []byte
}

// Reconnecting is a client that redials after every disconnect with
// exponential backoff and jitter, replays its SendOnConnect messages
// (subscriptions, say) on every new connection, and optionally queues
// sends while disconnected. It is an arsenal.Component, safe for
// concurrent use, and must be closed. It owns one goroutine (plus the
// current connection's).
//
// Delivery: messages queued while disconnected are sent in order exactly
// once after the reconnect. A message whose Write failed is queued again
// (a failed write never delivered a whole frame). A message the kernel
// accepted just before the connection died may be lost: WebSocket has no
// acknowledgements.
type Reconnecting struct {
	cfg   ReconnectConfig
	rec   *stats.Recorder
	opSnd *stats.Op

	mu        sync.Mutex
	conn      *Conn // nil while disconnected
	live      bool  // conn is set and its queue has been drained
	queue     []queued
	greet     []queued
	waiters   chan struct{} // closed when live becomes true
	gaveUp    error
	closed    bool
	reconnect atomic.Uint64
	connects  atomic.Uint64
	// inCallback is set while run is inside a user callback, so that a
	// Close from that callback does not wait for run (itself) to end.
	inCallback atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// NewReconnecting validates cfg and starts connecting in the background;
// it does not wait for the first connection (see WaitConnected).
func NewReconnecting(cfg ReconnectConfig) (*Reconnecting, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.QueueLimit == 0 {
		cfg.QueueLimit = 1024
	}
	r := &Reconnecting{cfg: cfg, rec: stats.NewRecorder(), waiters: make(chan struct{}), done: make(chan struct{})}
	r.opSnd = r.rec.Op("send")
	r.ctx, r.cancel = context.WithCancel(context.Background())
	go r.run()
	return r, nil
}

// SendOnConnect registers a message sent first on every connection,
// including the current one if connected: the way to resume topic
// subscriptions after a reconnect.
func (r *Reconnecting) SendOnConnect(typ MessageType, data []byte) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return arsenal.Closed(Kind, "send")
	}
	m := queued{typ, append([]byte(nil), data...)}
	r.greet = append(r.greet, m)
	c, live := r.conn, r.live
	r.mu.Unlock()
	if live {
		return c.Write(r.ctx, m.typ, m.data)
	}
	return nil
}

// WaitConnected waits until a connection is open and its queue sent.
func (r *Reconnecting) WaitConnected(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return arsenal.Closed(Kind, "wait")
	}
	if r.gaveUp != nil {
		err := r.gaveUp
		r.mu.Unlock()
		return err
	}
	ch := r.waiters
	live := r.live
	r.mu.Unlock()
	if live {
		return nil
	}
	select {
	case <-ch:
		return r.WaitConnected(ctx)
	case <-ctx.Done():
		return arsenal.Wrap(Kind, "wait", ctx.Err())
	case <-r.done:
		return r.WaitConnected(ctx)
	}
}

// Conn returns the current connection, or nil while disconnected.
func (r *Reconnecting) Conn() *Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conn
}

// Send writes a message on the current connection. While disconnected it
// queues the message (QueueWhileDisconnected) or fails with Unavailable.
func (r *Reconnecting) Send(ctx context.Context, typ MessageType, data []byte) error {
	start := time.Now()
	err := r.send(ctx, typ, data)
	r.opSnd.Record(time.Since(start), err)
	return err
}

func (r *Reconnecting) send(ctx context.Context, typ MessageType, data []byte) error {
	if typ != Text && typ != Binary {
		return arsenal.Errorf(arsenal.InvalidArgument, Kind, "send", "unknown message type %d", int(typ))
	}
	if err := ctx.Err(); err != nil {
		return arsenal.Wrap(Kind, "send", err)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return arsenal.Closed(Kind, "send")
	}
	if r.live {
		c := r.conn
		r.mu.Unlock()
		err := c.Write(ctx, typ, data)
		if err == nil || ctx.Err() != nil || !r.cfg.QueueWhileDisconnected || arsenal.IsCode(err, arsenal.InvalidArgument) {
			return err
		}
		// The connection broke under this write: nothing of it was
		// delivered whole, so it goes to the queue.
		r.mu.Lock()
		if r.conn == c {
			r.live = false
		}
	}
	defer r.mu.Unlock()
	if r.gaveUp != nil {
		return r.gaveUp
	}
	if !r.cfg.QueueWhileDisconnected {
		return arsenal.Errorf(arsenal.Unavailable, Kind, "send", "not connected")
	}
	if len(r.queue) >= r.cfg.QueueLimit {
		return arsenal.Errorf(arsenal.ResourceExhausted, Kind, "send", "queue of %d messages is full while disconnected", r.cfg.QueueLimit)
	}
	r.queue = append(r.queue, queued{typ, append([]byte(nil), data...)})
	return nil
}

// callback runs f, a user callback, on the run goroutine.
func (r *Reconnecting) callback(f func()) {
	r.inCallback.Store(true)
	defer r.inCallback.Store(false)
	f()
}

func (r *Reconnecting) run() {
	defer func() {
		// Close may not have waited for this (when called from a
		// callback), so the connection is closed here, before done.
		r.mu.Lock()
		c := r.conn
		r.conn, r.live = nil, false
		r.mu.Unlock()
		if c != nil {
			_ = c.Close()
		}
		close(r.done)
	}()
	b := &backoff.ExponentialBackOff{
		InitialInterval:     r.cfg.Retry.InitialBackoff,
		RandomizationFactor: r.cfg.Retry.Jitter,
		Multiplier:          r.cfg.Retry.Multiplier,
		MaxInterval:         r.cfg.Retry.MaxBackoff,
	}
	b.Reset()
	opts := r.cfg.Options
	opts.OnMessage = func(_ *Conn, typ MessageType, data []byte) {
		if r.cfg.OnMessage != nil {
			r.cfg.OnMessage(typ, data)
		}
	}
	opts.OnClose = nil
	failures := 0
	var lastErr error
	for {
		if r.ctx.Err() != nil {
			return
		}
		c, err := dial(r.ctx, r.cfg.URL, opts)
		if err != nil {
			if r.ctx.Err() != nil {
				return
			}
			failures++
			lastErr = err
			if r.cfg.Retry.MaxAttempts > 0 && failures >= r.cfg.Retry.MaxAttempts {
				r.mu.Lock()
				r.gaveUp = arsenal.Errorf(arsenal.Unavailable, Kind, "reconnect", "gave up after %d attempts: %w", failures, err)
				close(r.waiters)
				r.waiters = make(chan struct{})
				r.mu.Unlock()
				if r.cfg.OnGiveUp != nil {
					r.callback(func() { r.cfg.OnGiveUp(err) })
				}
				return
			}
			if !r.sleep(b, failures, lastErr) {
				return
			}
			continue
		}
		failures = 0
		b.Reset()
		reconnected := r.connects.Add(1) > 1
		if reconnected {
			r.reconnect.Add(1)
			target := arsenal.RedactURL(r.cfg.URL)
			arsenal.NotifyConn(r.ctx, r.cfg.Observer, arsenal.ConnEvent{Component: Kind, Kind: arsenal.ConnReconnect, Target: target})
			if lg := r.cfg.Logger; lg != nil {
				lg.Info("websocket: reconnected", "target", target, "reconnects", r.reconnect.Load())
			}
		}
		if !r.resume(c, reconnected) {
			_ = c.Close()
			if r.ctx.Err() != nil {
				return
			}
			lastErr = c.Err()
			failures++
			if !r.sleep(b, failures, lastErr) {
				return
			}
			continue
		}
		select {
		case <-c.Done():
		case <-r.ctx.Done():
			_ = c.Close()
			return
		}
		r.mu.Lock()
		r.conn, r.live = nil, false
		r.mu.Unlock()
		lastErr = c.Err()
		if r.cfg.OnClose != nil {
			r.callback(func() { r.cfg.OnClose(translate("read", lastErr)) })
		}
		failures = 1
		if !r.sleep(b, failures, lastErr) {
			return
		}
	}
}

func (r *Reconnecting) sleep(b *backoff.ExponentialBackOff, attempt int, lastErr error) bool {
	if r.ctx.Err() != nil {
		return false // closed from OnClose: no OnReconnect
	}
	d := b.NextBackOff()
	if lg := r.cfg.Logger; lg != nil {
		lg.Warn("websocket: reconnecting", "target", arsenal.RedactURL(r.cfg.URL), "attempt", attempt,
			"delay", d, "code", arsenal.CodeOf(translate("read", lastErr)).String(), "err", translate("read", lastErr))
	}
	if r.cfg.OnReconnect != nil {
		r.callback(func() { r.cfg.OnReconnect(attempt, d, lastErr) })
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// resume sends the SendOnConnect messages, then the queue, then marks the
// connection live. It reports false when the connection failed meanwhile
// (unsent queued messages stay queued, in order).
func (r *Reconnecting) resume(c *Conn, reconnected bool) (ok bool) {
	defer func() {
		if !ok { // Conn must not hand out the failed connection until the next one
			r.mu.Lock()
			if r.conn == c {
				r.conn = nil
			}
			r.mu.Unlock()
		}
	}()
	r.mu.Lock()
	r.conn = c
	greet := append([]queued(nil), r.greet...)
	r.mu.Unlock()
	for _, m := range greet {
		if err := c.Write(r.ctx, m.typ, m.data); err != nil {
			return false
		}
	}
	if r.cfg.OnOpen != nil {
		if r.ctx.Err() != nil {
			return false
		}
		r.callback(func() { r.cfg.OnOpen(c, reconnected) })
		if r.ctx.Err() != nil {
			return false // closed from OnOpen
		}
	}
	for {
		r.mu.Lock()
		batch := r.queue
		r.queue = nil
		if len(batch) == 0 {
			// SendOnConnect calls made while resuming were neither in the
			// copy above nor sent live: send them now.
			late := append([]queued(nil), r.greet[len(greet):]...)
			r.live = true
			close(r.waiters)
			r.waiters = make(chan struct{})
			r.mu.Unlock()
			for _, m := range late {
				_ = c.Write(r.ctx, m.typ, m.data)
			}
			return true
		}
		r.mu.Unlock()
		for i, m := range batch {
			if err := c.Write(r.ctx, m.typ, m.data); err != nil {
				r.mu.Lock()
				r.queue = append(batch[i:], r.queue...)
				r.mu.Unlock()
				return false
			}
		}
	}
}

// Kind returns "websocket".
func (r *Reconnecting) Kind() string { return Kind }

// Health pings over the current connection; while disconnected it is
// Unavailable.
func (r *Reconnecting) Health(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return arsenal.Closed(Kind, "health")
	}
	// A connection still resuming (sending SendOnConnect messages and
	// the queue) is connected: Health pings over it.
	c := r.conn
	r.mu.Unlock()
	if c == nil {
		return arsenal.Errorf(arsenal.Unavailable, Kind, "health", "not connected")
	}
	return c.Health(ctx)
}

// ReconnectingStats are a Reconnecting client's typed gauges, the Detail
// of its Stats.
type ReconnectingStats struct {
	Connected      bool   // a connection is up right now
	Reconnects     uint64 `stat:",counter"` // connections re-established after a loss
	Connects       uint64 `stat:",counter"` // connections established, the first included
	QueuedMessages int    // messages waiting for the next connection
}

// DegradationRules makes ReconnectingStats a stats.RuleSource: the
// package's rules (DegradationRules) plus any reconnect since the previous
// check (warn).
func (ReconnectingStats) DegradationRules() []stats.Rule {
	return append(DegradationRules(),
		stats.Rule{Name: "websocket reconnects", Kind: Kind, Metric: "gauge:reconnects", Threshold: 0, Rate: true, Action: stats.ActionWarn})
}

// ReconnectingStats returns the client's counters. It does no I/O.
func (r *Reconnecting) ReconnectingStats() ReconnectingStats {
	r.mu.Lock()
	live, q := r.live, len(r.queue)
	r.mu.Unlock()
	return ReconnectingStats{Connected: live, Reconnects: r.reconnect.Load(), Connects: r.connects.Load(), QueuedMessages: q}
}

// Stats reports send latencies, with ReconnectingStats as its Detail and
// Gauges.
func (r *Reconnecting) Stats() arsenal.Stats {
	rs := r.ReconnectingStats()
	return arsenal.Stats{
		Kind: Kind, Target: arsenal.RedactURL(r.cfg.URL), Connected: rs.Connected, Since: r.rec.Since(),
		Ops: r.rec.Snapshot(), Gauges: stats.Gauges(rs), Detail: rs,
	}
}

// Reconnects returns how many times a connection was re-established.
func (r *Reconnecting) Reconnects() uint64 { return r.reconnect.Load() }

// Close stops reconnecting, closes the current connection (1000) and drops
// the queue. It is idempotent, and waits for the client's goroutine to
// end unless one of the OnOpen, OnClose, OnReconnect and OnGiveUp
// callbacks is running. Calling Close from those callbacks is allowed:
// Close then returns at once, and the goroutine stops as soon as the
// callback returns, closing the connection, with no further attempts or
// callbacks. (A Close from elsewhere during such a callback returns early
// in the same way.)
func (r *Reconnecting) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.queue = nil
	r.mu.Unlock()
	r.cancel()
	if r.inCallback.Load() {
		// Most likely called from the callback, on the goroutine that
		// would close done: waiting would deadlock.
		return nil
	}
	<-r.done
	return nil
}

var _ arsenal.Component = (*Reconnecting)(nil)
