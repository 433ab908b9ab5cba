package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// Client, Pipeline and transactions run the same command definitions:
// the same validation and the same reply parsing.
func TestClientPipelineAndTxShareEachCommandsDefinition(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)

	invalid := map[string]func() error{
		"client hset":  func() error { _, err := c.HSet(ctx, p+"h", "odd"); return err },
		"client setex": func() error { return c.SetEx(ctx, p+"s", "v", 0) },
		"client xadd": func() error {
			_, err := c.XAdd(ctx, redis.XAddArgs{Stream: p + "x", Values: []string{"f"}})
			return err
		},
		"client zadd": func() error { _, err := c.ZAdd(ctx, p+"z"); return err },
		"pipeline hset": func() error {
			pl := c.Pipeline()
			pl.HSet(p+"h", "odd")
			return pl.Exec(ctx)
		},
		"pipeline setex": func() error {
			pl := c.Pipeline()
			pl.SetEx(p+"s", "v", 0)
			return pl.Exec(ctx)
		},
		"pipeline xadd": func() error {
			pl := c.Pipeline()
			pl.XAdd(p+"x", "f")
			return pl.Exec(ctx)
		},
		"tx zadd": func() error {
			return c.TxPipelined(ctx, func(pl *redis.Pipeline) error { pl.ZAdd(p + "z"); return nil })
		},
	}
	for name, fn := range invalid {
		err := fn()
		assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%s: %v; want InvalidArgument", name, err)
	}
	n, err := c.Exists(ctx, p+"h", p+"s", p+"x", p+"z")
	require.NoError(t, err)
	assert.Zero(t, n, "an invalid command was sent")

	// The same commands give the same values on each path.
	require.NoError(t, c.SetEx(ctx, p+"a", "1", 1500*time.Millisecond))
	pl := c.Pipeline()
	pl.SetEx(p+"b", "1", 1500*time.Millisecond)
	fGet := pl.Get(p + "a")
	fMissing := pl.Get(p + "missing")
	fIncr := pl.IncrBy(p+"a", 4)
	require.NoError(t, pl.Exec(ctx))
	v, err := fGet.Result()
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	_, err = fMissing.Result()
	assert.True(t, redis.IsNotFound(err), "%v", err)
	got, err := fIncr.Result()
	require.NoError(t, err)
	assert.Equal(t, int64(5), got)
	pttl, err := c.PTTL(ctx, p+"b")
	require.NoError(t, err)
	assert.Greater(t, pttl, time.Second)

	err = c.Watch(ctx, func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, p+"a")
		if err != nil {
			return err
		}
		assert.Equal(t, "5", v)
		_, err = tx.Get(ctx, p+"missing")
		assert.True(t, redis.IsNotFound(err), "%v", err)
		return tx.Exec(ctx, func(pl *redis.Pipeline) error { pl.Incr(p + "a"); return nil })
	}, p+"a")
	require.NoError(t, err)
	v, err = c.Get(context.Background(), p+"a")
	require.NoError(t, err)
	assert.Equal(t, "6", v)
}
