package redis_test

import (
	"encoding/json"
	"log/slog"
	"math"
	"net"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/stats"
)

type stringerArg struct{ s string }

func (s stringerArg) String() string { return s.s }

// Do turns each argument type it accepts into the bytes Redis stores.
func TestDoArgumentTypesRoundTrip(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	k := prefix(t) + "k"
	for _, tc := range []struct {
		arg  any
		want string
	}{
		{[]byte("bytes"), "bytes"},
		{int64(-64), "-64"},
		{int32(32), "32"},
		{uint(7), "7"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{uint32(4294967295), "4294967295"},
		{1.25, "1.25"},
		{float32(0.5), "0.5"},
		{true, "1"},
		{false, "0"},
		{1500 * time.Millisecond, "1500"},
		{stringerArg{"stringer"}, "stringer"},
		{net.IPv4(10, 0, 0, 1), "10.0.0.1"},
	} {
		_, err := c.Do(ctx, "SET", k, tc.arg)
		require.NoError(t, err, "%T", tc.arg)
		v, err := c.Get(ctx, k)
		require.NoError(t, err)
		assert.Equal(t, tc.want, v, "%T", tc.arg)
	}

	for _, bad := range [][]any{
		{},
		{"SET", k, nil},
		{"SET", k, struct{}{}},
		{""},
		{"subscribe", "ch"},
		{"client", "tracking", "on"},
		{"SELECT", 1},
	} {
		_, err := c.Do(ctx, bad...)
		assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "Do(%v): %v", bad, err)
	}

	// XREAD ... BLOCK goes to the blocking pool and times out as nil.
	r, err := c.Do(ctx, "XREAD", "BLOCK", 50, "STREAMS", prefix(t)+"stream", "$")
	require.NoError(t, err)
	assert.True(t, r.IsNil())
}

func TestReplyAccessors(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)

	r, err := c.Do(ctx, "INCRBYFLOAT", p+"f", "2.5")
	require.NoError(t, err)
	f, err := r.Float64()
	require.NoError(t, err)
	assert.InDelta(t, 2.5, f, 1e-9)

	r, err = c.Do(ctx, "INCR", p+"n")
	require.NoError(t, err)
	s, err := r.String()
	require.NoError(t, err)
	assert.Equal(t, "1", s, "an integer reply as a string")

	r, err = c.Do(ctx, "EXISTS", p+"n")
	require.NoError(t, err)
	b, err := r.Bool()
	require.NoError(t, err)
	assert.True(t, b)

	_, err = c.RPush(ctx, p+"l", "a", "b")
	require.NoError(t, err)
	r, err = c.Do(ctx, "LRANGE", p+"l", 0, -1)
	require.NoError(t, err)
	ss, err := r.Strings()
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, ss)
	vals, err := r.Values()
	require.NoError(t, err)
	require.Len(t, vals, 2)
	s, err = vals[1].String()
	require.NoError(t, err)
	assert.Equal(t, "b", s)
	a, err := r.Any()
	require.NoError(t, err)
	assert.Equal(t, []any{"a", "b"}, a)

	_, err = c.HSet(ctx, p+"h", "f", "v")
	require.NoError(t, err)
	r, err = c.Do(ctx, "HGETALL", p+"h")
	require.NoError(t, err)
	m, err := r.StringMap()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"f": "v"}, m)

	r, err = c.Do(ctx, "GET", p+"missing")
	require.NoError(t, err)
	a, err = r.Any()
	require.NoError(t, err)
	assert.Nil(t, a)

	// A reply of the wrong shape converts to a coded error.
	r, err = c.Do(ctx, "GET", p+"n")
	require.NoError(t, err)
	_, err = r.Values()
	assert.True(t, arsenal.IsCode(err, arsenal.DataLoss), "Values of a string: %v", err)
	_, err = r.StringMap()
	assert.Error(t, err)
	r, err = c.Do(ctx, "LRANGE", p+"l", 0, -1)
	require.NoError(t, err)
	_, err = r.Float64()
	assert.Error(t, err)
}

func TestCachedReadsOfHashesAndSets(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	_, err := c.HSet(ctx, p+"h", "f", "v", "g", "w")
	require.NoError(t, err)
	_, err = c.SAdd(ctx, p+"s", "a", "b")
	require.NoError(t, err)

	before := c.ClientStats()
	for i := 0; i < 2; i++ {
		v, err := c.CachedHGet(ctx, p+"h", "f", time.Minute)
		require.NoError(t, err)
		assert.Equal(t, "v", v)
		all, err := c.CachedHGetAll(ctx, p+"h", time.Minute)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"f": "v", "g": "w"}, all)
		mem, err := c.CachedSMembers(ctx, p+"s", time.Minute)
		require.NoError(t, err)
		sort.Strings(mem)
		assert.Equal(t, []string{"a", "b"}, mem)
	}
	after := c.ClientStats()
	assert.GreaterOrEqual(t, after.CacheMisses-before.CacheMisses, uint64(3), "the first round goes to the server")
	assert.GreaterOrEqual(t, after.CacheHits-before.CacheHits, uint64(3), "the second round is served locally")

	// The server invalidates the entry when the key changes.
	_, err = c.HSet(ctx, p+"h", "f", "changed")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, err := c.CachedHGet(ctx, p+"h", "f", time.Minute)
		return err == nil && v == "changed"
	}, 10*time.Second, 5*time.Millisecond)

	_, err = c.CachedHGet(ctx, p+"h", "missing", time.Minute)
	assert.True(t, redis.IsNotFound(err), "a cached nil is NotFound: %v", err)
	_, err = c.CachedHGet(ctx, p+"h", "f", 0)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "ttl 0: %v", err)
	_, err = c.CachedMGet(ctx, -time.Second, p+"a")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "negative ttl: %v", err)

	// A cached read of the wrong type fails with the server's code.
	_, err = c.CachedSMembers(ctx, p+"h", time.Minute)
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "SMEMBERS of a hash: %v", err)
}

func TestStreamGroupAdministration(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	s := prefix(t) + "s"

	id1, err := c.XAdd(ctx, redis.XAddArgs{Stream: s, Values: []string{"n", "1"}})
	require.NoError(t, err)
	id2, err := c.XAdd(ctx, redis.XAddArgs{Stream: s, Values: []string{"n", "2"}})
	require.NoError(t, err)
	_, err = c.XAdd(ctx, redis.XAddArgs{Stream: s, Values: []string{"n", "3"}, MinID: id1, Approx: true})
	require.NoError(t, err)

	require.NoError(t, c.XGroupCreate(ctx, s, "g", "0", false))
	ok, err := c.XGroupCreateConsumer(ctx, s, "g", "alice")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = c.XGroupCreateConsumer(ctx, s, "g", "alice")
	require.NoError(t, err)
	assert.False(t, ok, "an existing consumer")

	got, err := c.XReadGroup(ctx, "g", "alice", redis.XReadArgs{Streams: []string{s}, IDs: []string{">"}, Count: 2})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Len(t, got[0].Messages, 2)
	assert.Equal(t, id1, got[0].Messages[0].ID)

	pending, err := c.XGroupDelConsumer(ctx, s, "g", "alice")
	require.NoError(t, err)
	assert.Equal(t, int64(2), pending)

	// SETID back to the start re-delivers everything to a new reader.
	require.NoError(t, c.XGroupSetID(ctx, s, "g", "0"))
	got, err = c.XReadGroup(ctx, "g", "bob", redis.XReadArgs{Streams: []string{s}, IDs: []string{">"}, NoAck: true})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Len(t, got[0].Messages, 3)

	page, err := c.XRange(ctx, s, "-", "+", 1)
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, id1, page[0].ID)
	rev, err := c.XRevRange(ctx, s, "+", "-", 2)
	require.NoError(t, err)
	require.Len(t, rev, 2)
	assert.Equal(t, id2, rev[1].ID)

	removed, err := c.XTrim(ctx, s, 0, id2, false)
	require.NoError(t, err)
	assert.Equal(t, int64(1), removed)
	removed, err = c.XTrim(ctx, s, 1, "", false)
	require.NoError(t, err)
	assert.Equal(t, int64(1), removed)
	n, err := c.XLen(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)

	ok, err = c.XGroupDestroy(ctx, s, "g")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = c.XGroupDestroy(ctx, s, "g")
	require.NoError(t, err)
	assert.False(t, ok)
	err = c.XGroupSetID(ctx, s, "g", "0")
	assert.True(t, redis.IsNotFound(err), "SETID of a missing group is NOGROUP: %v", err)

	// Refused before I/O.
	for name, err := range map[string]error{
		"XTrim without a bound": func() error { _, err := c.XTrim(ctx, s, 0, "", false); return err }(),
		"XTrim with both":       func() error { _, err := c.XTrim(ctx, s, 5, "0-1", true); return err }(),
		"XRead NoAck": func() error {
			_, err := c.XRead(ctx, redis.XReadArgs{Streams: []string{s}, IDs: []string{"0"}, NoAck: true})
			return err
		}(),
		"XRead without IDs":     func() error { _, err := c.XRead(ctx, redis.XReadArgs{Streams: []string{s}}); return err }(),
		"XReadGroup mismatched": func() error { _, err := c.XReadGroup(ctx, "g", "a", redis.XReadArgs{IDs: []string{">"}}); return err }(),
		"XClaim without IDs":    func() error { _, err := c.XClaim(ctx, s, "g", "a", time.Second); return err }(),
		"XAdd odd values":       func() error { _, err := c.XAdd(ctx, redis.XAddArgs{Stream: s, Values: []string{"f"}}); return err }(),
		"XAdd MaxLen and MinID": func() error {
			_, err := c.XAdd(ctx, redis.XAddArgs{Stream: s, Values: []string{"f", "v"}, MaxLen: 1, MinID: "0-1"})
			return err
		}(),
	} {
		assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%s: %v", name, err)
	}
}

func TestEventKindNamesAndListenerRemoval(t *testing.T) {
	for k, want := range map[redis.EventKind]string{
		redis.EventDisconnected: "disconnected",
		redis.EventReconnected:  "reconnected",
		redis.EventResubscribed: "resubscribed",
		redis.EventGaveUp:       "gave-up",
		redis.EventKind(99):     "unknown",
	} {
		assert.Equal(t, want, k.String())
	}

	srv := testenv.RequireRealRedis(t)
	c := openAt(t, srv, func(cfg *redis.Config) { cfg.ReconnectBackoffMin = 10 * time.Millisecond })
	kept := make(chan redis.Event, 16)
	removedCalls := make(chan redis.Event, 16)
	c.OnEvent(func(e redis.Event) { kept <- e })
	remove := c.OnEvent(func(e redis.Event) { removedCalls <- e })
	remove()

	srv.Kill()
	select {
	case e := <-kept:
		assert.Equal(t, redis.EventDisconnected, e.Kind)
	case <-time.After(15 * time.Second):
		t.Fatal("no disconnect event")
	}
	require.NoError(t, srv.Restart())
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-kept:
			if e.Kind != redis.EventReconnected {
				continue
			}
			assert.Empty(t, removedCalls, "a removed listener is not called")
			return
		case <-deadline:
			t.Fatal("no reconnect event")
		}
	}
}

func TestClientDescriptionsAndSettings(t *testing.T) {
	var nc *redis.Client
	assert.Equal(t, "redis.Client(nil)", nc.String())
	assert.Equal(t, "redis.Client(nil)", nc.LogValue().String())
	b, err := nc.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))

	c, srv := open(t, func(cfg *redis.Config) { cfg.PipelineConns = 4; cfg.MaxFlushDelay = -time.Second })
	assert.Equal(t, redis.PipelineSettings{Multiplex: 2, MaxFlushDelay: 0}, c.PipelineSettings())
	lv := c.LogValue()
	assert.Equal(t, slog.KindGroup, lv.Kind())
	b, err = json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"kind":"redis","target":"`+srv.Addr+`"}`, string(b))

	one := openAt(t, srv)
	assert.Equal(t, redis.PipelineSettings{Multiplex: -1}, one.PipelineSettings())

	rules := redis.DegradationRules()
	names := map[string]bool{}
	for _, r := range rules {
		names[r.Name] = true
	}
	assert.True(t, names["redis reconnects"])
	assert.True(t, names["redis pub/sub drops"])
	assert.Greater(t, len(rules), 2, "the common rules come along")
	var src stats.RuleSource = redis.ClientStats{}
	assert.Equal(t, rules, src.DegradationRules())

	on, why := openAt(t, srv, func(cfg *redis.Config) { cfg.DisableCache = true }).CacheInfo()
	assert.False(t, on)
	assert.Equal(t, "disabled by Config.DisableCache", why)
}

// A subscriber whose Messages channel is full loses newer messages, and
// counts them, rather than stalling the connection.
func TestSubscriptionDropsWhenMessagesChannelIsFull(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	ch := prefix(t) + "ch"
	sub, err := c.Subscribe(ctx, nil, ch)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Unsubscribe(ctxT(t)) })

	const sent = redis.DefaultMessageBuffer + 76
	pl := c.Pipeline()
	for i := 0; i < sent; i++ {
		pl.Publish(ch, "m")
	}
	require.NoError(t, pl.Exec(ctx))
	require.Eventually(t, func() bool { return sub.Received() == sent }, 20*time.Second, 5*time.Millisecond)
	assert.Equal(t, uint64(76), sub.Dropped())
	assert.GreaterOrEqual(t, c.ClientStats().PubSubDropped, uint64(76))
	assert.Len(t, sub.Messages(), redis.DefaultMessageBuffer)
}

// A subscription the server refuses (an ACL without the channel) fails
// with the server's code, not a disconnect.
func TestSubscribeRefusedByACL(t *testing.T) {
	srv := testenv.RequireRealRedis(t)
	reply, err := testenv.RedisCommand(srv.Addr, "ACL SETUSER limited on >pw ~* +@all resetchannels &allowed.*")
	require.NoError(t, err)
	require.Equal(t, "+OK", reply)
	c := openAt(t, srv, func(cfg *redis.Config) {
		cfg.Username = "limited"
		cfg.Password = security.NewSecret("pw")
	})
	ctx := ctxT(t)

	sub, err := c.Subscribe(ctx, nil, "allowed.1")
	require.NoError(t, err)
	require.NoError(t, sub.Unsubscribe(ctx))

	_, err = c.Subscribe(ctx, nil, "forbidden")
	assert.True(t, arsenal.IsCode(err, arsenal.PermissionDenied), "SUBSCRIBE refused by ACL: %v", err)
}
