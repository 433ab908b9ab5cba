package redis_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

func TestPipelineQueuesEveryTypedCommand(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)

	sub, err := c.Subscribe(ctx, nil, p+"ch")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Unsubscribe(ctxT(t)) })

	pl := c.Pipeline()
	assert.Equal(t, 0, pl.Len())
	hset := pl.HSet(p+"h", "f", "v", "n", "1")
	hget := pl.HGet(p+"h", "f")
	hmiss := pl.HGet(p+"h", "missing")
	hincr := pl.HIncrBy(p+"h", "n", 41)
	hall := pl.HGetAll(p + "h")
	rpush := pl.RPush(p+"l", "a", "b", "c")
	lrange := pl.LRange(p+"l", 0, -1)
	sadd := pl.SAdd(p+"s", "x", "y", "x")
	zadd := pl.ZAdd(p+"z", redis.Z{Member: "m", Score: 2.5})
	zscore := pl.ZScore(p+"z", "m")
	pub := pl.Publish(p+"ch", "hello")
	assert.Equal(t, 11, pl.Len())

	_, err = hget.Result()
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "a Future before Exec: %v", err)

	require.NoError(t, pl.Exec(ctx), "a nil reply is not a pipeline error")

	n, err := hset.Result()
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	v, err := hget.Result()
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	assert.True(t, redis.IsNotFound(hmiss.Err()), "HGET of a missing field: %v", hmiss.Err())
	assert.Equal(t, int64(42), hincr.Val())
	assert.Equal(t, map[string]string{"f": "v", "n": "42"}, hall.Val())
	assert.Equal(t, int64(3), rpush.Val())
	assert.Equal(t, []string{"a", "b", "c"}, lrange.Val())
	assert.Equal(t, int64(2), sadd.Val())
	assert.Equal(t, int64(1), zadd.Val())
	assert.InDelta(t, 2.5, zscore.Val(), 1e-9)
	require.NoError(t, pub.Err())
	assert.Equal(t, int64(1), pub.Val(), "the subscriber received the published message")

	select {
	case m := <-sub.Messages():
		assert.Equal(t, redis.Message{Channel: p + "ch", Payload: "hello"}, m)
	case <-ctx.Done():
		t.Fatal("no message")
	}
	assert.Equal(t, []string{p + "ch"}, sub.Channels())
	assert.Equal(t, uint64(1), sub.Received())

	err = pl.Exec(ctx)
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "a second Exec: %v", err)
}

func TestPipelineRefusesBadCommandsBeforeSending(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)

	pl := c.Pipeline()
	set := pl.Set(p+"k", "v")
	bad := pl.Do("SUBSCRIBE", "x")
	assert.True(t, arsenal.IsCode(bad.Err(), arsenal.InvalidArgument), "SUBSCRIBE through Pipeline.Do: %v", bad.Err())
	bad2 := pl.SetEx(p+"k2", "v", time.Microsecond)
	assert.True(t, arsenal.IsCode(bad2.Err(), arsenal.InvalidArgument))
	err := pl.Exec(ctx)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "Exec of a pipeline with a refused command: %v", err)
	assert.True(t, arsenal.IsCode(set.Err(), arsenal.InvalidArgument), "the valid command shares the refusal: %v", set.Err())
	_, err = c.Get(ctx, p+"k")
	assert.True(t, redis.IsNotFound(err), "nothing was sent: %v", err)

	assert.NoError(t, c.Pipeline().Exec(ctx), "an empty pipeline")

	// A server error in one command is that Future's error and Exec's first.
	require.NoError(t, c.Set(ctx, p+"str", "x"))
	pl = c.Pipeline()
	ok := pl.Incr(p + "n")
	wrong := pl.HGet(p+"str", "f")
	do := pl.Do("GET", p+"missing")
	err = pl.Exec(ctx)
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "WRONGTYPE: %v", err)
	assert.Equal(t, int64(1), ok.Val())
	assert.True(t, arsenal.IsCode(wrong.Err(), arsenal.FailedPrecondition))
	r, err := do.Result()
	require.NoError(t, err)
	assert.True(t, r.IsNil())
}

func TestTxPipelinedErrors(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)

	// fn's error: nothing is sent.
	boom := errors.New("boom")
	err := c.TxPipelined(ctx, func(pl *redis.Pipeline) error {
		pl.Set(p+"k", "v")
		return boom
	})
	assert.ErrorIs(t, err, boom)
	_, err = c.Get(ctx, p+"k")
	assert.True(t, redis.IsNotFound(err))

	// A command the server refuses while queueing aborts EXEC (EXECABORT):
	// the command's own error is reported and nothing runs.
	var set *redis.Future[struct{}]
	var arity *redis.Future[redis.Reply]
	err = c.TxPipelined(ctx, func(pl *redis.Pipeline) error {
		set = pl.Set(p+"k", "v")
		arity = pl.Do("GET")
		return nil
	})
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "EXECABORT: %v", err)
	assert.Error(t, set.Err())
	assert.True(t, arsenal.IsCode(arity.Err(), arsenal.InvalidArgument), "the wrong-arity command's error: %v", arity.Err())
	_, err = c.Get(ctx, p+"k")
	assert.True(t, redis.IsNotFound(err), "EXECABORT ran nothing: %v", err)

	// A runtime error inside EXEC fails that command only.
	require.NoError(t, c.Set(ctx, p+"str", "x"))
	var incr *redis.Future[int64]
	var after *redis.Future[struct{}]
	err = c.TxPipelined(ctx, func(pl *redis.Pipeline) error {
		incr = pl.Incr(p + "str")
		after = pl.Set(p+"after", "ran")
		return nil
	})
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "INCR of a string inside EXEC: %v", err)
	assert.True(t, arsenal.IsCode(incr.Err(), arsenal.InvalidArgument))
	assert.NoError(t, after.Err())
	v, err := c.Get(ctx, p+"after")
	require.NoError(t, err)
	assert.Equal(t, "ran", v)
}

func TestWatchTxDoAndValidation(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	require.NoError(t, c.Set(ctx, p+"k", "10"))
	require.NoError(t, c.Set(ctx, p+"str", "x"))

	err := c.Watch(ctx, func(tx *redis.Tx) error {
		r, err := tx.Do(ctx, "GET", p+"k")
		require.NoError(t, err)
		n, err := r.Int64()
		require.NoError(t, err)
		assert.Equal(t, int64(10), n)

		r, err = tx.Do(ctx, "GET", p+"missing")
		require.NoError(t, err)
		assert.True(t, r.IsNil())

		_, err = tx.Do(ctx, "HGET", p+"str", "f")
		assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "WRONGTYPE on the Tx connection: %v", err)
		_, err = tx.Do(ctx, "MULTI")
		assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "MULTI through Tx.Do: %v", err)

		return tx.Exec(ctx, func(pl *redis.Pipeline) error {
			pl.IncrBy(p+"k", n)
			return nil
		})
	}, p+"k")
	require.NoError(t, err)
	v, err := c.Get(ctx, p+"k")
	require.NoError(t, err)
	assert.Equal(t, "20", v)

	boom := errors.New("boom")
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		return tx.Exec(ctx, func(*redis.Pipeline) error { return boom })
	}, p+"k")
	assert.ErrorIs(t, err, boom)

	err = c.Watch(ctx, func(*redis.Tx) error { return nil })
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "Watch without keys: %v", err)
	err = c.WatchRetry(ctx, 0, func(*redis.Tx) error { return nil }, p+"k")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "WatchRetry with 0 attempts: %v", err)

	// Every attempt conflicts: WatchRetry returns the last Aborted.
	attempts := 0
	err = c.WatchRetry(ctx, 3, func(tx *redis.Tx) error {
		attempts++
		require.NoError(t, c.Set(ctx, p+"k", "changed"))
		return tx.Exec(ctx, func(pl *redis.Pipeline) error {
			pl.Set(p+"k", "mine")
			return nil
		})
	}, p+"k")
	assert.ErrorIs(t, err, redis.ErrTxAborted)
	assert.True(t, arsenal.IsCode(err, arsenal.Aborted))
	assert.Equal(t, 3, attempts)
}

func TestCallsAfterCloseFailClosed(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	require.NoError(t, c.Close())

	checks := map[string]error{}
	checks["TxPipelined"] = c.TxPipelined(ctx, func(pl *redis.Pipeline) error { pl.Set("k", "v"); return nil })
	checks["Watch"] = c.Watch(ctx, func(*redis.Tx) error { return nil }, "k")
	_, checks["CachedGet"] = c.CachedGet(ctx, "k", time.Minute)
	_, checks["CachedMGet"] = c.CachedMGet(ctx, time.Minute, "k")
	_, checks["Duplicate"] = c.Duplicate(ctx)
	_, checks["Subscribe"] = c.Subscribe(ctx, nil, "ch")
	_, checks["Select"] = c.Select(ctx, 1)
	checks["Pipeline"] = func() error { pl := c.Pipeline(); pl.Get("k"); return pl.Exec(ctx) }()
	for name, err := range checks {
		assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "%s after Close: %v", name, err)
		assert.ErrorIs(t, err, arsenal.ErrClosed, name)
	}
}
