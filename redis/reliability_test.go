package redis_test

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// The server is SIGKILLed under concurrent writers and restarted from its
// append-only file: every acknowledged write survives, outage errors are
// Unavailable, the client reconnects soon after the server accepts again,
// and subscribers receive what is published after the recovery.
func TestSIGKILLDuringConcurrentWritesLosesNoAcknowledgedWrite(t *testing.T) {
	srv := startReal(t, "--appendonly", "yes", "--appendfsync", "always")
	writer := openAt(t, srv, func(c *redis.Config) { c.DisableOfflineQueue = true })
	subscriber := openAt(t, srv)
	ctx := ctxT(t)

	col := newCollector()
	if _, err := subscriber.Subscribe(ctx, col.handle, "rel-ch"); err != nil {
		t.Fatal(err)
	}

	const writers = 16
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		acked    []string
		badCodes = map[arsenal.Code]int{}
		failures atomic.Int64
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				key := "rel:" + strconv.Itoa(w) + ":" + strconv.Itoa(i)
				cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := writer.Set(cctx, key, "v")
				cancel()
				mu.Lock()
				if err == nil {
					acked = append(acked, key)
				} else {
					failures.Add(1)
					if code := arsenal.CodeOf(err); code != arsenal.Unavailable {
						badCodes[code]++
					}
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(5 * time.Millisecond) // do not spin while the server is down
				}
			}
		}()
	}

	time.Sleep(300 * time.Millisecond)
	srv.Kill()
	time.Sleep(500 * time.Millisecond)

	// Restart in the background and note when the port accepts again.
	restarted := make(chan error, 1)
	go func() { restarted <- srv.Restart() }()
	var acceptAt time.Time
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if conn, err := net.DialTimeout("tcp", srv.Addr, 50*time.Millisecond); err == nil {
			conn.Close()
			acceptAt = time.Now()
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if acceptAt.IsZero() {
		t.Fatal("server never accepted connections after the restart")
	}
	var reconnectAt time.Time
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if writer.State().Connected {
			reconnectAt = time.Now()
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if reconnectAt.IsZero() {
		t.Fatal("client never reconnected")
	}
	if lag := reconnectAt.Sub(acceptAt); lag > time.Second {
		t.Errorf("client reconnected %s after the server accepted again; want within 1s", lag)
	} else {
		t.Logf("reconnected %s after the server accepted again", lag)
	}

	time.Sleep(300 * time.Millisecond) // writes after the recovery
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if failures.Load() == 0 {
		t.Error("no write failed: the outage was not observed")
	}
	for code, n := range badCodes {
		t.Errorf("%d outage errors coded %v; want Unavailable", n, code)
	}
	if len(acked) == 0 {
		t.Fatal("no acknowledged writes")
	}
	// Every acknowledged write is on the server.
	check := openAt(t, srv)
	for i := 0; i < len(acked); i += 500 {
		batch := acked[i:min(i+500, len(acked))]
		n, err := check.Exists(ctx, batch...)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(batch)) {
			vals, _ := check.MGet(ctx, batch...)
			for j, v := range vals {
				if !v.OK {
					t.Errorf("acknowledged write %s lost", batch[j])
				}
			}
		}
	}
	t.Logf("%d acknowledged writes verified, %d failed during the outage", len(acked), failures.Load())

	// Subscribers receive what is published after the recovery.
	publishEventually(t, writer, "rel-ch", "after-recovery")
	col.waitFor(t, func(m redis.Message) bool { return m.Payload == "after-recovery" }, 10*time.Second)
}

// A lone caller's calls skip the pipeline and run on pooled connections
// that sit unread while idle; after the server restarts, the first call of
// such a caller must not land on a connection the old server dropped.
func TestLoneCallerFirstCallAfterRestartSucceeds(t *testing.T) {
	srv := startReal(t)
	c := openAt(t, srv)
	ctx := ctxT(t)
	for i := 0; i < 3; i++ { // one caller at a time: the direct path
		if err := c.Set(ctx, "lone", "before"); err != nil {
			t.Fatal(err)
		}
	}
	before := c.State().Reconnects
	srv.Kill()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// Wait, without calling, until the client has noticed the drop and
	// reconnected on its own.
	for deadline := time.Now().Add(20 * time.Second); c.State().Reconnects == before; {
		if time.Now().After(deadline) {
			t.Fatal("the client did not reconnect within 20s of the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let the reconnection settle
	if err := c.Set(ctx, "lone", "after"); err != nil {
		t.Fatalf("first call after the restart: %v", err)
	}
	if v, err := c.Get(ctx, "lone"); err != nil || v != "after" {
		t.Fatalf("Get = %q, %v; want after", v, err)
	}
}
