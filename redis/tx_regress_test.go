package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// TestWatchUnwatchesWhenFnEndsWithoutExec proves Watch leaves no WATCH on
// the pooled dedicated connection when fn returns nil without calling
// Exec, or panics: the next Watch (on the same connection, a different
// key) must not abort because a key watched earlier changed.
func TestWatchUnwatchesWhenFnEndsWithoutExec(t *testing.T) {
	c, _ := open(t)
	other, _ := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := prefix(t)

	endings := map[string]func(tx *redis.Tx) error{
		"nil-without-exec": func(tx *redis.Tx) error {
			_, err := tx.Get(ctx, p+"w1")
			if redis.IsNotFound(err) {
				err = nil
			}
			return err // decided there is nothing to write
		},
		"panic": func(tx *redis.Tx) error {
			_, _ = tx.Get(ctx, p+"w1")
			panic("fn panicked")
		},
	}
	for name, fn := range endings {
		t.Run(name, func(t *testing.T) {
			func() {
				defer func() { _ = recover() }()
				if err := c.Watch(ctx, fn, p+"w1"); err != nil {
					t.Fatalf("first Watch: %v", err)
				}
			}()
			// Change the key the first Watch watched.
			if err := other.Set(ctx, p+"w1", "changed-"+name); err != nil {
				t.Fatal(err)
			}
			err := c.Watch(ctx, func(tx *redis.Tx) error {
				return tx.Exec(ctx, func(pl *redis.Pipeline) error { pl.Set(p+"w2", "v"); return nil })
			}, p+"w2")
			if err != nil {
				t.Errorf("Watch on an untouched key after a %s Watch: %v", name, err)
			}
		})
	}
}

// checkCrossSlotRefused proves that, on a cluster, batches whose keys span
// slots fail with InvalidArgument (CROSSSLOT) instead of panicking inside
// rueidis: Pipeline.Del, a Pipeline mixing a keyless command with
// cross-slot keys, TxPipelined, Tx.Exec and Tx.Get/Do outside the watched
// slot. Same-slot transactions still work.
func checkCrossSlotRefused(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	a, b := "xs:a", "xs:b"
	for i := 0; redis.KeySlot(a) == redis.KeySlot(b); i++ {
		b = "xs:b" + itoa(i)
	}
	wantInvalid := func(what string, err error) {
		t.Helper()
		if !arsenal.IsCode(err, arsenal.InvalidArgument) {
			t.Errorf("%s: %v; want InvalidArgument (CROSSSLOT)", what, err)
		}
	}
	call := func(what string, f func() error) {
		t.Helper()
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked: %v", what, r)
					err = arsenal.Errorf(arsenal.InvalidArgument, "redis", "x", "panicked")
				}
			}()
			err = f()
		}()
		wantInvalid(what, err)
	}
	call("Pipeline.Del", func() error {
		pl := c.Pipeline()
		pl.Del(a, b)
		return pl.Exec(ctx)
	})
	call("Pipeline with PING and cross-slot keys", func() error {
		pl := c.Pipeline()
		pl.Do("PING")
		pl.Set(a, "1")
		pl.Set(b, "2")
		return pl.Exec(ctx)
	})
	call("TxPipelined", func() error {
		return c.TxPipelined(ctx, func(pl *redis.Pipeline) error {
			pl.Set(a, "1")
			pl.Set(b, "2")
			return nil
		})
	})
	call("Tx.Exec", func() error {
		return c.Watch(ctx, func(tx *redis.Tx) error {
			return tx.Exec(ctx, func(pl *redis.Pipeline) error { pl.Set(b, "2"); return nil })
		}, a)
	})
	call("Tx.Get", func() error {
		return c.Watch(ctx, func(tx *redis.Tx) error {
			_, err := tx.Get(ctx, b)
			return err
		}, a)
	})
	// A same-slot transaction still runs.
	if err := c.TxPipelined(ctx, func(pl *redis.Pipeline) error {
		pl.Set("{xs}1", "1")
		pl.Set("{xs}2", "2")
		return nil
	}); err != nil {
		t.Errorf("same-slot TxPipelined: %v", err)
	}
	if err := c.Watch(ctx, func(tx *redis.Tx) error {
		if _, err := tx.Get(ctx, "{xs}2"); err != nil {
			return err
		}
		return tx.Exec(ctx, func(pl *redis.Pipeline) error { pl.Set("{xs}2", "3"); return nil })
	}, "{xs}1"); err != nil {
		t.Errorf("same-slot Watch: %v", err)
	}
}
