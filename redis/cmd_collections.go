package redis

import (
	"context"
	"iter"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// Hashes, sets, lists, sorted sets and HyperLogLog. Each method is one
// round trip unless its comment says otherwise.

var (
	opHSet, opHSetNX, opHGet, opHMGet     = newOp("hset"), newOp("hsetnx"), newOp("hget"), newOp("hmget")
	opHGetAll, opHKeys, opHLen, opHVals   = newOp("hgetall"), newOp("hkeys"), newOp("hlen"), newOp("hvals")
	opHIncrBy, opHIncrByFloat, opHStrLen  = newOp("hincrby"), newOp("hincrbyfloat"), newOp("hstrlen")
	opHDel, opHExists, opHScan, opHMSet   = newOp("hdel"), newOp("hexists"), newOp("hscan"), newOp("hmset")
	opSAdd, opSRem, opSIsMember           = newOp("sadd"), newOp("srem"), newOp("sismember")
	opSMembers, opSRandMember, opSPop     = newOp("smembers"), newOp("srandmember"), newOp("spop")
	opSCard, opSMove, opSScan, opSInter   = newOp("scard"), newOp("smove"), newOp("sscan"), newOp("sinter")
	opLPush, opLPushX, opRPush, opRPushX  = newOp("lpush"), newOp("lpushx"), newOp("rpush"), newOp("rpushx")
	opLPop, opRPop, opLLen, opLRange      = newOp("lpop"), newOp("rpop"), newOp("llen"), newOp("lrange")
	opLIndex, opLRem, opLTrim             = newOp("lindex"), newOp("lrem"), newOp("ltrim")
	opBLPop, opBRPop                      = newOp("blpop"), newOp("brpop")
	opZAdd, opZCard, opZCount, opZLex     = newOp("zadd"), newOp("zcard"), newOp("zcount"), newOp("zlexcount")
	opZPopMax, opZPopMin, opZRandMember   = newOp("zpopmax"), newOp("zpopmin"), newOp("zrandmember")
	opZRange, opZRangeByLex, opZRangeBySc = newOp("zrange"), newOp("zrangebylex"), newOp("zrangebyscore")
	opZRangeStore, opZRevRange            = newOp("zrangestore"), newOp("zrevrange")
	opZRevRangeByLex, opZRevRangeBySc     = newOp("zrevrangebylex"), newOp("zrevrangebyscore")
	opZScore, opZIncrBy, opZMScore        = newOp("zscore"), newOp("zincrby"), newOp("zmscore")
	opZScan, opZRank, opZRevRank, opZRem  = newOp("zscan"), newOp("zrank"), newOp("zrevrank"), newOp("zrem")
	opZRemRangeByLex, opZRemRangeByRank   = newOp("zremrangebylex"), newOp("zremrangebyrank")
	opZRemRangeBySc                       = newOp("zremrangebyscore")
	opPFAdd, opPFCount, opPFMerge         = newOp("pfadd"), newOp("pfcount"), newOp("pfmerge")
)

// ---- hashes ----

// HSet sets field/value pairs (f1, v1, f2, v2 ...) of the hash at key and
// returns how many fields were new.
func (c *Client) HSet(ctx context.Context, key string, pairs ...string) (int64, error) {
	return do(c, ctx, c.k.hset(key, pairs))
}

// HSetMap sets every field of m (in sorted field order) and returns how
// many were new.
func (c *Client) HSetMap(ctx context.Context, key string, m map[string]string) (int64, error) {
	pairs := make([]string, 0, 2*len(m))
	for _, f := range slices.Sorted(maps.Keys(m)) {
		pairs = append(pairs, f, m[f])
	}
	return c.HSet(ctx, key, pairs...)
}

// HMSet is HSet for callers of the older command name; it returns no count.
func (c *Client) HMSet(ctx context.Context, key string, pairs ...string) error {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return c.refuse(ctx, opHMSet, invalid("hmset", "needs field/value pairs (got %d arguments)", len(pairs)))
	}
	_, err := run(c, ctx, opHMSet, c.bld.Arbitrary("HMSET").Keys(key).Args(pairs...).Build(), asOK)
	return err
}

// HSetNX sets field only if it does not exist; it reports whether it did.
func (c *Client) HSetNX(ctx context.Context, key, field, value string) (bool, error) {
	return run(c, ctx, opHSetNX, c.bld.Hsetnx().Key(key).Field(field).Value(value).Build(), asBool)
}

// HGet returns a field of the hash at key; NotFound when the key or field
// is missing.
func (c *Client) HGet(ctx context.Context, key, field string) (string, error) {
	return do(c, ctx, c.k.hget(key, field))
}

// HMGet returns fields in order; a missing field has OK false.
func (c *Client) HMGet(ctx context.Context, key string, fields ...string) ([]Opt[string], error) {
	return run(c, ctx, opHMGet, c.bld.Hmget().Key(key).Field(fields...).Build(), asOptStrings)
}

// HGetAll returns every field of the hash (empty for a missing key).
func (c *Client) HGetAll(ctx context.Context, key string) (map[string]string, error) {
	return do(c, ctx, c.k.hgetAll(key))
}

// HKeys returns the field names of the hash.
func (c *Client) HKeys(ctx context.Context, key string) ([]string, error) {
	return run(c, ctx, opHKeys, c.bld.Hkeys().Key(key).Build(), asStrings)
}

// HVals returns the values of the hash.
func (c *Client) HVals(ctx context.Context, key string) ([]string, error) {
	return run(c, ctx, opHVals, c.bld.Hvals().Key(key).Build(), asStrings)
}

// HLen returns the number of fields.
func (c *Client) HLen(ctx context.Context, key string) (int64, error) {
	return run(c, ctx, opHLen, c.bld.Hlen().Key(key).Build(), asInt)
}

// HIncrBy adds n to an integer field and returns the result.
func (c *Client) HIncrBy(ctx context.Context, key, field string, n int64) (int64, error) {
	return do(c, ctx, c.k.hincrBy(key, field, n))
}

// HIncrByFloat adds f to a numeric field and returns the result.
func (c *Client) HIncrByFloat(ctx context.Context, key, field string, f float64) (float64, error) {
	return run(c, ctx, opHIncrByFloat, c.bld.Hincrbyfloat().Key(key).Field(field).Increment(f).Build(), asFloat)
}

// HStrLen returns the length of a field's value (0 if missing).
func (c *Client) HStrLen(ctx context.Context, key, field string) (int64, error) {
	return run(c, ctx, opHStrLen, c.bld.Hstrlen().Key(key).Field(field).Build(), asInt)
}

// HDel deletes fields and returns how many existed.
func (c *Client) HDel(ctx context.Context, key string, fields ...string) (int64, error) {
	return run(c, ctx, opHDel, c.bld.Hdel().Key(key).Field(fields...).Build(), asInt)
}

// HExists reports whether field exists.
func (c *Client) HExists(ctx context.Context, key, field string) (bool, error) {
	return run(c, ctx, opHExists, c.bld.Hexists().Key(key).Field(field).Build(), asBool)
}

// HScan returns one page of alternating field/value items from cursor.
func (c *Client) HScan(ctx context.Context, key string, cursor uint64, o ScanOptions) (ScanPage, error) {
	o.Type = ""
	return run(c, ctx, opHScan, c.bld.Arbitrary("HSCAN").Keys(key).Args(strconv.FormatUint(cursor, 10)).Args(o.args()...).ReadOnly(), asScan)
}

// ---- sets ----

// SAdd adds members and returns how many were new.
func (c *Client) SAdd(ctx context.Context, key string, members ...string) (int64, error) {
	return do(c, ctx, c.k.sadd(key, members))
}

// SRem removes members and returns how many existed.
func (c *Client) SRem(ctx context.Context, key string, members ...string) (int64, error) {
	return run(c, ctx, opSRem, c.bld.Srem().Key(key).Member(members...).Build(), asInt)
}

// SIsMember reports whether member is in the set.
func (c *Client) SIsMember(ctx context.Context, key, member string) (bool, error) {
	return run(c, ctx, opSIsMember, c.bld.Sismember().Key(key).Member(member).Build(), asBool)
}

// SMembers returns every member (empty for a missing key).
func (c *Client) SMembers(ctx context.Context, key string) ([]string, error) {
	return run(c, ctx, opSMembers, c.bld.Smembers().Key(key).Build(), asStrings)
}

// SRandMember returns up to count random members (negative count allows
// repeats).
func (c *Client) SRandMember(ctx context.Context, key string, count int64) ([]string, error) {
	return run(c, ctx, opSRandMember, c.bld.Srandmember().Key(key).Count(count).Build(), asStrings)
}

// SPop removes and returns a random member; NotFound for an empty set.
func (c *Client) SPop(ctx context.Context, key string) (string, error) {
	return run(c, ctx, opSPop, c.bld.Spop().Key(key).Build(), asString)
}

// SPopN removes and returns up to count random members.
func (c *Client) SPopN(ctx context.Context, key string, count int64) ([]string, error) {
	return run(c, ctx, opSPop, c.bld.Spop().Key(key).Count(count).Build(), asStrings)
}

// SCard returns the number of members.
func (c *Client) SCard(ctx context.Context, key string) (int64, error) {
	return run(c, ctx, opSCard, c.bld.Scard().Key(key).Build(), asInt)
}

// SMove moves member from src to dst; it reports whether it was in src.
func (c *Client) SMove(ctx context.Context, src, dst, member string) (bool, error) {
	if err := c.sameSlot("smove", src, dst); err != nil {
		return false, err
	}
	return run(c, ctx, opSMove, c.bld.Smove().Source(src).Destination(dst).Member(member).Build(), asBool)
}

// SInter returns the members common to every set.
func (c *Client) SInter(ctx context.Context, keys ...string) ([]string, error) {
	if err := c.sameSlot("sinter", keys...); err != nil {
		return nil, err
	}
	return run(c, ctx, opSInter, c.bld.Sinter().Key(keys...).Build(), asStrings)
}

// SScan returns one page of members from cursor.
func (c *Client) SScan(ctx context.Context, key string, cursor uint64, o ScanOptions) (ScanPage, error) {
	o.Type = ""
	return run(c, ctx, opSScan, c.bld.Arbitrary("SSCAN").Keys(key).Args(strconv.FormatUint(cursor, 10)).Args(o.args()...).ReadOnly(), asScan)
}

// SScanAll iterates over every member of the set.
func (c *Client) SScanAll(ctx context.Context, key string, o ScanOptions) iter.Seq2[string, error] {
	return scanIter(ctx, func(cur uint64) (ScanPage, error) { return c.SScan(ctx, key, cur, o) }, 1)
}

// ---- lists ----

// LPush prepends elements (the last ends up first) and returns the new length.
func (c *Client) LPush(ctx context.Context, key string, elements ...string) (int64, error) {
	return do(c, ctx, c.k.lpush(key, elements))
}

// LPushX is LPush only for an existing list; it returns the length (0 if none).
func (c *Client) LPushX(ctx context.Context, key string, elements ...string) (int64, error) {
	return run(c, ctx, opLPushX, c.bld.Lpushx().Key(key).Element(elements...).Build(), asInt)
}

// RPush appends elements and returns the new length.
func (c *Client) RPush(ctx context.Context, key string, elements ...string) (int64, error) {
	return do(c, ctx, c.k.rpush(key, elements))
}

// RPushX is RPush only for an existing list.
func (c *Client) RPushX(ctx context.Context, key string, elements ...string) (int64, error) {
	return run(c, ctx, opRPushX, c.bld.Rpushx().Key(key).Element(elements...).Build(), asInt)
}

// LPop removes and returns the first element; NotFound for an empty list.
func (c *Client) LPop(ctx context.Context, key string) (string, error) {
	return run(c, ctx, opLPop, c.bld.Lpop().Key(key).Build(), asString)
}

// LPopN removes and returns up to count first elements (empty if none).
func (c *Client) LPopN(ctx context.Context, key string, count int64) ([]string, error) {
	return run(c, ctx, opLPop, c.bld.Lpop().Key(key).Count(count).Build(), asStrings)
}

// RPop removes and returns the last element; NotFound for an empty list.
func (c *Client) RPop(ctx context.Context, key string) (string, error) {
	return run(c, ctx, opRPop, c.bld.Rpop().Key(key).Build(), asString)
}

// RPopN removes and returns up to count last elements.
func (c *Client) RPopN(ctx context.Context, key string, count int64) ([]string, error) {
	return run(c, ctx, opRPop, c.bld.Rpop().Key(key).Count(count).Build(), asStrings)
}

// LLen returns the length of the list.
func (c *Client) LLen(ctx context.Context, key string) (int64, error) {
	return run(c, ctx, opLLen, c.bld.Llen().Key(key).Build(), asInt)
}

// LRange returns elements start..stop (inclusive; negative from the end).
func (c *Client) LRange(ctx context.Context, key string, start, stop int64) ([]string, error) {
	return do(c, ctx, c.k.lrange(key, start, stop))
}

// LIndex returns the element at index; NotFound when out of range.
func (c *Client) LIndex(ctx context.Context, key string, index int64) (string, error) {
	return run(c, ctx, opLIndex, c.bld.Lindex().Key(key).Index(index).Build(), asString)
}

// LRem removes count occurrences of element (0: all; negative: from the
// tail) and returns how many it removed.
func (c *Client) LRem(ctx context.Context, key string, count int64, element string) (int64, error) {
	return run(c, ctx, opLRem, c.bld.Lrem().Key(key).Count(count).Element(element).Build(), asInt)
}

// LTrim keeps only elements start..stop.
func (c *Client) LTrim(ctx context.Context, key string, start, stop int64) error {
	_, err := run(c, ctx, opLTrim, c.bld.Ltrim().Key(key).Start(start).Stop(stop).Build(), asOK)
	return err
}

// KeyValue is a popped element and the list (or set) it came from.
type KeyValue struct {
	Key   string
	Value string
}

func asKeyValue(m rueidis.RedisMessage) (KeyValue, error) {
	s, err := m.AsStrSlice()
	if err != nil {
		return KeyValue{}, err
	}
	if len(s) != 2 {
		return KeyValue{}, ErrNil
	}
	return KeyValue{s[0], s[1]}, nil
}

// BLPop waits up to timeout (0: until ctx ends) for an element of the
// first non-empty list and pops it; NotFound when the timeout passes. It
// uses a connection of the blocking pool, not the shared pipeline.
func (c *Client) BLPop(ctx context.Context, timeout time.Duration, keys ...string) (KeyValue, error) {
	return c.bpop(ctx, opBLPop, "BLPOP", timeout, keys)
}

// BRPop is BLPop popping from the tail.
func (c *Client) BRPop(ctx context.Context, timeout time.Duration, keys ...string) (KeyValue, error) {
	return c.bpop(ctx, opBRPop, "BRPOP", timeout, keys)
}

func (c *Client) bpop(ctx context.Context, id opID, name string, timeout time.Duration, keys []string) (KeyValue, error) {
	if len(keys) == 0 {
		return KeyValue{}, c.refuse(ctx, id, invalid(opNames[id], "needs at least one key"))
	}
	if err := c.sameSlot(opNames[id], keys...); err != nil {
		return KeyValue{}, err
	}
	return run(c, ctx, id, c.bld.Arbitrary(name).Keys(keys...).Args(ftoa(timeout.Seconds())).Blocking(), asKeyValue)
}

// ---- sorted sets ----

// ZAddOptions are ZADD's flags: NX/XX, GT/LT and CH.
type ZAddOptions struct {
	NX, XX bool // only add new / only update existing members
	GT, LT bool // only update when the new score is greater / less
	CH     bool // count changed members, not only added ones
}

// ZAdd adds or updates members and returns how many were added.
func (c *Client) ZAdd(ctx context.Context, key string, members ...Z) (int64, error) {
	return c.ZAddWith(ctx, key, ZAddOptions{}, members...)
}

// ZAddWith is ZAdd with flags; invalid combinations are InvalidArgument.
func (c *Client) ZAddWith(ctx context.Context, key string, o ZAddOptions, members ...Z) (int64, error) {
	return do(c, ctx, c.k.zadd(key, o, members))
}

// ZCard returns the number of members.
func (c *Client) ZCard(ctx context.Context, key string) (int64, error) {
	return run(c, ctx, opZCard, c.bld.Zcard().Key(key).Build(), asInt)
}

// ZCount counts members with scores between min and max (Redis syntax:
// "1", "(1", "-inf", "+inf").
func (c *Client) ZCount(ctx context.Context, key, min, max string) (int64, error) {
	return run(c, ctx, opZCount, c.bld.Zcount().Key(key).Min(min).Max(max).Build(), asInt)
}

// ZLexCount counts members between lexicographic bounds ("[a", "(b", "-", "+").
func (c *Client) ZLexCount(ctx context.Context, key, min, max string) (int64, error) {
	return run(c, ctx, opZLex, c.bld.Zlexcount().Key(key).Min(min).Max(max).Build(), asInt)
}

// ZPopMax removes and returns up to count members with the highest scores.
func (c *Client) ZPopMax(ctx context.Context, key string, count int64) ([]Z, error) {
	return run(c, ctx, opZPopMax, c.bld.Zpopmax().Key(key).Count(count).Build(), asZsOrEmpty)
}

// ZPopMin removes and returns up to count members with the lowest scores.
func (c *Client) ZPopMin(ctx context.Context, key string, count int64) ([]Z, error) {
	return run(c, ctx, opZPopMin, c.bld.Zpopmin().Key(key).Count(count).Build(), asZsOrEmpty)
}

// ZRandMember returns up to count random members (negative allows repeats).
func (c *Client) ZRandMember(ctx context.Context, key string, count int64) ([]string, error) {
	return run(c, ctx, opZRandMember, c.bld.Zrandmember().Key(key).Count(count).Build(), asStrings)
}

// ZRange returns members by rank start..stop, lowest score first.
func (c *Client) ZRange(ctx context.Context, key string, start, stop int64) ([]string, error) {
	return run(c, ctx, opZRange, c.bld.Arbitrary("ZRANGE").Keys(key).Args(itoa(start), itoa(stop)).ReadOnly(), asStrings)
}

// ZRangeWithScores is ZRange returning scores too.
func (c *Client) ZRangeWithScores(ctx context.Context, key string, start, stop int64) ([]Z, error) {
	return run(c, ctx, opZRange, c.bld.Arbitrary("ZRANGE").Keys(key).Args(itoa(start), itoa(stop), "WITHSCORES").ReadOnly(), asZsOrEmpty)
}

// Limit pages a by-score or by-lex range: Count 0 means no limit.
type Limit struct{ Offset, Count int64 }

func (l Limit) args() []string {
	if l.Count == 0 && l.Offset == 0 {
		return nil
	}
	n := l.Count
	if n == 0 {
		n = -1
	}
	return []string{"LIMIT", itoa(l.Offset), itoa(n)}
}

// ZRangeByScore returns members with scores between min and max.
func (c *Client) ZRangeByScore(ctx context.Context, key, min, max string, l Limit) ([]string, error) {
	return run(c, ctx, opZRangeBySc, c.bld.Arbitrary("ZRANGEBYSCORE").Keys(key).Args(min, max).Args(l.args()...).ReadOnly(), asStrings)
}

// ZRevRangeByScore returns members with scores between max and min, highest first.
func (c *Client) ZRevRangeByScore(ctx context.Context, key, max, min string, l Limit) ([]string, error) {
	return run(c, ctx, opZRevRangeBySc, c.bld.Arbitrary("ZREVRANGEBYSCORE").Keys(key).Args(max, min).Args(l.args()...).ReadOnly(), asStrings)
}

// ZRangeByLex returns members between lexicographic bounds.
func (c *Client) ZRangeByLex(ctx context.Context, key, min, max string, l Limit) ([]string, error) {
	return run(c, ctx, opZRangeByLex, c.bld.Arbitrary("ZRANGEBYLEX").Keys(key).Args(min, max).Args(l.args()...).ReadOnly(), asStrings)
}

// ZRevRangeByLex returns members between max and min, in reverse order.
func (c *Client) ZRevRangeByLex(ctx context.Context, key, max, min string, l Limit) ([]string, error) {
	return run(c, ctx, opZRevRangeByLex, c.bld.Arbitrary("ZREVRANGEBYLEX").Keys(key).Args(max, min).Args(l.args()...).ReadOnly(), asStrings)
}

// ZRevRange returns members by rank, highest score first.
func (c *Client) ZRevRange(ctx context.Context, key string, start, stop int64) ([]string, error) {
	return run(c, ctx, opZRevRange, c.bld.Arbitrary("ZREVRANGE").Keys(key).Args(itoa(start), itoa(stop)).ReadOnly(), asStrings)
}

// ZRangeStore stores ranks start..stop of src into dst and returns its size.
func (c *Client) ZRangeStore(ctx context.Context, dst, src string, start, stop int64) (int64, error) {
	if err := c.sameSlot("zrangestore", dst, src); err != nil {
		return 0, err
	}
	return run(c, ctx, opZRangeStore, c.bld.Arbitrary("ZRANGESTORE").Keys(dst, src).Args(itoa(start), itoa(stop)).Build(), asInt)
}

// ZScore returns the score of member; NotFound when missing.
func (c *Client) ZScore(ctx context.Context, key, member string) (float64, error) {
	return do(c, ctx, c.k.zscore(key, member))
}

// ZMScore returns the scores of members; a missing one has OK false.
func (c *Client) ZMScore(ctx context.Context, key string, members ...string) ([]Opt[float64], error) {
	return run(c, ctx, opZMScore, c.bld.Zmscore().Key(key).Member(members...).Build(), asOptFloats)
}

// ZIncrBy adds delta to the score of member and returns the new score.
func (c *Client) ZIncrBy(ctx context.Context, key string, delta float64, member string) (float64, error) {
	return run(c, ctx, opZIncrBy, c.bld.Zincrby().Key(key).Increment(delta).Member(member).Build(), asFloat)
}

// ZRank returns the rank of member (lowest score 0); NotFound when missing.
func (c *Client) ZRank(ctx context.Context, key, member string) (int64, error) {
	return run(c, ctx, opZRank, c.bld.Zrank().Key(key).Member(member).Build(), asInt)
}

// ZRevRank returns the rank of member, highest score 0; NotFound when missing.
func (c *Client) ZRevRank(ctx context.Context, key, member string) (int64, error) {
	return run(c, ctx, opZRevRank, c.bld.Zrevrank().Key(key).Member(member).Build(), asInt)
}

// ZRem removes members and returns how many existed.
func (c *Client) ZRem(ctx context.Context, key string, members ...string) (int64, error) {
	return run(c, ctx, opZRem, c.bld.Zrem().Key(key).Member(members...).Build(), asInt)
}

// ZRemRangeByLex removes members between lexicographic bounds.
func (c *Client) ZRemRangeByLex(ctx context.Context, key, min, max string) (int64, error) {
	return run(c, ctx, opZRemRangeByLex, c.bld.Zremrangebylex().Key(key).Min(min).Max(max).Build(), asInt)
}

// ZRemRangeByRank removes members by rank.
func (c *Client) ZRemRangeByRank(ctx context.Context, key string, start, stop int64) (int64, error) {
	return run(c, ctx, opZRemRangeByRank, c.bld.Zremrangebyrank().Key(key).Start(start).Stop(stop).Build(), asInt)
}

// ZRemRangeByScore removes members with scores between min and max.
func (c *Client) ZRemRangeByScore(ctx context.Context, key, min, max string) (int64, error) {
	return run(c, ctx, opZRemRangeBySc, c.bld.Zremrangebyscore().Key(key).Min(min).Max(max).Build(), asInt)
}

// ZScan returns one page of alternating member/score items.
func (c *Client) ZScan(ctx context.Context, key string, cursor uint64, o ScanOptions) (ScanPage, error) {
	o.Type = ""
	return run(c, ctx, opZScan, c.bld.Arbitrary("ZSCAN").Keys(key).Args(strconv.FormatUint(cursor, 10)).Args(o.args()...).ReadOnly(), asScan)
}

// ---- HyperLogLog ----

// PFAdd adds elements to the HyperLogLog; it reports whether its estimate changed.
func (c *Client) PFAdd(ctx context.Context, key string, elements ...string) (bool, error) {
	return run(c, ctx, opPFAdd, c.bld.Pfadd().Key(key).Element(elements...).Build(), asBool)
}

// PFCount returns the approximate cardinality of the union of keys.
func (c *Client) PFCount(ctx context.Context, keys ...string) (int64, error) {
	if err := c.sameSlot("pfcount", keys...); err != nil {
		return 0, err
	}
	return run(c, ctx, opPFCount, c.bld.Pfcount().Key(keys...).Build(), asInt)
}

// PFMerge merges sources into dst.
func (c *Client) PFMerge(ctx context.Context, dst string, sources ...string) error {
	if err := c.sameSlot("pfmerge", append([]string{dst}, sources...)...); err != nil {
		return err
	}
	_, err := run(c, ctx, opPFMerge, c.bld.Pfmerge().Destkey(dst).Sourcekey(sources...).Build(), asOK)
	return err
}
