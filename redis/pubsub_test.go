package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// collector gathers messages delivered to a handler.
type collector struct {
	mu   sync.Mutex
	msgs []redis.Message
	ch   chan struct{}
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1024)} }

func (c *collector) handle(m redis.Message) {
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

func (c *collector) waitFor(t *testing.T, pred func(redis.Message) bool, timeout time.Duration) redis.Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		for _, m := range c.msgs {
			if pred(m) {
				c.mu.Unlock()
				return m
			}
		}
		c.mu.Unlock()
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("no matching message within %s", timeout)
		}
	}
}

func TestPubSubDeliversToHandlersChannelsAndPatterns(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	sub, err := c.Duplicate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	col := newCollector()
	s1, err := sub.Subscribe(ctx, col.handle, p+"news", p+"sports")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := sub.PSubscribe(ctx, nil, p+"logs.*")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := sub.SSubscribe(ctx, nil, p+"shard")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.Publish(ctx, p+"news", "hello"); err != nil || n != 1 {
		t.Fatalf("Publish = %d, %v; want 1 receiver", n, err)
	}
	col.waitFor(t, func(m redis.Message) bool { return m.Channel == p+"news" && m.Payload == "hello" }, 10*time.Second)

	if _, err := c.Publish(ctx, p+"logs.error", "boom"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-ps.Messages():
		if m.Pattern != p+"logs.*" || m.Channel != p+"logs.error" || m.Payload != "boom" {
			t.Errorf("pattern message %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no pattern message")
	}
	if _, err := c.SPublish(ctx, p+"shard", "s"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-ss.Messages():
		if m.Payload != "s" {
			t.Errorf("sharded message %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no sharded message")
	}
	if got := sub.ClientStats().Subscriptions; got != 3 {
		t.Errorf("ClientStats().Subscriptions = %v, want 3", got)
	}
	if got, _ := sub.Stats().Gauge("subscriptions"); got != 3 {
		t.Errorf("subscriptions gauge = %v, want 3", got)
	}

	// After Unsubscribe nobody receives on the channel.
	if err := s1.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	var n int64
	for i := 0; i < 50; i++ { // the UNSUBSCRIBE is sent as the subscription ends
		if n, err = c.Publish(ctx, p+"news", "after"); err != nil || n == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n != 0 {
		t.Errorf("Publish after Unsubscribe reached %d subscribers", n)
	}
	if err := s1.Unsubscribe(ctx); err != nil {
		t.Errorf("second Unsubscribe: %v", err)
	}
	// Close ends the remaining subscriptions and closes their channels.
	sub.Close()
	select {
	case _, ok := <-ps.Messages():
		for ok {
			_, ok = <-ps.Messages()
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Messages channel not closed by Close")
	}
	if _, err := sub.Subscribe(ctx, nil, "x"); !arsenal.IsCode(err, arsenal.FailedPrecondition) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

func TestSubscribeRejectsBadInput(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	if _, err := c.Subscribe(ctx, nil); !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Errorf("Subscribe with no channel: %v", err)
	}
}

func TestSubscriptionsAreRestoredAfterTheServerRestarts(t *testing.T) {
	srv := requireRealRedis(t)
	c := openAt(t, srv)
	pub := openAt(t, srv)
	ctx := ctxT(t)
	events := make(chan redis.Event, 64)
	c.OnEvent(func(e redis.Event) { events <- e })

	col := newCollector()
	s, err := c.Subscribe(ctx, col.handle, "restart-ch")
	if err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	waitEvent(t, events, redis.EventDisconnected, 10*time.Second)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitEvents(t, events, 15*time.Second, redis.EventReconnected, redis.EventResubscribed)
	if s.Restores() < 1 {
		t.Errorf("Restores = %d after a restart", s.Restores())
	}
	// The publisher's idle connection died with the server: its first call
	// may fail with a retryable Unavailable, as the Classify contract says.
	publishEventually(t, pub, "restart-ch", "after-restart")
	col.waitFor(t, func(m redis.Message) bool { return m.Payload == "after-restart" }, 10*time.Second)
	st := c.State()
	if !st.Connected || st.Reconnects < 1 || st.Disconnects < 1 || st.LastError == nil {
		t.Errorf("State after a restart: %+v", st)
	}
	if g := c.ClientStats(); g.Reconnects < 1 || !g.Connected {
		t.Errorf("ClientStats after a restart: %+v", g)
	}
}

func waitEvent(t *testing.T, events <-chan redis.Event, kind redis.EventKind, timeout time.Duration) redis.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-events:
			if e.Kind == kind {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", kind, timeout)
		}
	}
}

func TestClientSideCachingServesRepeatedReadsLocally(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	k := prefix(t) + "cached"
	if on, why := c.CacheInfo(); !on {
		t.Fatalf("caching off against a real redis-server 7: %s", why)
	}
	if err := c.Set(ctx, k, "v1"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		v, err := c.CachedGet(ctx, k, time.Minute)
		if err != nil || v != "v1" {
			t.Fatalf("CachedGet = %q, %v", v, err)
		}
	}
	g := c.ClientStats()
	if g.CacheHits < 3 || g.CacheMisses < 1 {
		t.Errorf("cache hits/misses = %v/%v after 5 reads", g.CacheHits, g.CacheMisses)
	}
	// A write from another client invalidates the entry.
	other, _ := open(t)
	if err := other.Set(ctx, k, "v2"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := c.CachedGet(ctx, k, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if v == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cached value never invalidated: still %q", v)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := c.CachedGet(ctx, k+"missing", time.Minute); !redis.IsNotFound(err) {
		t.Errorf("CachedGet of a missing key: %v", err)
	}
	got, err := c.CachedMGet(ctx, time.Minute, k, k+"missing")
	if err != nil || !got[0].OK || got[0].V != "v2" || got[1].OK {
		t.Errorf("CachedMGet = %+v, %v", got, err)
	}
}

// This test runs against an embedded miniredis on purpose: it is the
// stand-in without CLIENT TRACKING whose detection it checks.
func TestMiniredisWithoutClientTrackingFallsBackToUncachedRESP2(t *testing.T) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := ctxT(t)
	c, err := redis.Open(ctx, redis.Config{Addrs: []string{m.Addr()}})
	if err != nil {
		t.Fatalf("Open against miniredis: %v", err)
	}
	defer c.Close()
	on, why := c.CacheInfo()
	if on || why == "" {
		t.Errorf("CacheInfo = %v, %q; want off with a reason", on, why)
	}
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.CachedGet(ctx, "k", time.Minute); err != nil || v != "v" {
		t.Errorf("CachedGet without caching = %q, %v", v, err)
	}
	col := newCollector()
	if _, err := c.Subscribe(ctx, col.handle, "ch"); err != nil {
		t.Fatalf("Subscribe over RESP2: %v", err)
	}
	if _, err := c.Publish(ctx, "ch", "m"); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, func(m redis.Message) bool { return m.Payload == "m" }, 10*time.Second)
	if c.ClientStats().CacheEnabled {
		t.Error("ClientStats().CacheEnabled over RESP2")
	}
}

func TestPublishWithADeadlineReturnsWhileDisconnected(t *testing.T) {
	srv := requireRealRedis(t)
	c := openAt(t, srv)
	srv.Kill()
	for _, queue := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		_, err := c.Publish(ctx, "ch", "m")
		cancel()
		if err == nil {
			t.Fatal("Publish to a killed server succeeded")
		}
		if c := arsenal.CodeOf(err); c != arsenal.Unavailable && c != arsenal.DeadlineExceeded {
			t.Errorf("Publish while down (offline queue %v): %v", queue, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Publish took %s past its 300ms deadline", d)
		}
	}
}

func TestOfflineQueueWaitsForTheReconnectionAndFailFastDoesNot(t *testing.T) {
	srv := requireRealRedis(t)
	queued := openAt(t, srv)
	fast := openAt(t, srv, func(c *redis.Config) { c.DisableOfflineQueue = true })
	ctx := ctxT(t)
	srv.Kill()
	// Both notice the outage (their connections see the reset).
	for _, c := range []*redis.Client{queued, fast} {
		deadline := time.Now().Add(10 * time.Second)
		for c.State().Connected && time.Now().Before(deadline) {
			_ = c.Set(ctx, "probe", "x")
			time.Sleep(20 * time.Millisecond)
		}
		if c.State().Connected {
			t.Fatal("client still reports connected after SIGKILL")
		}
	}
	start := time.Now()
	if err := fast.Set(ctx, "k", "v"); !arsenal.IsCode(err, arsenal.Unavailable) {
		t.Errorf("fail-fast Set while down: %v; want Unavailable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("fail-fast Set took %s", d)
	}
	done := make(chan error, 1)
	go func() { done <- queued.Set(ctx, "queued", "yes") }()
	time.Sleep(300 * time.Millisecond)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("queued Set after the restart: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("queued Set never completed")
	}
	if v, err := queued.Get(ctx, "queued"); err != nil || v != "yes" {
		t.Errorf("queued write = %q, %v", v, err)
	}
}

func TestHealthFailsFastWhileDisconnected(t *testing.T) {
	srv := requireRealRedis(t)
	c := openAt(t, srv)
	ctx := ctxT(t)
	srv.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for c.State().Connected && time.Now().Before(deadline) {
		_ = c.Health(ctx)
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Health(ctx); !arsenal.IsCode(err, arsenal.Unavailable) {
		t.Errorf("Health while down: %v; want Unavailable", err)
	}
	if c.Stats().Connected {
		t.Error("Stats.Connected while down")
	}
}

func requireRealRedis(t *testing.T, args ...string) *testenvRedis {
	t.Helper()
	return startReal(t, args...)
}

var _ = context.Background

// publishEventually publishes until one subscriber receives the message,
// retrying errors Classify calls retryable.
func publishEventually(t *testing.T, c *redis.Client, ch, msg string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, err := c.Publish(ctx, ch, msg)
		cancel()
		if err == nil && n > 0 {
			return
		}
		if err != nil && !arsenal.Classify(err).Retryable {
			t.Fatalf("Publish: %v (not retryable)", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Publish never reached a subscriber: n=%d err=%v", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitEvents waits until every kind has been seen, in any order.
func waitEvents(t *testing.T, events <-chan redis.Event, timeout time.Duration, kinds ...redis.EventKind) {
	t.Helper()
	deadline := time.After(timeout)
	missing := map[redis.EventKind]bool{}
	for _, k := range kinds {
		missing[k] = true
	}
	for len(missing) > 0 {
		select {
		case e := <-events:
			delete(missing, e.Kind)
		case <-deadline:
			t.Fatalf("events not seen within %s: %v", timeout, missing)
		}
	}
}
