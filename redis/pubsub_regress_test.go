package redis_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
)

// TestSlowHandlerDoesNotStallCommandsOnTheSharedConnection proves a slow
// pub/sub handler no longer blocks rueidis's reader: with RESP3 the
// subscription shares the pipelined connection, so 60 messages queued
// behind a 100 ms handler used to stop every other command's reply. Two
// concurrent PINGs with a 1 s deadline must succeed while the handler is
// busy, and every message still reaches the handler, in order.
func TestSlowHandlerDoesNotStallCommandsOnTheSharedConnection(t *testing.T) {
	srv := startReal(t)
	c := openAt(t, srv)
	pub := openAt(t, srv)
	ctx := ctxT(t)
	const n = 60
	var mu sync.Mutex
	var got []string
	all := make(chan struct{})
	sub, err := c.Subscribe(ctx, func(m redis.Message) {
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		got = append(got, m.Payload)
		if len(got) == n {
			close(all)
		}
		mu.Unlock()
	}, "slow")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = sub.Unsubscribe(uctx)
	}()
	for i := 0; i < n; i++ {
		if _, err := pub.Publish(ctx, "slow", strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ { // concurrent, so they use the shared pipeline
		go func() {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			_, err := c.Do(cctx, "PING")
			errs <- err
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Errorf("a command waited behind the slow handler: %v", err)
		}
	}
	select {
	case <-all:
	case <-time.After(15 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("handler got %d of %d messages", len(got), n)
	}
	for i, p := range got {
		if p != strconv.Itoa(i) {
			t.Fatalf("message %d = %q: out of order (%v)", i, p, got)
		}
	}
	if d := sub.Dropped(); d != 0 {
		t.Errorf("Dropped = %d", d)
	}
}

// TestHandlerMayUnsubscribeItselfAndCloseDoesNotHang proves Unsubscribe
// called from inside the handler returns (it used to wait for the loop,
// which waited for the handler) and that Client.Close then returns.
func TestHandlerMayUnsubscribeItselfAndCloseDoesNotHang(t *testing.T) {
	srv := startReal(t)
	pub := openAt(t, srv)
	// No Cleanup Close: a hung Close would make a second one hang too.
	c, err := redis.Open(ctxT(t), redis.Config{Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	var sp atomic.Pointer[redis.Subscription]
	returned := make(chan error, 1)
	var once sync.Once
	sub, err := c.Subscribe(ctx, func(m redis.Message) {
		once.Do(func() { returned <- sp.Load().Unsubscribe(context.Background()) })
	}, "self-unsub")
	if err != nil {
		t.Fatal(err)
	}
	sp.Store(sub)
	publishEventually(t, pub, "self-unsub", "bye")
	select {
	case err := <-returned:
		if err != nil {
			t.Errorf("Unsubscribe from the handler: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Unsubscribe called from the handler did not return within 2s")
	}
	select {
	case <-sub.Done():
	case <-time.After(2 * time.Second):
		t.Error("Done not closed after Unsubscribe")
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung after a handler unsubscribed itself")
	}
}

// TestUnsubscribingOneSubscriptionLeavesAnotherOnTheSameChannel proves
// Unsubscribe of one Subscription does not end another Subscription of
// the same Client on the same channel (rueidis ends every local
// subscriber of a channel on UNSUBSCRIBE), and that the last one's
// Unsubscribe still unsubscribes on the server.
func TestUnsubscribingOneSubscriptionLeavesAnotherOnTheSameChannel(t *testing.T) {
	srv := startReal(t)
	c := openAt(t, srv)
	ctx := ctxT(t)
	const ch = "shared-chan"
	a, err := c.Subscribe(ctx, nil, ch)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Subscribe(ctx, nil, ch)
	if err != nil {
		t.Fatal(err)
	}
	col := newCollector()
	p, err := c.PSubscribe(ctx, col.handle, "shared-*")
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.PSubscribe(ctx, col.handle, "shared-*")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // an UNSUBSCRIBE would have landed by now
	if _, err := c.Publish(ctx, ch, "hello"); err != nil {
		t.Fatal(err)
	}
	select {
	case m, ok := <-b.Messages():
		if !ok {
			t.Fatal("B's channel closed although only A unsubscribed")
		}
		if m.Payload != "hello" {
			t.Errorf("B got %+v", m)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("B received nothing after A unsubscribed")
	}
	col.waitFor(t, func(m redis.Message) bool { return m.Payload == "hello" }, 2*time.Second)
	select {
	case <-b.Done():
		t.Fatal("B ended")
	default:
	}
	// The last holders' Unsubscribe does unsubscribe on the server.
	if err := b.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Publish(ctx, ch, "nobody"); err != nil || n != 0 {
		t.Errorf("Publish after every Unsubscribe reached %d subscribers, %v", n, err)
	}
}
