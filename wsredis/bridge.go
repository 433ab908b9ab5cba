package wsredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/stats"
	"github.com/infra-arsenal/arsenal/websocket"
)

// Kind is the Bridge's component kind.
const Kind = "wsredis"

// Defaults of Config.
const (
	DefaultPrefix         = "arsenal:ws"
	DefaultPartitions     = 16
	DefaultQueueSize      = 4096
	DefaultPresenceTTL    = 15 * time.Second
	DefaultPublishTimeout = 5 * time.Second
)

// Config configures a Bridge.
type Config struct {
	// Client is the Redis client the Bridge publishes and subscribes
	// with (standalone, Sentinel or Cluster). Required; the caller closes
	// it after the Bridge.
	Client *redis.Client
	// Prefix starts every channel and key name. Servers share topics when
	// they share the Prefix. Default "arsenal:ws".
	Prefix string
	// Partitions is how many channels the topics are folded into; every
	// server of a deployment must use the same number. Default 16, at most
	// 1024.
	Partitions int
	// NodeID names this server in envelopes and presence, at most 64
	// bytes. Default: 16 random hex digits (unique per Bridge).
	NodeID string
	// QueueSize is how many messages a partition queues for Redis; past
	// it Publish fails with ResourceExhausted. Default 4096.
	QueueSize int
	// PublishTimeout bounds each PUBLISH. Default 5 s.
	PublishTimeout time.Duration
	// PresenceTTL is how long a node's presence counts stay valid without
	// a refresh (see the package doc, Presence). Default 15 s.
	PresenceTTL time.Duration
	// History says which topics keep a bounded history in a Redis Stream
	// (see Append and Resume); nil or a zero History: none.
	History func(topic string) History
	// HistoryFrame builds the frame a history topic's subscriber gets
	// from a message, its topic and offset. Default DefaultHistoryFrame
	// (which ParseHistoryFrame and Resumer read).
	HistoryFrame func(topic, offset string, data []byte) []byte
	// Observer receives OpStart/OpEnd for Publish, Append, Resume and
	// SubscriberCount.
	// Default nil: no calls, no cost.
	Observer arsenal.Observer
	// Logger receives failed publishes and dropped messages (Warn) and
	// restored subscriptions (Info). Default nil: no logs.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.NodeID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.NodeID = hex.EncodeToString(b[:])
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.PresenceTTL == 0 {
		c.PresenceTTL = DefaultPresenceTTL
	}
	return c
}

// Validate checks every field without I/O.
func (c Config) Validate() error {
	v := arsenal.Validation{Component: Kind}
	v.Check(c.Client != nil, "Client", "is required")
	v.Check(c.Partitions >= 0 && c.Partitions <= 1024, "Partitions", "must be 1..1024 (0 for the default)")
	v.Check(len(c.NodeID) <= 64, "NodeID", "must be at most 64 bytes")
	v.Check(c.QueueSize >= 0, "QueueSize", "must not be negative")
	v.Check(c.PublishTimeout >= 0, "PublishTimeout", "must not be negative")
	v.Check(c.PresenceTTL >= 0, "PresenceTTL", "must not be negative")
	return v.Err()
}

type outMsg struct{ payload string }

// partition numbers this node's messages (under mu, with the queue send,
// so numbers follow queue order) and remembers the last number received
// from each other node (only on the subscription's goroutine).
type partition struct {
	mu   sync.Mutex
	seq  uint64
	last map[string]uint64
}

// maxPeers bounds a partition's map of other nodes' sequence numbers.
const maxPeers = 4096

// Bridge is a websocket.Broker on Redis: attach it to one
// websocket.Server through ServerConfig.Broker. It is safe for
// concurrent use and must be closed (after the Server).
type Bridge struct {
	cfg     Config
	c       *redis.Client
	sharded bool
	chans   []string
	queues  []chan outMsg
	parts   []partition
	subs    []*redis.Subscription
	srv     atomic.Pointer[websocket.Server]

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
	unhook func()

	mu    sync.Mutex
	local map[string]int      // this node's subscribers per topic
	dirty map[string]struct{} // topics whose presence field is stale
	kick  chan struct{}

	rec                *stats.Recorder
	opPub              *stats.Op
	opCount            *stats.Op
	opAppend, opResume *stats.Op
	hist               histTopics

	published, publishErrs, dropped     atomic.Uint64
	received, echoes, malformed, fanout atomic.Uint64
	presenceErrs, replayed              atomic.Uint64
	retries, repeats, gaps, slowClosed  atomic.Uint64
	lastErr                             atomic.Pointer[errAt]
}

type errAt struct {
	err error
	at  time.Time
}

// New validates cfg and subscribes to every partition channel; it returns
// once Redis confirmed them (ctx bounds the wait).
func New(ctx context.Context, cfg Config) (*Bridge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := &Bridge{
		cfg: cfg, c: cfg.Client, sharded: cfg.Client.Mode() == redis.ModeCluster,
		local: map[string]int{}, dirty: map[string]struct{}{}, kick: make(chan struct{}, 1),
		rec: stats.NewRecorder(),
	}
	b.opPub = b.rec.Op("publish")
	b.opPub.SampleEvery(8)
	b.opCount = b.rec.Op("subscriber_count")
	b.opAppend, b.opResume = b.rec.Op("append"), b.rec.Op("resume")
	b.hist.topics = map[string]map[*websocket.Conn]*histSub{}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.unhook = b.c.OnEvent(b.onEvent)
	b.parts = make([]partition, cfg.Partitions)
	for i := 0; i < cfg.Partitions; i++ {
		ch := b.channel(i)
		b.chans = append(b.chans, ch)
		b.parts[i].last = map[string]uint64{}
		handler := func(m redis.Message) { b.receive(i, m) }
		var sub *redis.Subscription
		var err error
		if b.sharded {
			sub, err = b.c.SSubscribe(ctx, handler, ch)
		} else {
			sub, err = b.c.Subscribe(ctx, handler, ch)
		}
		if err != nil {
			_ = b.Close()
			return nil, arsenal.Wrap(Kind, "subscribe", err)
		}
		b.subs = append(b.subs, sub)
	}
	for i := 0; i < cfg.Partitions; i++ {
		q := make(chan outMsg, cfg.QueueSize)
		b.queues = append(b.queues, q)
		b.wg.Add(1)
		go b.send(i, q)
	}
	b.wg.Add(1)
	go b.presenceLoop()
	return b, nil
}

// channel names partition i's channel; in cluster mode the hash tag
// spreads the partitions over the masters.
func (b *Bridge) channel(i int) string {
	if b.sharded {
		return b.cfg.Prefix + ":{p" + strconv.Itoa(i) + "}"
	}
	return b.cfg.Prefix + ":p" + strconv.Itoa(i)
}

func (b *Bridge) partition(topic string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(topic))
	return int(h.Sum32() % uint32(b.cfg.Partitions))
}

// NodeID returns the node id this Bridge stamps on its messages.
func (b *Bridge) NodeID() string { return b.cfg.NodeID }

// Channels returns the partition channel names, in partition order.
func (b *Bridge) Channels() []string { return append([]string(nil), b.chans...) }

// Attach binds the Bridge to its Server (websocket.NewServer calls it).
// A Bridge serves one Server.
func (b *Bridge) Attach(s *websocket.Server) error {
	if b.closed.Load() {
		return arsenal.Closed(Kind, "attach")
	}
	if !b.srv.CompareAndSwap(nil, s) {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "attach", "the bridge already serves a server")
	}
	return nil
}

// Subscribe records a local subscriber of topic (for presence).
func (b *Bridge) Subscribe(topic string) {
	b.mu.Lock()
	b.local[topic]++
	b.dirty[topic] = struct{}{}
	b.mu.Unlock()
	b.poke()
}

// Unsubscribe records a local subscriber leaving topic.
func (b *Bridge) Unsubscribe(topic string) {
	b.mu.Lock()
	if b.local[topic] > 0 {
		b.local[topic]--
	}
	b.dirty[topic] = struct{}{}
	b.mu.Unlock()
	b.poke()
}

func (b *Bridge) poke() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Publish queues a message (already delivered to this server's
// subscribers) for the other servers. It does not wait for Redis; a full
// partition queue fails it with ResourceExhausted.
func (b *Bridge) Publish(topic string, typ websocket.MessageType, data []byte) error {
	if b.cfg.Observer == nil {
		start := b.opPub.Start()
		return b.opPub.Done(start, b.enqueue(topic, typ, data))
	}
	st := arsenal.OpStart{Component: Kind, Op: "publish", Target: b.c.Describe(), Resource: topic, Time: time.Now()}
	ctx := b.cfg.Observer.OpStart(context.Background(), st)
	start := b.opPub.Start()
	err := b.opPub.Done(start, b.enqueue(topic, typ, data))
	b.cfg.Observer.OpEnd(ctx, st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: time.Since(st.Time), BytesOut: int64(len(data))})
	return err
}

func (b *Bridge) enqueue(topic string, typ websocket.MessageType, data []byte) error {
	if b.closed.Load() {
		return arsenal.Closed(Kind, "publish")
	}
	if typ != websocket.Text && typ != websocket.Binary {
		return arsenal.Errorf(arsenal.InvalidArgument, Kind, "publish", "unknown message type %d", int(typ))
	}
	p := b.partition(topic)
	pt := &b.parts[p]
	pt.mu.Lock()
	m := outMsg{payload: encode(b.cfg.NodeID, pt.seq+1, topic, typ, data)}
	select {
	case b.queues[p] <- m:
		pt.seq++
		pt.mu.Unlock()
		return nil
	default:
		pt.mu.Unlock()
		b.dropped.Add(1)
		if b.cfg.Logger != nil {
			b.cfg.Logger.Warn("wsredis: message dropped, publish queue full", "topic", topic, "partition", p, "queue", b.cfg.QueueSize)
		}
		return arsenal.Errorf(arsenal.ResourceExhausted, Kind, "publish", "partition %d queue is full (%d messages)", p, b.cfg.QueueSize)
	}
}

// send publishes partition p's queue in order, one PUBLISH at a time, so
// that messages from one publisher keep their order.
func (b *Bridge) send(p int, q chan outMsg) {
	defer b.wg.Done()
	ch := b.chans[p]
	for {
		select {
		case <-b.ctx.Done():
			return
		case m := <-q:
			err := b.publishOne(ch, m.payload)
			if err != nil {
				if b.ctx.Err() != nil {
					return
				}
				b.publishErrs.Add(1)
				b.setErr(err)
				if b.cfg.Logger != nil {
					b.cfg.Logger.Warn("wsredis: publish failed, message lost", "partition", p, "err", err)
				}
				continue
			}
			b.published.Add(1)
		}
	}
}

// publishOne sends one message, retrying (within PublishTimeout) a
// failure that may be a connection's: receivers drop a repeat by its
// sequence number, so a retry never delivers twice.
func (b *Bridge) publishOne(ch, payload string) error {
	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.PublishTimeout)
	defer cancel()
	delay := 20 * time.Millisecond
	for {
		var err error
		if b.sharded {
			_, err = b.c.SPublish(ctx, ch, payload)
		} else {
			_, err = b.c.Publish(ctx, ch, payload)
		}
		if err == nil || !arsenal.Classify(err).Retryable {
			return err
		}
		b.retries.Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// receive runs on partition p's subscription goroutine, in order.
func (b *Bridge) receive(p int, m redis.Message) {
	e, err := decode(m.Payload)
	if err != nil {
		b.malformed.Add(1)
		return
	}
	if e.hist {
		// History messages reach the publishing node too: Append delivers
		// nothing locally by itself.
		m, err := decodeHistory(e)
		if err != nil {
			b.malformed.Add(1)
			return
		}
		b.received.Add(1)
		b.receiveHist(e.topic, m)
		return
	}
	if e.node == b.cfg.NodeID {
		b.echoes.Add(1)
		return
	}
	last := b.parts[p].last
	prev, known := last[e.node]
	if known && e.seq <= prev {
		b.repeats.Add(1) // a retried PUBLISH that had gone through
		return
	}
	if known && e.seq > prev+1 {
		b.gaps.Add(e.seq - prev - 1)
	}
	if !known && len(last) >= maxPeers {
		clear(last)
	}
	last[e.node] = e.seq
	b.received.Add(1)
	if s := b.srv.Load(); s != nil {
		n, _ := s.DeliverLocal(e.topic, e.typ, e.data)
		b.fanout.Add(uint64(n))
	}
}

func (b *Bridge) onEvent(e redis.Event) {
	switch e.Kind {
	case redis.EventDisconnected, redis.EventGaveUp:
		if e.Err != nil {
			b.setErr(e.Err)
		}
	case redis.EventResubscribed:
		if len(e.Channels) == 1 && b.ours(e.Channels[0]) && b.cfg.Logger != nil {
			b.cfg.Logger.Info("wsredis: partition subscription restored", "channel", e.Channels[0])
		}
	}
}

func (b *Bridge) ours(ch string) bool {
	for _, c := range b.chans {
		if c == ch {
			return true
		}
	}
	return false
}

func (b *Bridge) setErr(err error) { b.lastErr.Store(&errAt{err: err, at: time.Now()}) }

// Close stops the Bridge: queued messages not yet sent are discarded, the
// partitions are unsubscribed and this node's presence fields removed.
// The redis Client stays open. Close is idempotent.
func (b *Bridge) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.cancel()
	b.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range b.subs {
		_ = s.Unsubscribe(ctx)
	}
	b.clearPresence(ctx)
	if b.unhook != nil {
		b.unhook()
	}
	return nil
}

// Kind returns "wsredis".
func (b *Bridge) Kind() string { return Kind }

// Health checks the Bridge is open and Redis answers.
func (b *Bridge) Health(ctx context.Context) error {
	if b.closed.Load() {
		return arsenal.Closed(Kind, "health")
	}
	return b.c.Health(ctx)
}
