package redis_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
)

func TestStringWritesRoundTrip(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)

	require.NoError(t, c.PSetEx(ctx, p+"ps", "v", 90*time.Second))
	v, err := c.Get(ctx, p+"ps")
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	pttl, err := c.PTTL(ctx, p+"ps")
	require.NoError(t, err)
	assert.Greater(t, pttl, time.Duration(0))
	assert.LessOrEqual(t, pttl, 90*time.Second)
	err = c.PSetEx(ctx, p+"ps", "v", time.Microsecond)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "PSetEx below 1ms: %v", err)

	require.NoError(t, c.Set(ctx, p+"range", "Hello World"))
	n, err := c.SetRange(ctx, p+"range", 6, "Redis")
	require.NoError(t, err)
	assert.Equal(t, int64(11), n)
	v, err = c.Get(ctx, p+"range")
	require.NoError(t, err)
	assert.Equal(t, "Hello Redis", v)

	require.NoError(t, c.Set(ctx, p+"n", "10"))
	d, err := c.Decr(ctx, p+"n")
	require.NoError(t, err)
	assert.Equal(t, int64(9), d)
	_, err = c.Decr(ctx, p+"range")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "DECR of a non-integer: %v", err)

	ok, err := c.MSetNX(ctx, p+"a", "1", p+"b", "2")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = c.MSetNX(ctx, p+"b", "3", p+"c", "4")
	require.NoError(t, err)
	assert.False(t, ok, "MSETNX with an existing key sets nothing")
	_, err = c.Get(ctx, p+"c")
	assert.True(t, redis.IsNotFound(err), "c must not exist: %v", err)
	v, err = c.Get(ctx, p+"b")
	require.NoError(t, err)
	assert.Equal(t, "2", v)
	_, err = c.MSetNX(ctx, p+"a")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "MSetNX odd arguments: %v", err)

	err = c.MSet(ctx, p+"a", "1", p+"b")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "MSet odd arguments: %v", err)
	vals, err := c.MGet(ctx)
	require.NoError(t, err)
	assert.Nil(t, vals)

	n, err = c.Touch(ctx, p+"a", p+"b", p+"missing")
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	n, err = c.Touch(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)

	_, err = c.SetBit(ctx, p+"bits", 3, 2)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "SetBit value 2: %v", err)
	old, err := c.SetBit(ctx, p+"bits", 3, 1)
	require.NoError(t, err)
	assert.Zero(t, old)
	bit, err := c.GetBit(ctx, p+"bits", 3)
	require.NoError(t, err)
	assert.Equal(t, int64(1), bit)
}

func TestGetExChangesTTL(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	k := prefix(t) + "k"
	require.NoError(t, c.Set(ctx, k, "v"))

	v, err := c.GetEx(ctx, k, redis.GetExOptions{EX: 100 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	ttl, err := c.TTL(ctx, k)
	require.NoError(t, err)
	assert.Greater(t, ttl, 90*time.Second)
	assert.LessOrEqual(t, ttl, 100*time.Second)

	v, err = c.GetEx(ctx, k, redis.GetExOptions{Persist: true})
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	ttl, err = c.TTL(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, redis.NoExpiry, ttl)

	_, err = c.GetEx(ctx, k, redis.GetExOptions{PX: 200 * time.Second})
	require.NoError(t, err)
	pttl, err := c.PTTL(ctx, k)
	require.NoError(t, err)
	assert.Greater(t, pttl, 100*time.Second)
	assert.LessOrEqual(t, pttl, 200*time.Second)

	at := time.Now().Add(time.Hour).Truncate(time.Second)
	_, err = c.GetEx(ctx, k, redis.GetExOptions{EXAT: at})
	require.NoError(t, err)
	et, err := c.ExpireTime(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, at.Unix(), et.Unix())

	pat := time.Now().Add(2 * time.Hour).Truncate(time.Millisecond)
	_, err = c.GetEx(ctx, k, redis.GetExOptions{PXAT: pat})
	require.NoError(t, err)
	pet, err := c.PExpireTime(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, pat.UnixMilli(), pet.UnixMilli())

	_, err = c.GetEx(ctx, k, redis.GetExOptions{EX: time.Minute, Persist: true})
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "two GETEX options: %v", err)

	_, err = c.GetEx(ctx, prefix(t)+"missing", redis.GetExOptions{})
	assert.True(t, redis.IsNotFound(err), "GETEX of a missing key: %v", err)
}

func TestExpiryCommands(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	k := p + "k"
	require.NoError(t, c.Set(ctx, k, "v"))

	// No expiry yet: ExpireTime is the zero Time; a missing key NotFound.
	et, err := c.ExpireTime(ctx, k)
	require.NoError(t, err)
	assert.True(t, et.IsZero(), "ExpireTime without a TTL = %v", et)
	_, err = c.ExpireTime(ctx, p+"missing")
	assert.True(t, redis.IsNotFound(err), "ExpireTime of a missing key: %v", err)
	_, err = c.PExpireTime(ctx, p+"missing")
	assert.True(t, redis.IsNotFound(err), "PExpireTime of a missing key: %v", err)

	ok, err := c.PExpire(ctx, k, 90*time.Second)
	require.NoError(t, err)
	assert.True(t, ok)
	pttl, err := c.PTTL(ctx, k)
	require.NoError(t, err)
	assert.Greater(t, pttl, 80*time.Second)
	ok, err = c.PExpire(ctx, p+"missing", time.Second)
	require.NoError(t, err)
	assert.False(t, ok)

	// A sub-second Expire goes out as PEXPIRE.
	ok, err = c.Expire(ctx, k, 70*time.Second+500*time.Millisecond)
	require.NoError(t, err)
	assert.True(t, ok)
	pttl, err = c.PTTL(ctx, k)
	require.NoError(t, err)
	assert.Greater(t, pttl, 60*time.Second)
	assert.LessOrEqual(t, pttl, 70*time.Second+500*time.Millisecond)

	at := time.Now().Add(time.Hour).Truncate(time.Second)
	ok, err = c.ExpireAt(ctx, k, at)
	require.NoError(t, err)
	assert.True(t, ok)
	et, err = c.ExpireTime(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, at.Unix(), et.Unix())

	pat := time.Now().Add(time.Hour).Add(123 * time.Millisecond).Truncate(time.Millisecond)
	ok, err = c.PExpireAt(ctx, k, pat)
	require.NoError(t, err)
	assert.True(t, ok)
	pet, err := c.PExpireTime(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, pat.UnixMilli(), pet.UnixMilli())
	ok, err = c.ExpireAt(ctx, p+"missing", at)
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = c.PExpireAt(ctx, p+"missing", pat)
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestDumpRestoreCopyRename(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	require.NoError(t, c.Set(ctx, p+"src", "payload"))

	dump, err := c.Dump(ctx, p+"src")
	require.NoError(t, err)
	require.NotEmpty(t, dump)
	_, err = c.Dump(ctx, p+"missing")
	assert.True(t, redis.IsNotFound(err), "Dump of a missing key: %v", err)

	require.NoError(t, c.Restore(ctx, p+"dst", 0, dump, false))
	v, err := c.Get(ctx, p+"dst")
	require.NoError(t, err)
	assert.Equal(t, "payload", v)
	ttl, err := c.TTL(ctx, p+"dst")
	require.NoError(t, err)
	assert.Equal(t, redis.NoExpiry, ttl)

	err = c.Restore(ctx, p+"dst", 0, dump, false)
	assert.True(t, arsenal.IsCode(err, arsenal.AlreadyExists), "RESTORE onto an existing key is BUSYKEY: %v", err)
	require.NoError(t, c.Set(ctx, p+"dst", "other"))
	require.NoError(t, c.Restore(ctx, p+"dst", time.Minute, dump, true))
	v, err = c.Get(ctx, p+"dst")
	require.NoError(t, err)
	assert.Equal(t, "payload", v)
	ttl, err = c.TTL(ctx, p+"dst")
	require.NoError(t, err)
	assert.Greater(t, ttl, time.Duration(0))

	err = c.Restore(ctx, p+"bad", 0, []byte("not a dump"), false)
	assert.Error(t, err, "RESTORE of garbage")
	_, err = c.Get(ctx, p+"bad")
	assert.True(t, redis.IsNotFound(err), "a refused RESTORE creates no key: %v", err)

	require.NoError(t, c.Set(ctx, p+"copy", "old"))
	ok, err := c.Copy(ctx, p+"src", p+"copy", false)
	require.NoError(t, err)
	assert.False(t, ok, "COPY without REPLACE onto an existing key")
	ok, err = c.Copy(ctx, p+"src", p+"copy", true)
	require.NoError(t, err)
	assert.True(t, ok)
	v, err = c.Get(ctx, p+"copy")
	require.NoError(t, err)
	assert.Equal(t, "payload", v)

	ok, err = c.RenameNX(ctx, p+"copy", p+"renamed")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = c.RenameNX(ctx, p+"renamed", p+"src")
	require.NoError(t, err)
	assert.False(t, ok, "RENAMENX onto an existing key")
	v, err = c.Get(ctx, p+"renamed")
	require.NoError(t, err)
	assert.Equal(t, "payload", v)
	_, err = c.RenameNX(ctx, p+"missing", p+"x")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "RENAMENX of a missing key: %v", err)
}

// The keyspace-wide commands run on a server of their own.
func TestKeyspaceCommandsOnPrivateServer(t *testing.T) {
	srv := testenv.RequireRealRedis(t)
	c := openAt(t, srv)
	ctx := ctxT(t)

	n, err := c.DBSize(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = c.RandomKey(ctx)
	assert.True(t, redis.IsNotFound(err), "RANDOMKEY of an empty database: %v", err)
	keys, err := c.Keys(ctx, "*")
	require.NoError(t, err)
	assert.Empty(t, keys)

	require.NoError(t, c.MSet(ctx, "user:1", "a", "user:2", "b", "order:1", "c"))
	n, err = c.DBSize(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	keys, err = c.Keys(ctx, "user:*")
	require.NoError(t, err)
	sort.Strings(keys)
	assert.Equal(t, []string{"user:1", "user:2"}, keys)
	rk, err := c.RandomKey(ctx)
	require.NoError(t, err)
	assert.Contains(t, []string{"user:1", "user:2", "order:1"}, rk)

	// ScanAll stops when the consumer stops.
	var got []string
	for k, err := range c.ScanAll(ctx, redis.ScanOptions{Count: 1}) {
		require.NoError(t, err)
		got = append(got, k)
		if len(got) == 2 {
			break
		}
	}
	assert.Len(t, got, 2)

	require.NoError(t, c.FlushDB(ctx))
	n, err = c.DBSize(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// ScanAll checks its context between pages: a cancellation ends the
// iteration with a Canceled error rather than another round trip.
func TestScanAllStopsOnCancelBetweenPages(t *testing.T) {
	srv := testenv.RequireRealRedis(t)
	c := openAt(t, srv)
	ctx := ctxT(t)
	pairs := make([]string, 0, 200)
	for i := 0; i < 100; i++ {
		pairs = append(pairs, "k"+itoa(i), "v")
	}
	require.NoError(t, c.MSet(ctx, pairs...))

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var items int
	var last error
	for _, err := range c.ScanAll(sctx, redis.ScanOptions{Count: 1}) {
		if err != nil {
			last = err
			continue
		}
		items++
		cancel()
	}
	require.Error(t, last)
	assert.True(t, arsenal.IsCode(last, arsenal.Canceled), "ScanAll after cancel: %v", last)
	assert.Less(t, items, 100, "the iteration stopped early")
}
