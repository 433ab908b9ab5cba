package redis_test

import (
	"errors"
	"testing"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// TestGenericErrReplies: rueidis removes "ERR " from an error reply's
// text, so a generic error whose text starts with an upper-case word
// ("ERR DUMP payload ...", "ERR RANK can't be zero ...") read like a typed
// error of an unknown type and was coded Unknown. Each path a reply comes
// back by — a command, Do, a pipeline, a transaction — codes it
// InvalidArgument, with the server's text and the rueidis error kept.
func TestGenericErrReplies(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	require.NoError(t, c.Set(ctx, p+"s", "v"))
	_, err := c.Do(ctx, "RPUSH", p+"l", "a", "b")
	require.NoError(t, err)

	check := func(t *testing.T, err error, text string) {
		t.Helper()
		require.Error(t, err)
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "%v", err)
		assert.Contains(t, err.Error(), text)
		var re *rueidis.RedisError
		assert.True(t, errors.As(err, &re), "the rueidis error stays reachable: %#v", err)
		assert.False(t, arsenal.Classify(err).Retryable, "an invalid argument is not retried")
	}

	t.Run("command", func(t *testing.T) {
		check(t, c.Restore(ctx, p+"bad", 0, []byte("not a dump"), false), "DUMP payload")
	})
	t.Run("Do", func(t *testing.T) {
		_, err := c.Do(ctx, "LPOS", p+"l", "a", "RANK", "0")
		check(t, err, "RANK can't be zero")
	})
	t.Run("pipeline", func(t *testing.T) {
		pl := c.Pipeline()
		ok := pl.Get(p + "s")
		bad := pl.Do("LPOS", p+"l", "a", "RANK", "0")
		check(t, pl.Exec(ctx), "RANK can't be zero")
		v, err := ok.Result()
		require.NoError(t, err)
		assert.Equal(t, "v", v)
		check(t, bad.Err(), "RANK can't be zero")
	})
	t.Run("transaction", func(t *testing.T) {
		var bad *redis.Future[redis.Reply]
		err := c.TxPipelined(ctx, func(pl *redis.Pipeline) error {
			bad = pl.Do("LPOS", p+"l", "a", "RANK", "0")
			return nil
		})
		check(t, err, "RANK can't be zero")
		check(t, bad.Err(), "RANK can't be zero")
	})
	t.Run("typed errors keep their codes", func(t *testing.T) {
		_, err := c.Do(ctx, "LPUSH", p+"s", "x")
		require.Error(t, err)
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "WRONGTYPE: %v", err)
	})
}
