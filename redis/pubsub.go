package redis

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
)

var (
	opSubscribe, opPSubscribe = newOp("subscribe"), newOp("psubscribe")
	opSSubscribe              = newOp("ssubscribe")
)

// Message is one pub/sub message.
type Message struct {
	Channel string // the channel it was published to
	Pattern string // the matching pattern, for PSubscribe
	Payload string
}

// DefaultMessageBuffer is the channel capacity of a Subscription without a
// handler.
const DefaultMessageBuffer = 1024

// HandlerBacklog is how many messages a Subscription with a handler
// queues while its handler is busy. Messages are read off the connection
// at once (the connection is shared with other commands, so a slow
// handler must not hold it up) and queued; when the handler falls this
// far behind, newer messages are dropped and counted (Dropped, and the
// pubsub_dropped gauge of Stats).
const HandlerBacklog = 1 << 16

// Subscription is a live SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE. It survives
// reconnects: after a connection failure it subscribes again on the new
// connection (reported as EventResubscribed). Messages published while
// it was disconnected are lost, as Redis pub/sub has no history.
//
// A Subscription is safe for concurrent use; Unsubscribe (or the Client's
// Close) ends it.
type Subscription struct {
	c       *Client
	kind    string // SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE
	names   []string
	handler func(Message)
	ch      chan Message

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	confirmed   atomic.Int64 // subscribe confirmations in the current round
	ready       chan struct{}
	readyOnce   sync.Once
	restores    atomic.Int64
	everReady   atomic.Bool
	received    atomic.Uint64
	dropped     atomic.Uint64
	stopOnce    sync.Once
	unsubscribe atomic.Bool
	firstErr    atomic.Pointer[error]
	released    atomic.Bool // its references in Client.subRefs were dropped

	// The handler's queue: deliver (on rueidis's reader) appends and never
	// blocks; dispatch (the subscription's goroutine) calls the handler.
	qmu  sync.Mutex
	q    []Message
	wake chan struct{}
}

// Subscribe subscribes to channels. Messages go to handler, called in
// order from one goroutine of the subscription's own: a slow handler
// delays only this subscription's messages, which queue (up to
// HandlerBacklog, then newer ones are dropped and counted) while other
// commands on the shared connection go on. With a nil handler they go to
// the Messages channel. It returns once the server confirmed every
// channel, or with the error that prevented it (ctx bounds the wait).
//
// Several Subscriptions may share a channel; unsubscribing one leaves the
// others receiving. The handler may call Unsubscribe, but not the Client's
// Close, which waits for handlers in progress to return.
func (c *Client) Subscribe(ctx context.Context, handler func(Message), channels ...string) (*Subscription, error) {
	return c.subscribe(ctx, opSubscribe, "SUBSCRIBE", handler, channels)
}

// PSubscribe subscribes to glob patterns ("news.*"); see Subscribe.
func (c *Client) PSubscribe(ctx context.Context, handler func(Message), patterns ...string) (*Subscription, error) {
	return c.subscribe(ctx, opPSubscribe, "PSUBSCRIBE", handler, patterns)
}

// SSubscribe subscribes to sharded channels (Redis 7+); in cluster mode
// every channel must hash to one slot (use a {hash tag}). See Subscribe.
func (c *Client) SSubscribe(ctx context.Context, handler func(Message), channels ...string) (*Subscription, error) {
	if err := c.sameSlot("ssubscribe", channels...); err != nil {
		return nil, err
	}
	return c.subscribe(ctx, opSSubscribe, "SSUBSCRIBE", handler, channels)
}

func (c *Client) subscribe(ctx context.Context, id opID, kind string, handler func(Message), names []string) (_ *Subscription, err error) {
	op := opNames[id]
	if c.closed.Load() {
		return nil, arsenal.Closed(Kind, op)
	}
	if len(names) == 0 {
		return nil, c.refuse(ctx, id, invalid(op, "needs at least one channel or pattern"))
	}
	if c.sec {
		s, serr := c.secureNames(ctx, strings.ToLower(kind), names)
		if serr != nil {
			return nil, c.refuse(ctx, id, serr)
		}
		defer func() { c.record(ctx, s, err) }()
	}
	if err := c.gate(ctx, id); err != nil {
		return nil, err
	}
	s := &Subscription{
		c: c, kind: kind, names: slices.Clone(names), handler: handler,
		done: make(chan struct{}), ready: make(chan struct{}),
		wake: make(chan struct{}, 1),
	}
	if handler == nil {
		s.ch = make(chan Message, DefaultMessageBuffer)
	}
	s.ctx, s.cancel = context.WithCancel(c.ctx)
	c.subsMu.Lock()
	if c.closed.Load() {
		c.subsMu.Unlock()
		s.cancel()
		return nil, arsenal.Closed(Kind, op)
	}
	c.subs[s] = struct{}{}
	for _, n := range s.names {
		c.subRefs[s.refKey(n)]++
	}
	c.subsMu.Unlock()
	c.subCnt.Add(1)
	c.wg.Add(1)
	start := time.Now()
	if c.hooks {
		hctx, h := c.hookStart(ctx, id, nil)
		defer func() { c.hookEnd(hctx, id, h, err) }()
	}
	go s.loop()
	if handler != nil {
		c.wg.Add(1)
		go s.dispatch()
	}
	select {
	case <-s.ready:
		c.op(id).Record(time.Since(start), nil)
		return s, nil
	case <-s.done:
		err := arsenal.Error{Code: arsenal.Unavailable, Component: Kind, Op: op, Err: ErrDisconnected}
		var e error = &err
		if p := s.firstErr.Load(); p != nil {
			e = wrapErr(op, *p)
		}
		c.op(id).Record(time.Since(start), e)
		return nil, e
	case <-ctx.Done():
		s.stop()
		e := wrapErr(op, ctx.Err())
		c.op(id).Record(time.Since(start), e)
		return nil, e
	}
}

func (s *Subscription) build() rueidis.Completed {
	b := s.c.bld
	switch s.kind {
	case "PSUBSCRIBE":
		return b.Psubscribe().Pattern(s.names...).Build()
	case "SSUBSCRIBE":
		return b.Ssubscribe().Channel(s.names...).Build()
	}
	return b.Subscribe().Channel(s.names...).Build()
}

func (s *Subscription) unsubCmd(b rueidis.Builder, names []string) rueidis.Completed {
	switch s.kind {
	case "PSUBSCRIBE":
		return b.Punsubscribe().Pattern(names...).Build()
	case "SSUBSCRIBE":
		return b.Sunsubscribe().Channel(names...).Build()
	}
	return b.Unsubscribe().Channel(names...).Build()
}

func (s *Subscription) refKey(name string) string { return s.kind + "\x00" + name }

// release drops the subscription's references (once) and returns the
// names no other live Subscription of the Client holds: only those may be
// unsubscribed, as rueidis ends every local subscriber of a channel when
// it is unsubscribed on the shared connection.
func (s *Subscription) release() []string {
	if s.released.Swap(true) {
		return nil
	}
	var last []string
	s.c.subsMu.Lock()
	for _, n := range s.names {
		k := s.refKey(n)
		if s.c.subRefs[k]--; s.c.subRefs[k] <= 0 {
			delete(s.c.subRefs, k)
			last = append(last, n)
		}
	}
	s.c.subsMu.Unlock()
	return last
}

func (s *Subscription) onConfirm(ps rueidis.PubSubSubscription) {
	switch ps.Kind {
	case "subscribe", "psubscribe", "ssubscribe":
	default:
		return
	}
	// rueidis may resubscribe inside one Receive (its own retry after a
	// reconnect), so confirmations are counted per round of len(names).
	if s.confirmed.Add(1) < int64(len(s.names)) {
		return
	}
	s.confirmed.Store(0)
	if s.everReady.Swap(true) {
		s.restores.Add(1)
		s.c.emit(Event{Kind: EventResubscribed, Channels: s.names})
	}
	s.readyOnce.Do(func() { close(s.ready) })
}

// deliver runs on rueidis's reader goroutine, which also reads the
// replies of every command sharing the connection: it must never block.
func (s *Subscription) deliver(m rueidis.PubSubMessage) {
	s.received.Add(1)
	msg := Message{Channel: m.Channel, Pattern: m.Pattern, Payload: m.Message}
	if s.handler != nil {
		s.qmu.Lock()
		if len(s.q) >= HandlerBacklog {
			s.qmu.Unlock()
			s.drop()
			return
		}
		s.q = append(s.q, msg)
		s.qmu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
		return
	}
	select {
	case s.ch <- msg:
	default:
		s.drop()
	}
}

func (s *Subscription) drop() {
	s.dropped.Add(1)
	s.c.dropped.Add(1)
}

// dispatch calls the handler with the queued messages, in order. It ends
// when the subscription is stopped (queued messages are then discarded)
// or, once the receive loop has ended, when the queue is empty. It does
// not hold up done, so a handler may call Unsubscribe.
func (s *Subscription) dispatch() {
	defer s.c.wg.Done()
	var batch []Message
	for {
		s.qmu.Lock()
		batch, s.q = s.q, batch[:0]
		s.qmu.Unlock()
		for i, m := range batch {
			if s.ctx.Err() != nil {
				return
			}
			s.handler(m)
			batch[i] = Message{}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-s.wake:
		case <-s.done:
			s.qmu.Lock()
			n := len(s.q)
			s.qmu.Unlock()
			if n == 0 || s.ctx.Err() != nil {
				return
			}
		}
	}
}

// loop keeps the subscription alive: Receive until the connection fails,
// then wait (with the reconnect backoff) and subscribe again.
func (s *Subscription) loop() {
	defer s.c.wg.Done()
	defer close(s.done)
	defer func() {
		s.release()
		s.c.subsMu.Lock()
		delete(s.c.subs, s)
		s.c.subsMu.Unlock()
		s.c.subCnt.Add(-1)
		if s.ch != nil {
			close(s.ch)
		}
	}()
	attempt := 0
	for s.ctx.Err() == nil {
		s.confirmed.Store(0)
		ctx := rueidis.WithOnSubscriptionHook(s.ctx, s.onConfirm)
		ctx = rueidis.WithOnReceiveReturnHook(ctx, s.onReturn)
		err := s.c.rc.Receive(ctx, s.build(), s.deliver)
		if s.ctx.Err() != nil {
			return
		}
		if err == nil {
			// The subscription was ended under us without an error: an
			// UNSUBSCRIBE of a shared channel (another Subscription's,
			// racing this one's SUBSCRIBE, or a cluster where two
			// Subscriptions shared a node's connection), or a
			// SUNSUBSCRIBE after a slot migration. Not asked for: subscribe
			// again.
			attempt++
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(s.c.backoff(attempt)):
			}
			continue
		}
		if !s.everReady.Load() {
			if _, isRedis := rueidis.IsRedisErr(err); isRedis {
				s.firstErr.Store(&err) // refused by the server: report it
				return
			}
		}
		if isNetworkError(err) {
			s.c.markDown(err)
		}
		attempt++
		// Wait for the client to reconnect, then resubscribe at once.
		if o := s.c.st.outage.Load(); o != nil {
			select {
			case <-o.up:
				attempt = 0
				continue
			case <-s.ctx.Done():
				return
			case <-time.After(s.c.backoff(attempt)):
			}
			continue
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(s.c.backoff(attempt)):
		}
	}
}

// onReturn runs on the subscription's own connection as Receive returns:
// when the caller unsubscribed it sends the UNSUBSCRIBE there, for the
// names no other Subscription of the Client still holds.
func (s *Subscription) onReturn(err error, cc rueidis.CommandClient) error {
	if s.unsubscribe.Load() {
		if names := s.release(); len(names) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), s.c.cfg.ConnectTimeout)
			defer cancel()
			_ = cc.Do(ctx, s.unsubCmd(cc.B(), names)).Error()
		}
	}
	return err
}

// Messages returns the channel messages arrive on when Subscribe was given
// no handler (nil otherwise). It is closed when the subscription ends.
// When the consumer falls DefaultMessageBuffer messages behind, newer
// messages are dropped and counted (Dropped), so a slow reader never
// stalls the client's connections.
func (s *Subscription) Messages() <-chan Message { return s.ch }

// Channels returns the channels or patterns of the subscription.
func (s *Subscription) Channels() []string { return slices.Clone(s.names) }

// Received returns how many messages arrived.
func (s *Subscription) Received() uint64 { return s.received.Load() }

// Dropped returns how many messages were dropped because the Messages
// channel was full, or the handler HandlerBacklog messages behind.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Restores returns how many times the subscription was restored after a
// reconnect.
func (s *Subscription) Restores() int64 { return s.restores.Load() }

// Done is closed when the subscription has ended.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Unsubscribe ends the subscription: it sends UNSUBSCRIBE (PUNSUBSCRIBE,
// SUNSUBSCRIBE) on the subscription's connection, for the channels no
// other Subscription of the Client holds, and waits, bounded by ctx, for
// it to stop receiving. Messages still queued for the handler are then
// discarded, but the handler call in progress (at most one) may still be
// running when it returns, so a handler may call Unsubscribe itself. It
// is idempotent.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	s.stop()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return wrapErr("unsubscribe", ctx.Err())
	}
}

func (s *Subscription) stop() {
	s.stopOnce.Do(func() {
		s.unsubscribe.Store(true)
		s.cancel()
	})
}
