package redis_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

// downClient opens a client on a dedicated real server, proves it works,
// then kills the server and waits until the client has noticed.
func downClient(t *testing.T, mutate ...func(*redis.Config)) *redis.Client {
	t.Helper()
	srv := startReal(t)
	c := openAt(t, srv, mutate...)
	require.NoError(t, c.Set(ctxT(t), "k", "v"))
	srv.Kill()
	require.Eventually(t, func() bool { return !c.State().Connected }, 5*time.Second, 10*time.Millisecond,
		"the client never noticed the killed server")
	return c
}

func TestCommandTimeoutBoundsADeadlineFreeCallWhileRedisIsDown(t *testing.T) {
	c := downClient(t, func(cfg *redis.Config) { cfg.CommandTimeout = 300 * time.Millisecond })
	for i := range 3 {
		start := time.Now()
		_, err := c.Get(context.Background(), "k")
		took := time.Since(start)
		require.Error(t, err, "call %d", i)
		assert.True(t, arsenal.IsCode(err, arsenal.Unavailable), "call %d: %v; want Unavailable", i, err)
		assert.ErrorIs(t, err, redis.ErrDisconnected)
		assert.GreaterOrEqual(t, took, 250*time.Millisecond, "call %d returned before CommandTimeout", i)
		// The offline queue alone would hold the call for its ~11 s of
		// reconnect attempts; the margin is for a loaded machine, as in
		// the default-timeout test below.
		assert.Less(t, took, 300*time.Millisecond+2*time.Second, "call %d waited past CommandTimeout", i)
	}
}

func TestTheDefaultCommandTimeoutEndsAWaitWellBeforeTheOfflineQueueGivesUp(t *testing.T) {
	c := downClient(t)
	require.Equal(t, 5*time.Second, redis.DefaultCommandTimeout)
	start := time.Now()
	_, err := c.Get(context.Background(), "k")
	took := time.Since(start)
	assert.True(t, arsenal.IsCode(err, arsenal.Unavailable), "%v; want Unavailable", err)
	assert.GreaterOrEqual(t, took, redis.DefaultCommandTimeout-200*time.Millisecond)
	assert.Less(t, took, redis.DefaultCommandTimeout+2*time.Second, "a deadline-free call waited past the default CommandTimeout")
}

func TestAContextDeadlineOverridesCommandTimeout(t *testing.T) {
	c := downClient(t, func(cfg *redis.Config) { cfg.CommandTimeout = 10 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, "k")
	assert.True(t, arsenal.IsCode(err, arsenal.DeadlineExceeded), "%v; want DeadlineExceeded", err)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestFailFastCacheSettingFailsAtOnceWhileRedisIsDown(t *testing.T) {
	// The setting the package doc recommends for a cache in front of a
	// database: fail at once while Redis is down, and bound every call.
	c := downClient(t, func(cfg *redis.Config) {
		cfg.DisableOfflineQueue = true
		cfg.CommandTimeout = 250 * time.Millisecond
	})
	start := time.Now()
	_, err := c.Get(context.Background(), "k")
	assert.True(t, arsenal.IsCode(err, arsenal.Unavailable), "%v; want Unavailable", err)
	assert.Less(t, time.Since(start), 100*time.Millisecond, "the fail-fast setting waited")
}

func TestCommandTimeoutBoundsACallToAServerThatStopsAnswering(t *testing.T) {
	srv := startReal(t)
	c := openAt(t, srv, func(cfg *redis.Config) { cfg.CommandTimeout = 300 * time.Millisecond })
	// CLIENT PAUSE holds every client's commands on the server; a
	// deadline-free Get must end at CommandTimeout, as DeadlineExceeded.
	_, err := c.Do(ctxT(t), "CLIENT", "PAUSE", "2000", "ALL")
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Get(context.Background(), "k")
	took := time.Since(start)
	assert.True(t, arsenal.IsCode(err, arsenal.DeadlineExceeded), "%v; want DeadlineExceeded", err)
	assert.Less(t, took, 1500*time.Millisecond)
}

func TestEveryCallIsCountedAlsoThoseRefusedWhileDisconnected(t *testing.T) {
	c := downClient(t, func(cfg *redis.Config) { cfg.DisableOfflineQueue = true })
	before := c.Stats().Ops["get"]
	for range 3 {
		_, err := c.Get(context.Background(), "k")
		require.Error(t, err)
	}
	got := c.Stats().Ops["get"]
	assert.Equal(t, before.Count+3, got.Count, "calls refused at the gate are not counted")
	assert.Equal(t, before.Errors+3, got.Errors, "errors of calls refused at the gate are not counted")
}

func TestEveryCallIsCountedAlsoThoseFailingValidation(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	require.Error(t, c.SetEx(ctx, "k", "v", 0))
	_, err := c.SetWith(ctx, "k", "v", redis.SetOptions{NX: true, XX: true})
	require.Error(t, err)
	_, err = c.HSet(ctx, "h", "odd")
	require.Error(t, err)
	_, err = c.Do(ctx)
	require.Error(t, err)
	ops := c.Stats().Ops
	for _, name := range []string{"setex", "set", "hset", "do"} {
		assert.Equal(t, uint64(1), ops[name].Count, "%s: validation failure not counted", name)
		assert.Equal(t, uint64(1), ops[name].Errors, "%s: validation failure not counted as an error", name)
	}
}

func TestBytesValuesAndOneLineExpiry(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	bin := []byte{0, 1, 2, 0xff, '\r', '\n', 0x80}
	require.NoError(t, c.SetBytes(ctx, p+"b", bin))
	got, err := c.GetBytes(ctx, p+"b")
	require.NoError(t, err)
	assert.Equal(t, bin, got)

	require.NoError(t, c.SetExBytes(ctx, p+"bx", bin, time.Minute))
	got, err = c.GetBytes(ctx, p+"bx")
	require.NoError(t, err)
	assert.Equal(t, bin, got)
	ttl, err := c.TTL(ctx, p+"bx")
	require.NoError(t, err)
	assert.InDelta(t, time.Minute.Seconds(), ttl.Seconds(), 2)

	// A sub-second TTL goes out as PSETEX, with millisecond precision.
	require.NoError(t, c.SetEx(ctx, p+"short", "v", 1500*time.Millisecond))
	pttl, err := c.PTTL(ctx, p+"short")
	require.NoError(t, err)
	assert.Greater(t, pttl, time.Second)
	assert.LessOrEqual(t, pttl, 1500*time.Millisecond)

	require.NoError(t, c.SetEx(ctx, p+"tiny", "v", 80*time.Millisecond))
	require.Eventually(t, func() bool {
		_, err := c.Get(ctx, p+"tiny")
		return redis.IsNotFound(err)
	}, 3*time.Second, 20*time.Millisecond, "an 80 ms TTL did not expire the key")

	res, err := c.SetWith(ctx, p+"opt", "v", redis.SetOptions{TTL: 250 * time.Millisecond, NX: true})
	require.NoError(t, err)
	assert.True(t, res.Set)
	pttl, err = c.PTTL(ctx, p+"opt")
	require.NoError(t, err)
	assert.Greater(t, pttl, time.Duration(0))
	assert.LessOrEqual(t, pttl, 250*time.Millisecond)

	pl := c.Pipeline()
	pl.SetBytes(p+"pb", bin)
	fb := pl.Get(p + "pb")
	require.NoError(t, pl.Exec(ctx))
	s, err := fb.Result()
	require.NoError(t, err)
	assert.Equal(t, string(bin), s)

	err = c.SetEx(ctx, p+"bad", "v", 500*time.Microsecond)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v; want InvalidArgument", err)
	_, err = c.SetWith(ctx, p+"bad", "v", redis.SetOptions{TTL: time.Second, EX: time.Second})
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v; want InvalidArgument", err)
}

func TestOpenFailureThroughTheRegistryGivesANilComponent(t *testing.T) {
	ctx := ctxT(t)
	for _, raw := range []string{
		"redis://127.0.0.1:1/0?connect_timeout=200ms",           // nothing listens
		"redis://127.0.0.1:1/0?connect_timeout=-1s",             // validation
		"redis://127.0.0.1:1/0?mode=cluster&connect_timeout=1s", // no server either
	} {
		c, err := arsenal.Open(ctx, raw)
		require.Error(t, err, raw)
		assert.Nil(t, c, "%s: a failed Open returned a non-nil Component", raw)
		if c != nil {
			assert.NotPanics(t, func() { _ = c.Close() })
		}
	}
}

func TestValidateRejectsHostsOutsidePrintableASCII(t *testing.T) {
	for _, host := range []string{
		"127.0.0.1\u202e", "exa\u202emple.com", "ex\u0430mple.com", "caf\u00e9.example", "a\x00b", "host with space",
	} {
		err := redis.Config{Addrs: []string{host + ":6379"}}.Validate()
		require.Error(t, err, "%q", host)
		assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%q: %v", host, err)
		assert.NotContains(t, err.Error(), "\u202e", "the error echoes a bidirectional override")
		err = redis.Config{ReplicaAddrs: []string{host + ":6379"}}.Validate()
		assert.Error(t, err, "ReplicaAddrs %q", host)
	}
	raw := "redis://" + url.PathEscape("exa\u202emple.com") + ":6379"
	_, err := arsenal.Open(ctxT(t), raw)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%s: %v", raw, err)
	for _, ok := range []string{"localhost:6379", "127.0.0.1:1", "[::1]:6379", "redis-1.example.com:6380", "xn--caf-dma.example:1"} {
		assert.NoError(t, redis.Config{Addrs: []string{ok}}.Validate(), ok)
	}
}

func TestALeastPrivilegeACLUserOpensWithoutTheClientSideCache(t *testing.T) {
	srv := startReal(t, "--user", "app", "on", ">app-pw", "~*", "&*", "+@all", "-client")
	c := openAt(t, srv, func(cfg *redis.Config) { cfg.Username, cfg.Password = "app", security.NewSecret("app-pw") })
	on, why := c.CacheInfo()
	assert.False(t, on)
	assert.Contains(t, why, "client|tracking", "the reason does not name the refused command")
	ctx := ctxT(t)
	require.NoError(t, c.Set(ctx, "k", "v"))
	v, err := c.CachedGet(ctx, "k", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	// Pub/sub still works over the RESP3 connection.
	got := make(chan string, 1)
	sub, err := c.Subscribe(ctx, func(m redis.Message) { got <- m.Payload }, "ch")
	require.NoError(t, err)
	defer sub.Unsubscribe(ctx)
	_, err = c.Publish(ctx, "ch", "hello")
	require.NoError(t, err)
	select {
	case p := <-got:
		assert.Equal(t, "hello", p)
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	// A command the ACL denies is PermissionDenied, naming it.
	_, err = c.Do(ctx, "CLIENT", "ID")
	assert.True(t, arsenal.IsCode(err, arsenal.PermissionDenied), "%v", err)
	assert.True(t, strings.Contains(err.Error(), "client|id"), "%v", err)
	assert.False(t, errors.Is(err, redis.ErrDisconnected))
}
