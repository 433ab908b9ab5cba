package redis

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// Client is a Redis or Valkey client: typed commands, pipelines,
// transactions, pub/sub and client-side caching over rueidis, with
// connection monitoring and coded errors. It is an arsenal.Component.
//
// A Client is safe for concurrent use; concurrent calls are pipelined on a
// few shared connections. It must be closed.
type Client struct {
	cfg  Config // with defaults applied
	orig Config // as given to Open, for Duplicate
	rc   rueidis.Client
	// rd runs a lone caller's command synchronously on a pooled
	// connection (see exec); nil when the deployment does not allow it.
	// It is replaced after each outage (renewDirect).
	rd        atomic.Pointer[directClient]
	rdOpt     rueidis.ClientOption
	rdMu      sync.Mutex
	rdRetired []*directClient
	bld       rueidis.Builder
	k         cmds // the commands Client, Pipeline and Tx share (command.go)

	hooks  bool   // an Observer or a slow-call log is set (observe.go)
	sec    bool   // Config.Security has a Policy or an Audit (authz.go)
	target string // cfg.target(), for events and logs
	ns     string // the database number, for OpStart.Namespace
	rec    *stats.Recorder
	ops    []atomic.Pointer[stats.Op]

	st       *connState
	cacheOn  bool   // client-side caching is active
	cacheWhy string // why caching is off, when it is
	resp2    bool   // the connection speaks RESP2 (fallback)

	cacheHits, cacheMisses atomic.Uint64

	ctx    context.Context // cancelled by Close; parent of background work
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
	once   sync.Once

	// inflight counts calls inside exec; from yieldAt on, connection
	// writers yield before each write (see watchedConn.Write).
	inflight atomic.Int64
	yieldAt  int64

	tw *timeoutWheel // CommandTimeout for pipelined calls (deadline.go); nil without one

	subsMu  sync.Mutex
	subs    map[*Subscription]struct{}
	subRefs map[string]int // live Subscriptions per kind+channel (under subsMu)
	subCnt  atomic.Int64
	dropped atomic.Uint64

	lsMu      sync.Mutex
	listeners map[int]func(Event)
	lsNext    int
	events    chan Event
	evDropped atomic.Uint64
}

// Open validates cfg, connects, and returns a ready Client. It fails with
// InvalidArgument (before any I/O) for a bad config, and with Unavailable,
// DeadlineExceeded or Unauthenticated when the server cannot be used. A
// server without CLIENT TRACKING (older Redis, miniredis, some compatible
// stores) is detected: the Client then runs without client-side caching
// and over RESP2, and CacheInfo says why.
//
// Open honours ctx; each dial and handshake is bounded by
// Config.ConnectTimeout.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapErr("open", err)
	}
	c := &Client{
		orig:      cfg,
		cfg:       cfg.withDefaults(),
		rec:       stats.NewRecorder(),
		ops:       make([]atomic.Pointer[stats.Op], len(opNames)),
		st:        newConnState(),
		subs:      map[*Subscription]struct{}{},
		subRefs:   map[string]int{},
		listeners: map[int]func(Event){},
		events:    make(chan Event, 256),
	}
	c.target, c.ns = c.cfg.target(), namespace(c.cfg)
	c.hooks = c.cfg.Observer != nil || (c.cfg.Logger != nil && c.cfg.SlowThreshold > 0)
	c.sec = c.cfg.Security.Active()
	if c.cfg.CommandTimeout > 0 {
		c.tw = newTimeoutWheel(c.cfg.CommandTimeout)
	}
	c.yieldAt = math.MaxInt64
	if !c.cfg.DisableAutoPipelining {
		c.yieldAt = yieldPerConn * int64(c.cfg.PipelineConns)
	}
	if sec := c.cfg.Security.TLS; c.cfg.TLS && (sec == nil && c.cfg.TLSInsecureSkipVerify || sec != nil && sec.InsecureSkipVerify) {
		// Not an operator's choice to hide: logged even without a Logger.
		l := c.cfg.Logger
		if l == nil {
			l = slog.Default()
		}
		l.Warn("redis: TLS certificate verification is off (skip_verify / TLSInsecureSkipVerify): anyone on the path can read and change the traffic; use it for tests only",
			"target", c.cfg.target())
	}
	opt, err := c.options()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rc, err := newRueidis(ctx, opt)
	if err != nil && errors.Is(err, rueidis.ErrNoCache) && !opt.DisableCache {
		if refused := trackingRefused(err); refused != "" {
			// The server has CLIENT TRACKING but the ACL user may not run
			// it (a least-privilege user): keep RESP3, drop the cache.
			c.cacheWhy = "the ACL user may not run " + refused + " (NOPERM): client-side caching off"
			opt.DisableCache = true
		} else {
			// The server lacks CLIENT TRACKING or RESP3: run without
			// caching, and over RESP2 so pub/sub gets a connection of its
			// own.
			c.cacheWhy = "server does not support CLIENT TRACKING (client-side caching off, RESP2)"
			opt.DisableCache, opt.AlwaysRESP2 = true, true
			c.resp2 = true
		}
		rc, err = newRueidis(ctx, opt)
	}
	c.rec.Record("open", time.Since(start), err)
	if err != nil {
		return nil, wrapErr("open", err)
	}
	if opt.DisableCache && c.cacheWhy == "" {
		c.cacheWhy = "disabled by Config.DisableCache"
	}
	c.cacheOn = !opt.DisableCache
	if c.cfg.Mode == ModeCluster && rc.Mode() != rueidis.ClientModeCluster {
		rc.Close()
		return nil, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "open", "Mode is cluster but %s is not a cluster node", c.cfg.target())
	}
	c.rc = rc
	c.bld = rc.B()
	c.k = cmds{c.bld}
	if rd := c.openDirect(ctx, opt); rd != nil {
		// Kept without the passwords, which stay in cfg's Secrets only
		// (so no print of the Client can show them).
		c.rdOpt = opt
		c.rdOpt.Password, c.rdOpt.Sentinel.Password = "", ""
		c.rd.Store(&directClient{Client: rd})
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(2)
	go c.monitor()
	go c.dispatch()
	return c, nil
}

// trackingRefused returns the command an ACL refused ("client|tracking")
// when err is rueidis's ErrNoCache for a NOPERM reply to CLIENT TRACKING,
// and "" when the server simply lacks the command.
func trackingRefused(err error) string {
	msg := err.Error()
	if !strings.Contains(msg, "NOPERM") {
		return ""
	}
	if i := strings.Index(msg, "'"); i >= 0 {
		if j := strings.IndexByte(msg[i+1:], '\''); j > 0 && j < 64 {
			return msg[i+1 : i+1+j]
		}
	}
	return "CLIENT TRACKING"
}

// newRueidis runs rueidis.NewClient (which dials without a context) so that
// ctx can end the wait; a client that connects after ctx ended is closed.
func newRueidis(ctx context.Context, opt rueidis.ClientOption) (rueidis.Client, error) {
	type result struct {
		c   rueidis.Client
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := rueidis.NewClient(opt)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// openDirect opens the client that serves calls made while no other call
// is in flight: rueidis without auto-pipelining writes and reads such a
// call on a pooled connection from the caller's own goroutine, sparing
// the hand-offs to and from the pipeline's writer and reader goroutines
// (single-caller latency about 2 µs lower). Only for a plain standalone
// server with auto-pipelining on; nil when that does not apply or the
// extra client cannot connect (calls then all go through the pipeline).
func (c *Client) openDirect(ctx context.Context, opt rueidis.ClientOption) rueidis.Client {
	cfg := c.cfg
	if cfg.DisableAutoPipelining || cfg.ReadFromReplicas || len(cfg.ReplicaAddrs) > 0 || c.rc.Mode() != rueidis.ClientModeStandalone {
		return nil
	}
	rd, err := newRueidis(ctx, directOptions(opt))
	if err != nil {
		return nil
	}
	return rd
}

// directOptions turns the pipelined client's options into the direct
// client's.
func directOptions(opt rueidis.ClientOption) rueidis.ClientOption {
	opt.DisableAutoPipelining = true
	opt.DisableCache = true
	opt.ForceSingleClient = true
	opt.Standalone = rueidis.StandaloneOption{}
	opt.SendToReplicas = nil
	return opt
}

// directClient is the client behind the direct path, closed once.
type directClient struct {
	rueidis.Client
	once sync.Once
}

func (d *directClient) close() { d.once.Do(d.Client.Close) }

// renewDirect replaces the direct client after an outage: its idle pooled
// connections are not read while idle, so they may still be ones the
// server dropped, and a lone caller's next call would fail on one (the
// pipelined connection notices a drop at once and redials). The old client
// is closed after a grace second for calls still on it. Run by the monitor.
func (c *Client) renewDirect() {
	old := c.rd.Load()
	if old == nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.ConnectTimeout)
	defer cancel()
	opt := directOptions(c.rdOpt)
	opt.Password, opt.Sentinel.Password = c.cfg.Password.Reveal(), c.cfg.SentinelPassword.Reveal()
	rd, err := newRueidis(ctx, opt)
	if err != nil {
		return // keep the old one: a dead connection fails one call and is dropped
	}
	c.rd.Store(&directClient{Client: rd})
	c.rdMu.Lock()
	c.rdRetired = append(c.rdRetired, old)
	c.rdMu.Unlock()
	time.AfterFunc(time.Second, old.close)
}

// retryDelay is rueidis's retry policy for read-only commands and
// subscriptions: the reconnect backoff, at most MaxRetries times.
func (c *Client) retryDelay(attempts int, _ rueidis.Completed, _ error) time.Duration {
	if c.cfg.MaxRetries >= 0 && attempts > c.cfg.MaxRetries {
		return -1
	}
	return c.backoff(attempts)
}

// backoff is the delay before reconnect attempt n (1-based): Min doubling
// per attempt, capped at Max.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.ReconnectBackoffMin
	for i := 1; i < n && d < c.cfg.ReconnectBackoffMax; i++ {
		d *= 2
	}
	return min(d, c.cfg.ReconnectBackoffMax)
}

// giveUpAfter is how long calls wait for a reconnection: the sum of
// MaxRetries backoff delays (no limit when MaxRetries is negative).
func (c *Client) giveUpAfter() time.Duration {
	if c.cfg.MaxRetries < 0 {
		return -1
	}
	var total time.Duration
	for i := 1; i <= c.cfg.MaxRetries; i++ {
		total += c.backoff(i)
	}
	return total
}

// Kind returns "redis".
func (c *Client) Kind() string { return Kind }

// Describe returns the target and mode, secrets redacted.
func (c *Client) Describe() string {
	d := "redis " + c.cfg.target() // names the mode when Config sets one
	if c.cfg.mode() == ModeAuto {
		d += " (" + string(c.rc.Mode()) + ")" // the mode Open detected
	}
	return d
}

// String describes the client without secrets: "redis.Client(redis
// 127.0.0.1:6379 (standalone))". It makes %v and %+v of a *Client print
// this, never the options (and passwords) it holds.
func (c *Client) String() string {
	if c == nil {
		return "redis.Client(nil)"
	}
	return "redis.Client(" + c.Describe() + ")"
}

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue renders the client for log/slog: its kind and redacted target.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("redis.Client(nil)")
	}
	return slog.GroupValue(slog.String("kind", Kind), slog.String("target", c.cfg.target()))
}

// MarshalJSON renders the client as {"kind":"redis","target":...}.
func (c *Client) MarshalJSON() ([]byte, error) {
	if c == nil {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Kind   string `json:"kind"`
		Target string `json:"target"`
	}{Kind, c.cfg.target()})
}

// Mode returns the deployment the client found: "standalone", "cluster" or
// "sentinel".
func (c *Client) Mode() Mode { return Mode(c.rc.Mode()) }

// CacheInfo reports whether client-side caching is active and, when it is
// not, why (disabled in Config, or the server lacks CLIENT TRACKING).
func (c *Client) CacheInfo() (enabled bool, reason string) { return c.cacheOn, c.cacheWhy }

// Health sends PING. It fails fast with Unavailable while the client is
// disconnected instead of waiting for the reconnection. Config.Security's
// Policy does not apply to it (monitors call it without a principal).
func (c *Client) Health(ctx context.Context) error {
	if c.closed.Load() {
		return c.refuse(ctx, opPing, arsenal.Closed(Kind, "health"))
	}
	if !c.st.up.Load() {
		return c.refuse(ctx, opPing, c.downErr("health"))
	}
	_, err := c.execHooked(ctx, opPing, c.bld.Ping().Build(), true)
	return err
}

// Ping sends PING and returns the server's reply ("PONG").
func (c *Client) Ping(ctx context.Context) (string, error) {
	return run(c, ctx, opPing, c.bld.Ping().Build(), asString)
}

// Duplicate opens a second, independent Client with the same Config (new
// connections; its own subscriptions, stats and Close), as Bun's
// duplicate() does. A dedicated subscriber connection is the usual use.
func (c *Client) Duplicate(ctx context.Context) (*Client, error) {
	if c.closed.Load() {
		return nil, arsenal.Closed(Kind, "duplicate")
	}
	return Open(ctx, c.orig)
}

// Close unsubscribes every subscription, waits for calls in flight, closes
// the connections and stops the monitor. It is idempotent; every later
// call fails with FailedPrecondition wrapping arsenal.ErrClosed.
func (c *Client) Close() error {
	c.once.Do(func() {
		c.closed.Store(true)
		c.cancel()
		c.subsMu.Lock()
		subs := make([]*Subscription, 0, len(c.subs))
		for s := range c.subs {
			subs = append(subs, s)
		}
		c.subsMu.Unlock()
		for _, s := range subs {
			s.stop()
		}
		c.rc.Close()
		c.wg.Wait() // the monitor, which renews rd, has stopped
		c.rdMu.Lock()
		for _, d := range c.rdRetired {
			d.close()
		}
		c.rdMu.Unlock()
		if d := c.rd.Load(); d != nil {
			d.close()
		}
	})
	return nil
}

// op returns the recorder of an operation, creating it on first use.
// latencySampleEvery is the share of calls whose latency Stats times once
// an operation has timed its first 1024 calls (stats.Op.SampleEvery).
const latencySampleEvery = 8

func (c *Client) op(id opID) *stats.Op {
	if p := c.ops[id].Load(); p != nil {
		return p
	}
	p := c.rec.Op(opNames[id])
	// Under load a call's own CPU is a few microseconds, where two clock
	// reads and a histogram update are a visible share: time 1 call in 8
	// after the first 1024 (calls and errors stay exact).
	p.SampleEvery(latencySampleEvery)
	c.ops[id].Store(p)
	return p
}

// gate lets a call through when the client is connected; otherwise it
// waits for the reconnection (offline queue) or fails with Unavailable. A
// call it refuses is counted (and its error) in id's Stats.
func (c *Client) gate(ctx context.Context, id opID) error {
	if c.closed.Load() {
		return c.refuse(ctx, id, arsenal.Closed(Kind, opNames[id]))
	}
	if c.st.up.Load() {
		return nil
	}
	if err := c.waitUp(ctx, opNames[id]); err != nil {
		return c.refuse(ctx, id, err)
	}
	return nil
}

// refuse counts a call of id that failed before it was sent (validation,
// the gate) and returns its error.
func (c *Client) refuse(ctx context.Context, id opID, err error) error {
	op := c.op(id)
	c.observeRefused(ctx, id, err)
	return op.Done(op.Start(), err)
}

// bound returns ctx limited by CommandTimeout when ctx has no deadline of
// its own (and cmd is not a blocking command); cancel is nil otherwise.
func (c *Client) bound(ctx context.Context, block bool) (context.Context, context.CancelFunc) {
	if c.cfg.CommandTimeout <= 0 || block {
		return ctx, nil
	}
	if _, ok := ctx.Deadline(); ok {
		return ctx, nil
	}
	if ctx.Done() == nil {
		return c.tw.bound(ctx), nil // never cancelled: the shared timer will do
	}
	return context.WithTimeoutCause(ctx, c.cfg.CommandTimeout, errCommandTimeout)
}

func (c *Client) downErr(op string) error {
	_, err := c.st.last()
	if err == nil {
		return arsenal.E(arsenal.Unavailable, Kind, op, ErrDisconnected)
	}
	return &arsenal.Error{Code: arsenal.Unavailable, Component: Kind, Op: op, Message: "not connected: " + err.Error(), Err: ErrDisconnected}
}

// waitUp waits in the offline queue for the reconnection: until ctx ends,
// MaxRetries reconnect delays pass (EventGaveUp) or, for a context without
// a deadline, CommandTimeout passes; the last two fail with Unavailable.
func (c *Client) waitUp(ctx context.Context, op string) error {
	o := c.st.outage.Load()
	if o == nil {
		return nil
	}
	o.demand.Store(time.Now().UnixNano())
	if c.cfg.DisableOfflineQueue || c.cfg.DisableAutoReconnect {
		c.st.kickProbe()
		return c.downErr(op)
	}
	var limit <-chan time.Time
	if _, ok := ctx.Deadline(); !ok && c.cfg.CommandTimeout > 0 {
		t := time.NewTimer(c.cfg.CommandTimeout)
		defer t.Stop()
		limit = t.C
	}
	o.waiters.Add(1)
	defer o.waiters.Add(-1)
	c.st.kickProbe()
	select {
	case <-o.up:
		if c.closed.Load() {
			return arsenal.Closed(Kind, op)
		}
		return nil
	case <-o.gaveUp:
		return c.downErr(op)
	case <-limit:
		return c.downErr(op)
	case <-ctx.Done():
		return wrapErr(op, ctx.Err())
	case <-c.ctx.Done():
		return arsenal.Closed(Kind, op)
	}
}

// exec runs one command: gate, send, record latency, translate errors. A
// nil reply is not an error here; the typed parsers decide. A call made
// while no other is in flight goes on the direct client (see openDirect),
// the others share the auto-pipeline.
func (c *Client) exec(ctx context.Context, id opID, cmd rueidis.Completed) (rueidis.RedisMessage, error) {
	return c.execOn(ctx, id, cmd, true)
}

// directOK says whether cmd may run on the direct client, which reads
// the reply synchronously and so honours ctx only through its deadline.
// As rueidis does for a lone caller, that is allowed when ctx has a
// deadline or can never be cancelled; blocking commands (which must end
// when ctx does) always stay on the blocking pool.
func directOK(ctx context.Context, cmd *rueidis.Completed) bool {
	if cmd.IsBlock() {
		return false
	}
	if ctx.Done() == nil {
		return true
	}
	_, ok := ctx.Deadline()
	return ok
}

// execOn is exec; direct false keeps the command on the pipelined
// connection (for Do, whose command may depend on the connection, like
// CLIENT ID).
func (c *Client) execOn(ctx context.Context, id opID, cmd rueidis.Completed, direct bool) (rueidis.RedisMessage, error) {
	if c.sec {
		s, err := c.secure(ctx, id, &cmd)
		if err != nil {
			return rueidis.RedisMessage{}, c.refuse(ctx, id, err)
		}
		msg, err := c.execHooked(ctx, id, cmd, direct)
		c.record(ctx, s, err)
		return msg, err
	}
	return c.execHooked(ctx, id, cmd, direct)
}

// execHooked is execOn after the security checks.
func (c *Client) execHooked(ctx context.Context, id opID, cmd rueidis.Completed, direct bool) (rueidis.RedisMessage, error) {
	if c.hooks {
		ctx, h := c.hookStart(ctx, id, &cmd)
		msg, err := c.execCmd(ctx, id, cmd, direct)
		c.hookEnd(ctx, id, h, err)
		return msg, err
	}
	return c.execCmd(ctx, id, cmd, direct)
}

// execCmd is execOn without the hooks.
func (c *Client) execCmd(ctx context.Context, id opID, cmd rueidis.Completed, direct bool) (rueidis.RedisMessage, error) {
	op := c.op(id)
	start := op.Start()
	if c.closed.Load() || !c.st.up.Load() {
		if err := c.waitGate(ctx, id); err != nil {
			op.Done(start, err)
			return rueidis.RedisMessage{}, err
		}
	}
	// bounded: CommandTimeout applies (a deadline-free, non-blocking
	// call). Such a call has a deadline when it reaches rueidis, so it
	// may go direct (directOK).
	bounded := false
	if c.cfg.CommandTimeout > 0 && !cmd.IsBlock() {
		_, ok := ctx.Deadline()
		bounded = !ok
	}
	rc := c.rc
	var d *directClient
	if c.inflight.Add(1) == 1 && direct && (bounded || directOK(ctx, &cmd)) {
		d = c.rd.Load()
	}
	var msg rueidis.RedisMessage
	var err error
	if d != nil {
		rc = d.Client
	}
	// Judged before Do: rueidis recycles cmd once Do returns.
	idem := idempotent(&cmd)
	switch {
	case bounded && ctx.Done() == nil:
		// A context that is never cancelled: the call shares the
		// wheel's timer (see timeoutWheel), allocating nothing for
		// context.Background.
		msg, err = rc.Do(c.tw.bound(ctx), cmd).ToMessage()
	case bounded && d != nil:
		// rueidis reads a direct call synchronously and takes only its
		// deadline: no timer needed (see cmdCtx).
		cc := newCmdCtx(ctx, c.cfg.CommandTimeout)
		msg, err = rc.Do(cc, cmd).ToMessage()
		cc.release()
	case bounded:
		bctx, cancel := context.WithTimeoutCause(ctx, c.cfg.CommandTimeout, errCommandTimeout)
		msg, err = rc.Do(bctx, cmd).ToMessage()
		cancel()
	default:
		msg, err = rc.Do(ctx, cmd).ToMessage()
	}
	c.inflight.Add(-1)
	if err != nil {
		if rueidis.IsRedisNil(err) {
			op.Done(start, nil)
			return msg, nil
		}
		err = c.failed(opNames[id], replyErr(&msg, err))
		if idem {
			err = safeToRetry(err)
		}
	}
	op.Done(start, err)
	return msg, err
}

// waitGate is gate for a caller that counts the call itself.
func (c *Client) waitGate(ctx context.Context, id opID) error {
	if c.closed.Load() {
		return arsenal.Closed(Kind, opNames[id])
	}
	return c.waitUp(ctx, opNames[id])
}

// yieldPerConn is the number of calls in flight per pipelined connection
// from which connection writers yield before writing. Measured on 2 cores
// (GET, median of 12 interleaved rounds against a client that never
// yields): 1 and 8 callers unchanged, 16 callers 1.8x, 24 and 64 callers
// 1.5x.
var yieldPerConn int64 = 16

// failed translates a command error and reports connection failures to
// the monitor.
func (c *Client) failed(op string, err error) error {
	if c.closed.Load() && errors.Is(err, rueidis.ErrClosing) {
		return arsenal.Closed(Kind, op)
	}
	if isNetworkError(err) {
		c.markDown(err)
	}
	return wrapErr(op, err)
}

// run executes cmd and parses its reply with parse.
func run[T any](c *Client, ctx context.Context, id opID, cmd rueidis.Completed, parse func(rueidis.RedisMessage) (T, error)) (T, error) {
	msg, err := c.exec(ctx, id, cmd)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := parse(msg)
	if err != nil {
		return v, wrapErr(opNames[id], err)
	}
	return v, nil
}

var _ arsenal.Component = (*Client)(nil)
var _ arsenal.Describer = (*Client)(nil)

// multiplexOf converts a connection count to rueidis's PipelineMultiplex
// (log2; -1 is how rueidis spells exactly one connection).
func multiplexOf(n int) int {
	if n <= 1 {
		return -1
	}
	l := 0
	for n > 1 {
		n >>= 1
		l++
	}
	return l
}

// PipelineSettings are the rueidis pipelining options a Client runs with,
// for benchmarks that configure a raw rueidis client the same way.
type PipelineSettings struct {
	Multiplex     int           // rueidis ClientOption.PipelineMultiplex
	MaxFlushDelay time.Duration // rueidis ClientOption.MaxFlushDelay
}

// PipelineSettings returns the pipelining options in use.
func (c *Client) PipelineSettings() PipelineSettings {
	return PipelineSettings{Multiplex: multiplexOf(c.cfg.PipelineConns), MaxFlushDelay: c.cfg.MaxFlushDelay}
}
