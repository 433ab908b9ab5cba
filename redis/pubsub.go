package redis

import (
	"context"
	"slices"
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
}

// Subscribe subscribes to channels. Messages go to handler, called in
// order from one goroutine (a slow handler delays this subscription's
// messages); with a nil handler they go to the Messages channel. It
// returns once the server confirmed every channel, or with the error that
// prevented it (ctx bounds the wait).
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

func (c *Client) subscribe(ctx context.Context, id opID, kind string, handler func(Message), names []string) (*Subscription, error) {
	op := opNames[id]
	if c.closed.Load() {
		return nil, arsenal.Closed(Kind, op)
	}
	if len(names) == 0 {
		return nil, invalid(op, "needs at least one channel or pattern")
	}
	if err := c.gate(ctx, op); err != nil {
		return nil, err
	}
	s := &Subscription{
		c: c, kind: kind, names: slices.Clone(names), handler: handler,
		done: make(chan struct{}), ready: make(chan struct{}),
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
	c.subsMu.Unlock()
	c.subCnt.Add(1)
	c.wg.Add(1)
	start := time.Now()
	go s.loop()
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

func (s *Subscription) unsubCmd(b rueidis.Builder) rueidis.Completed {
	switch s.kind {
	case "PSUBSCRIBE":
		return b.Punsubscribe().Pattern(s.names...).Build()
	case "SSUBSCRIBE":
		return b.Sunsubscribe().Channel(s.names...).Build()
	}
	return b.Unsubscribe().Channel(s.names...).Build()
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

func (s *Subscription) deliver(m rueidis.PubSubMessage) {
	s.received.Add(1)
	msg := Message{Channel: m.Channel, Pattern: m.Pattern, Payload: m.Message}
	if s.handler != nil {
		s.handler(msg)
		return
	}
	select {
	case s.ch <- msg:
	default:
		s.dropped.Add(1)
		s.c.dropped.Add(1)
	}
}

// loop keeps the subscription alive: Receive until the connection fails,
// then wait (with the reconnect backoff) and subscribe again.
func (s *Subscription) loop() {
	defer s.c.wg.Done()
	defer close(s.done)
	defer func() {
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
			// The server ended the subscription (UNSUBSCRIBE by someone).
			return
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
// when the caller unsubscribed it sends the UNSUBSCRIBE there.
func (s *Subscription) onReturn(err error, cc rueidis.CommandClient) error {
	if s.unsubscribe.Load() {
		ctx, cancel := context.WithTimeout(context.Background(), s.c.cfg.ConnectTimeout)
		defer cancel()
		_ = cc.Do(ctx, s.unsubCmd(cc.B())).Error()
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
// channel was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Restores returns how many times the subscription was restored after a
// reconnect.
func (s *Subscription) Restores() int64 { return s.restores.Load() }

// Done is closed when the subscription has ended.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Unsubscribe ends the subscription: it sends UNSUBSCRIBE (PUNSUBSCRIBE,
// SUNSUBSCRIBE) on the subscription's connection and waits, bounded by
// ctx, for its goroutine to end. It is idempotent.
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
