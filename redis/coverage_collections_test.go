package redis_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
)

func TestHashCommandsRoundTrip(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	k := prefix(t) + "h"

	n, err := c.HSetMap(ctx, k, map[string]string{"b": "2", "a": "1"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	require.NoError(t, c.HMSet(ctx, k, "c", "3", "a", "10"))
	err = c.HMSet(ctx, k, "odd")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "HMSet odd arguments: %v", err)

	ok, err := c.HSetNX(ctx, k, "a", "x")
	require.NoError(t, err)
	assert.False(t, ok, "HSETNX of an existing field")
	ok, err = c.HSetNX(ctx, k, "d", "hello")
	require.NoError(t, err)
	assert.True(t, ok)

	keys, err := c.HKeys(ctx, k)
	require.NoError(t, err)
	sort.Strings(keys)
	assert.Equal(t, []string{"a", "b", "c", "d"}, keys)
	vals, err := c.HVals(ctx, k)
	require.NoError(t, err)
	sort.Strings(vals)
	assert.Equal(t, []string{"10", "2", "3", "hello"}, vals)

	f, err := c.HIncrByFloat(ctx, k, "b", 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 2.5, f, 1e-9)
	sl, err := c.HStrLen(ctx, k, "d")
	require.NoError(t, err)
	assert.Equal(t, int64(5), sl)
	sl, err = c.HStrLen(ctx, k, "missing")
	require.NoError(t, err)
	assert.Zero(t, sl)

	got := map[string]string{}
	var cur uint64
	for {
		page, err := c.HScan(ctx, k, cur, redis.ScanOptions{Match: "*", Count: 10, Type: "ignored"})
		require.NoError(t, err)
		require.Zero(t, len(page.Items)%2, "HSCAN items alternate field/value")
		for i := 0; i < len(page.Items); i += 2 {
			got[page.Items[i]] = page.Items[i+1]
		}
		if cur = page.Cursor; cur == 0 {
			break
		}
	}
	assert.Equal(t, map[string]string{"a": "10", "b": "2.5", "c": "3", "d": "hello"}, got)
}

func TestSetCommandsRoundTrip(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := "{" + prefix(t) + "}"

	_, err := c.SAdd(ctx, p+"s", "a", "b", "c", "d", "e")
	require.NoError(t, err)
	_, err = c.SAdd(ctx, p+"t", "b", "c", "z")
	require.NoError(t, err)

	n, err := c.SRem(ctx, p+"s", "e", "missing")
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)

	inter, err := c.SInter(ctx, p+"s", p+"t")
	require.NoError(t, err)
	sort.Strings(inter)
	assert.Equal(t, []string{"b", "c"}, inter)

	rnd, err := c.SRandMember(ctx, p+"s", 2)
	require.NoError(t, err)
	assert.Len(t, rnd, 2)
	for _, m := range rnd {
		assert.Contains(t, []string{"a", "b", "c", "d"}, m)
	}
	rnd, err = c.SRandMember(ctx, p+"s", -6)
	require.NoError(t, err)
	assert.Len(t, rnd, 6, "a negative count allows repeats")

	var members []string
	for m, err := range c.SScanAll(ctx, p+"s", redis.ScanOptions{Count: 2}) {
		require.NoError(t, err)
		members = append(members, m)
	}
	sort.Strings(members)
	assert.Equal(t, []string{"a", "b", "c", "d"}, members)

	ok, err := c.SMove(ctx, p+"s", p+"t", "a")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = c.SMove(ctx, p+"s", p+"t", "a")
	require.NoError(t, err)
	assert.False(t, ok, "SMOVE of a member no longer in src")

	popped, err := c.SPopN(ctx, p+"s", 10)
	require.NoError(t, err)
	sort.Strings(popped)
	assert.Equal(t, []string{"b", "c", "d"}, popped)
	card, err := c.SCard(ctx, p+"s")
	require.NoError(t, err)
	assert.Zero(t, card)
}

func TestListCommandsRoundTrip(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	k := p + "l"

	n, err := c.RPushX(ctx, k, "x")
	require.NoError(t, err)
	assert.Zero(t, n, "RPUSHX of a missing list")
	_, err = c.RPush(ctx, k, "a", "b", "a", "c", "a", "d", "e")
	require.NoError(t, err)
	n, err = c.RPushX(ctx, k, "f")
	require.NoError(t, err)
	assert.Equal(t, int64(8), n)

	removed, err := c.LRem(ctx, k, 2, "a")
	require.NoError(t, err)
	assert.Equal(t, int64(2), removed)
	l, err := c.LRange(ctx, k, 0, -1)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c", "a", "d", "e", "f"}, l)

	head, err := c.LPopN(ctx, k, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c"}, head)
	tail, err := c.RPopN(ctx, k, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"f", "e"}, tail)

	require.NoError(t, c.LTrim(ctx, k, 1, -1))
	l, err = c.LRange(ctx, k, 0, -1)
	require.NoError(t, err)
	assert.Equal(t, []string{"d"}, l)

	none, err := c.LPopN(ctx, p+"missing", 3)
	require.NoError(t, err)
	assert.Empty(t, none)
	none, err = c.RPopN(ctx, p+"missing", 3)
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestBRPopAndBlockingValidation(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := "{" + prefix(t) + "}"

	_, err := c.RPush(ctx, p+"b", "x", "y")
	require.NoError(t, err)
	kv, err := c.BRPop(ctx, time.Second, p+"a", p+"b")
	require.NoError(t, err)
	assert.Equal(t, redis.KeyValue{Key: p + "b", Value: "y"}, kv)

	_, err = c.BRPop(ctx, 100*time.Millisecond, p+"empty")
	assert.True(t, redis.IsNotFound(err), "BRPOP timing out: %v", err)

	_, err = c.BLPop(ctx, time.Second)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "BLPop without keys: %v", err)

	// A waiting BRPOP is woken by a push from another client.
	done := make(chan redis.KeyValue, 1)
	errc := make(chan error, 1)
	go func() {
		kv, err := c.BRPop(ctx, 0, p+"wake")
		if err != nil {
			errc <- err
			return
		}
		done <- kv
	}()
	require.Eventually(t, func() bool {
		r, err := c.Do(ctx, "CLIENT", "LIST")
		if err != nil {
			return false
		}
		s, _ := r.String()
		return strings.Contains(s, "cmd=brpop")
	}, 10*time.Second, 10*time.Millisecond)
	_, err = c.LPush(ctx, p+"wake", "w")
	require.NoError(t, err)
	select {
	case kv := <-done:
		assert.Equal(t, redis.KeyValue{Key: p + "wake", Value: "w"}, kv)
	case err := <-errc:
		t.Fatalf("BRPop: %v", err)
	case <-ctx.Done():
		t.Fatal("BRPop was not woken")
	}
}

func TestSortedSetCommandsRoundTrip(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := "{" + prefix(t) + "}"
	k := p + "z"

	_, err := c.ZAdd(ctx, k, redis.Z{Member: "a", Score: 1}, redis.Z{Member: "b", Score: 2},
		redis.Z{Member: "c", Score: 3}, redis.Z{Member: "d", Score: 4}, redis.Z{Member: "e", Score: 5})
	require.NoError(t, err)

	r, err := c.ZRevRangeByScore(ctx, k, "+inf", "2", redis.Limit{})
	require.NoError(t, err)
	assert.Equal(t, []string{"e", "d", "c", "b"}, r)
	r, err = c.ZRevRangeByScore(ctx, k, "+inf", "-inf", redis.Limit{Offset: 1, Count: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"d", "c"}, r)
	r, err = c.ZRangeByScore(ctx, k, "-inf", "+inf", redis.Limit{Offset: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"d", "e"}, r, "an Offset without Count means to the end")

	// Same-score members for the lexicographic commands.
	lk := p + "lex"
	_, err = c.ZAdd(ctx, lk, redis.Z{Member: "apple"}, redis.Z{Member: "banana"}, redis.Z{Member: "cherry"}, redis.Z{Member: "date"})
	require.NoError(t, err)
	n, err := c.ZLexCount(ctx, lk, "[b", "+")
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	r, err = c.ZRangeByLex(ctx, lk, "[b", "(d", redis.Limit{})
	require.NoError(t, err)
	assert.Equal(t, []string{"banana", "cherry"}, r)
	r, err = c.ZRevRangeByLex(ctx, lk, "+", "-", redis.Limit{Count: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"date", "cherry"}, r)
	n, err = c.ZRemRangeByLex(ctx, lk, "-", "(c")
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	r, err = c.ZRange(ctx, lk, 0, -1)
	require.NoError(t, err)
	assert.Equal(t, []string{"cherry", "date"}, r)

	n, err = c.ZRangeStore(ctx, p+"dst", k, 1, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	r, err = c.ZRange(ctx, p+"dst", 0, -1)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c", "d"}, r)

	rm, err := c.ZRandMember(ctx, k, 3)
	require.NoError(t, err)
	assert.Len(t, rm, 3)
	for _, m := range rm {
		assert.Contains(t, []string{"a", "b", "c", "d", "e"}, m)
	}

	got := map[string]string{}
	var cur uint64
	for {
		page, err := c.ZScan(ctx, k, cur, redis.ScanOptions{Count: 2})
		require.NoError(t, err)
		for i := 0; i+1 < len(page.Items); i += 2 {
			got[page.Items[i]] = page.Items[i+1]
		}
		if cur = page.Cursor; cur == 0 {
			break
		}
	}
	assert.Equal(t, map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}, got)

	top, err := c.ZPopMax(ctx, k, 2)
	require.NoError(t, err)
	assert.Equal(t, []redis.Z{{Member: "e", Score: 5}, {Member: "d", Score: 4}}, top)

	n, err = c.ZRemRangeByRank(ctx, k, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	n, err = c.ZRemRangeByScore(ctx, k, "(2", "3")
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	rest, err := c.ZRangeWithScores(ctx, k, 0, -1)
	require.NoError(t, err)
	assert.Equal(t, []redis.Z{{Member: "b", Score: 2}}, rest)

	empty, err := c.ZPopMax(ctx, p+"missing", 1)
	require.NoError(t, err)
	assert.Empty(t, empty)
}

// Over RESP2 the WITHSCORES and ZPOP replies are flat member/score arrays.
func TestSortedSetRepliesOverRESP2(t *testing.T) {
	c := openRESP2(t)
	ctx := ctxT(t)
	k := prefix(t) + "z"
	_, err := c.ZAdd(ctx, k, redis.Z{Member: "a", Score: 1.5}, redis.Z{Member: "b", Score: 2}, redis.Z{Member: "c", Score: 3})
	require.NoError(t, err)
	zs, err := c.ZRangeWithScores(ctx, k, 0, -1)
	require.NoError(t, err)
	assert.Equal(t, []redis.Z{{Member: "a", Score: 1.5}, {Member: "b", Score: 2}, {Member: "c", Score: 3}}, zs)
	top, err := c.ZPopMax(ctx, k, 1)
	require.NoError(t, err)
	assert.Equal(t, []redis.Z{{Member: "c", Score: 3}}, top)
	low, err := c.ZPopMin(ctx, k, 5)
	require.NoError(t, err)
	assert.Equal(t, []redis.Z{{Member: "a", Score: 1.5}, {Member: "b", Score: 2}}, low)
}

func TestHyperLogLogMerge(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := "{" + prefix(t) + "}"
	_, err := c.PFAdd(ctx, p+"a", "x", "y", "z")
	require.NoError(t, err)
	_, err = c.PFAdd(ctx, p+"b", "z", "w")
	require.NoError(t, err)
	require.NoError(t, c.PFMerge(ctx, p+"m", p+"a", p+"b"))
	n, err := c.PFCount(ctx, p+"m")
	require.NoError(t, err)
	assert.Equal(t, int64(4), n)
	n, err = c.PFCount(ctx, p+"a", p+"b")
	require.NoError(t, err)
	assert.Equal(t, int64(4), n)

	require.NoError(t, c.Set(ctx, p+"str", "not a hll"))
	err = c.PFMerge(ctx, p+"m", p+"str")
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "PFMERGE of a non-HLL string is WRONGTYPE: %v", err)
}

// openRESP2 opens a client on a real redis-server without HELLO, so the
// client falls back to RESP2 (as against servers without RESP3).
func openRESP2(t *testing.T) *redis.Client {
	t.Helper()
	srv := testenv.RequireRealRedis(t, "--rename-command", "HELLO", "")
	c := openAt(t, srv)
	on, why := c.CacheInfo()
	require.False(t, on)
	require.Contains(t, why, "RESP2")
	return c
}
