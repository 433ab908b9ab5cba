package redis

import (
	"context"
	"iter"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
)

// Strings and keys. Every method costs one round trip (shared with
// concurrent callers by auto-pipelining) unless its comment says otherwise.

var (
	opGet, opSet, opDel, opExists     = newOp("get"), newOp("set"), newOp("del"), newOp("exists")
	opIncr, opIncrBy, opIncrByFloat   = newOp("incr"), newOp("incrby"), newOp("incrbyfloat")
	opDecr, opDecrBy                  = newOp("decr"), newOp("decrby")
	opExpire, opExpireAt, opPExpire   = newOp("expire"), newOp("expireat"), newOp("pexpire")
	opPExpireAt, opTTL, opPTTL        = newOp("pexpireat"), newOp("ttl"), newOp("pttl")
	opPersist, opExpireTime           = newOp("persist"), newOp("expiretime")
	opPExpireTime, opDump, opGetDel   = newOp("pexpiretime"), newOp("dump"), newOp("getdel")
	opGetEx, opGetRange, opSetRange   = newOp("getex"), newOp("getrange"), newOp("setrange")
	opGetSet, opAppend, opSetNX       = newOp("getset"), newOp("append"), newOp("setnx")
	opSetEx, opPSetEx, opStrLen       = newOp("setex"), newOp("psetex"), newOp("strlen")
	opMGet, opMSet, opMSetNX          = newOp("mget"), newOp("mset"), newOp("msetnx")
	opKeys, opScan, opRandomKey       = newOp("keys"), newOp("scan"), newOp("randomkey")
	opType, opCopy, opUnlink, opTouch = newOp("type"), newOp("copy"), newOp("unlink"), newOp("touch")
	opRename, opRenameNX, opBitCount  = newOp("rename"), newOp("renamenx"), newOp("bitcount")
	opGetBit, opSetBit                = newOp("getbit"), newOp("setbit")
	opRestore, opFlushDB, opDBSize    = newOp("restore"), newOp("flushdb"), newOp("dbsize")
	opSelect                          = newOp("select")
)

// NoExpiry is what TTL and PTTL return for a key that has no expiry.
const NoExpiry time.Duration = -1

func itoa(n int64) string       { return strconv.FormatInt(n, 10) }
func ftoa(f float64) string     { return strconv.FormatFloat(f, 'f', -1, 64) }
func ms(d time.Duration) string { return itoa(d.Milliseconds()) }

func invalid(op, format string, args ...any) error {
	return arsenal.Errorf(arsenal.InvalidArgument, Kind, op, format, args...)
}

// Get returns the value of key; a missing key is a NotFound error (see
// IsNotFound), never an empty string.
func (c *Client) Get(ctx context.Context, key string) (string, error) {
	return do(c, ctx, c.k.get(key))
}

// GetBytes is Get returning bytes.
func (c *Client) GetBytes(ctx context.Context, key string) ([]byte, error) {
	return run(c, ctx, opGet, c.bld.Get().Key(key).Build(), func(m rueidis.RedisMessage) ([]byte, error) { return m.AsBytes() })
}

// Set stores value at key with no expiry, replacing any value and TTL.
func (c *Client) Set(ctx context.Context, key, value string) error {
	_, err := do(c, ctx, c.k.set(key, value))
	return err
}

// SetOptions are SET's options. At most one of TTL, EX, PX, EXAT, PXAT
// and KeepTTL may be set, and NX and XX exclude each other.
type SetOptions struct {
	TTL     time.Duration // expire after this long, millisecond precision (sent as PX); any duration from 1 ms
	EX      time.Duration // expire after this many whole seconds (EX)
	PX      time.Duration // expire after this many milliseconds (PX)
	EXAT    time.Time     // expire at this Unix time, in seconds (EXAT)
	PXAT    time.Time     // expire at this Unix time, in milliseconds (PXAT)
	KeepTTL bool          // keep the key's current TTL (KEEPTTL)
	NX      bool          // only set a key that does not exist
	XX      bool          // only set a key that exists
	Get     bool          // return the old value (GET)
}

// SetResult is what SetWith reports.
type SetResult struct {
	Set bool        // whether the value was stored (false when NX/XX prevented it)
	Old Opt[string] // the previous value, with SetOptions.Get (OK false when there was none)
}

// SetWith is SET with options; it reports whether the value was stored
// and, with Get, the previous value. Bad option combinations are
// InvalidArgument before any I/O.
func (c *Client) SetWith(ctx context.Context, key, value string, o SetOptions) (SetResult, error) {
	args, err := o.args()
	if err != nil {
		return SetResult{}, c.refuse(ctx, opSet, err)
	}
	msg, err := c.exec(ctx, opSet, c.bld.Arbitrary("SET").Keys(key).Args(value).Args(args...).Build())
	if err != nil {
		return SetResult{}, err
	}
	return o.parse(msg)
}

func (o SetOptions) args() ([]string, error) {
	var args []string
	n := 0
	if o.EX != 0 {
		if o.EX < time.Second || o.EX%time.Second != 0 {
			return nil, invalid("set", "EX %s is not a positive whole number of seconds (use PX)", o.EX)
		}
		args, n = append(args, "EX", itoa(int64(o.EX/time.Second))), n+1
	}
	if o.TTL != 0 {
		if o.TTL < time.Millisecond {
			return nil, invalid("set", "TTL %s is below one millisecond", o.TTL)
		}
		args, n = append(args, "PX", ms(o.TTL)), n+1
	}
	if o.PX != 0 {
		if o.PX < time.Millisecond {
			return nil, invalid("set", "PX %s is below one millisecond", o.PX)
		}
		args, n = append(args, "PX", ms(o.PX)), n+1
	}
	if !o.EXAT.IsZero() {
		args, n = append(args, "EXAT", itoa(o.EXAT.Unix())), n+1
	}
	if !o.PXAT.IsZero() {
		args, n = append(args, "PXAT", itoa(o.PXAT.UnixMilli())), n+1
	}
	if o.KeepTTL {
		args, n = append(args, "KEEPTTL"), n+1
	}
	if n > 1 {
		return nil, invalid("set", "at most one of TTL, EX, PX, EXAT, PXAT and KeepTTL may be set")
	}
	if o.NX && o.XX {
		return nil, invalid("set", "NX and XX exclude each other")
	}
	if o.NX {
		args = append(args, "NX")
	}
	if o.XX {
		args = append(args, "XX")
	}
	if o.Get {
		args = append(args, "GET")
	}
	return args, nil
}

func (o SetOptions) parse(m rueidis.RedisMessage) (SetResult, error) {
	if !o.Get {
		ok, err := asSetResult(m)
		return SetResult{Set: ok}, wrapErr("set", err)
	}
	old, err := asOptString(m)
	if err != nil {
		return SetResult{}, wrapErr("set", err)
	}
	r := SetResult{Old: old, Set: true}
	switch {
	case o.NX:
		r.Set = !old.OK
	case o.XX:
		r.Set = old.OK
	}
	return r, nil
}

// SetNX stores value only if key does not exist; it reports whether it did.
func (c *Client) SetNX(ctx context.Context, key, value string) (bool, error) {
	return run(c, ctx, opSetNX, c.bld.Setnx().Key(key).Value(value).Build(), asBool)
}

// SetEx stores value at key to expire after ttl, in one call: SETEX when
// ttl is whole seconds, PSETEX (millisecond precision, a fraction of a
// millisecond dropped) otherwise, so sub-second TTLs need no options. A
// ttl below one millisecond is InvalidArgument before any I/O.
func (c *Client) SetEx(ctx context.Context, key, value string, ttl time.Duration) error {
	_, err := do(c, ctx, c.k.setEx(key, value, ttl))
	return err
}

// SetBytes is Set of a binary value (any bytes, sent as they are).
func (c *Client) SetBytes(ctx context.Context, key string, value []byte) error {
	return c.Set(ctx, key, string(value))
}

// SetExBytes is SetEx of a binary value.
func (c *Client) SetExBytes(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return c.SetEx(ctx, key, string(value), ttl)
}

// PSetEx stores value with a TTL in milliseconds (PSETEX).
func (c *Client) PSetEx(ctx context.Context, key, value string, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return c.refuse(ctx, opPSetEx, invalid("psetex", "ttl %s is below one millisecond", ttl))
	}
	_, err := run(c, ctx, opPSetEx, c.bld.Psetex().Key(key).Milliseconds(ttl.Milliseconds()).Value(value).Build(), asOK)
	return err
}

// GetDel returns the value of key and deletes it; NotFound if missing.
func (c *Client) GetDel(ctx context.Context, key string) (string, error) {
	return run(c, ctx, opGetDel, c.bld.Getdel().Key(key).Build(), asString)
}

// GetExOptions set or clear the TTL as GETEX reads the value: at most one
// field may be set.
type GetExOptions struct {
	EX      time.Duration
	PX      time.Duration
	EXAT    time.Time
	PXAT    time.Time
	Persist bool
}

// GetEx returns the value of key and changes its TTL; NotFound if missing.
func (c *Client) GetEx(ctx context.Context, key string, o GetExOptions) (string, error) {
	var args []string
	if o.EX > 0 {
		args = append(args, "EX", itoa(int64(o.EX/time.Second)))
	}
	if o.PX > 0 {
		args = append(args, "PX", ms(o.PX))
	}
	if !o.EXAT.IsZero() {
		args = append(args, "EXAT", itoa(o.EXAT.Unix()))
	}
	if !o.PXAT.IsZero() {
		args = append(args, "PXAT", itoa(o.PXAT.UnixMilli()))
	}
	if o.Persist {
		args = append(args, "PERSIST")
	}
	if len(args) > 2 {
		return "", c.refuse(ctx, opGetEx, invalid("getex", "at most one of EX, PX, EXAT, PXAT and Persist may be set"))
	}
	return run(c, ctx, opGetEx, c.bld.Arbitrary("GETEX").Keys(key).Args(args...).Build(), asString)
}

// GetRange returns the substring of the value at key between start and end
// (inclusive; negative counts from the end).
func (c *Client) GetRange(ctx context.Context, key string, start, end int64) (string, error) {
	return run(c, ctx, opGetRange, c.bld.Getrange().Key(key).Start(start).End(end).Build(), asString)
}

// SetRange overwrites part of the value at key from offset; it returns the
// new length.
func (c *Client) SetRange(ctx context.Context, key string, offset int64, value string) (int64, error) {
	return run(c, ctx, opSetRange, c.bld.Setrange().Key(key).Offset(offset).Value(value).Build(), asInt)
}

// GetSet stores value and returns the old value (OK false if none).
func (c *Client) GetSet(ctx context.Context, key, value string) (Opt[string], error) {
	return run(c, ctx, opGetSet, c.bld.Getset().Key(key).Value(value).Build(), asOptString)
}

// Append appends value and returns the new length.
func (c *Client) Append(ctx context.Context, key, value string) (int64, error) {
	return run(c, ctx, opAppend, c.bld.Append().Key(key).Value(value).Build(), asInt)
}

// StrLen returns the length of the value at key (0 if missing).
func (c *Client) StrLen(ctx context.Context, key string) (int64, error) {
	return run(c, ctx, opStrLen, c.bld.Strlen().Key(key).Build(), asInt)
}

// Incr adds 1 to the integer at key and returns the result.
func (c *Client) Incr(ctx context.Context, key string) (int64, error) {
	return do(c, ctx, c.k.incr(key))
}

// IncrBy adds n to the integer at key and returns the result.
func (c *Client) IncrBy(ctx context.Context, key string, n int64) (int64, error) {
	return do(c, ctx, c.k.incrBy(key, n))
}

// IncrByFloat adds f to the number at key and returns the result.
func (c *Client) IncrByFloat(ctx context.Context, key string, f float64) (float64, error) {
	return run(c, ctx, opIncrByFloat, c.bld.Incrbyfloat().Key(key).Increment(f).Build(), asFloat)
}

// Decr subtracts 1 from the integer at key and returns the result.
func (c *Client) Decr(ctx context.Context, key string) (int64, error) {
	return run(c, ctx, opDecr, c.bld.Decr().Key(key).Build(), asInt)
}

// DecrBy subtracts n from the integer at key and returns the result.
func (c *Client) DecrBy(ctx context.Context, key string, n int64) (int64, error) {
	return run(c, ctx, opDecrBy, c.bld.Decrby().Key(key).Decrement(n).Build(), asInt)
}

// MGet returns the values of keys in order; a missing key has OK false. In
// cluster mode keys in different hash slots are fetched with one MGET per
// slot, pipelined (the result is then not a single atomic snapshot).
func (c *Client) MGet(ctx context.Context, keys ...string) ([]Opt[string], error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if c.crossSlot(keys...) {
		return c.mgetSplit(ctx, keys)
	}
	return run(c, ctx, opMGet, c.bld.Mget().Key(keys...).Build(), asOptStrings)
}

func (c *Client) mgetSplit(ctx context.Context, keys []string) ([]Opt[string], error) {
	groups := groupBySlot(keys)
	cmds := make(rueidis.Commands, 0, len(groups))
	for _, g := range groups {
		cmds = append(cmds, c.bld.Mget().Key(g.keys...).Build())
	}
	res, err := c.execMulti(ctx, opMGet, cmds)
	if err != nil {
		return nil, err
	}
	out := make([]Opt[string], len(keys))
	for gi, g := range groups {
		m, err := res[gi].ToMessage()
		if err != nil {
			return nil, c.failed("mget", replyErr(&m, err))
		}
		vals, err := asOptStrings(m)
		if err != nil {
			return nil, wrapErr("mget", err)
		}
		for i, idx := range g.idx {
			out[idx] = vals[i]
		}
	}
	return out, nil
}

// MSet stores key/value pairs (k1, v1, k2, v2 ...). In cluster mode pairs
// in different slots are written with one MSET per slot (not atomic).
func (c *Client) MSet(ctx context.Context, pairs ...string) error {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return c.refuse(ctx, opMSet, invalid("mset", "needs key/value pairs (got %d arguments)", len(pairs)))
	}
	keys := make([]string, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		keys = append(keys, pairs[i])
	}
	if !c.crossSlot(keys...) {
		_, err := run(c, ctx, opMSet, c.bld.Arbitrary("MSET").Keys(keys[0]).Args(pairs[1:]...).Build(), asOK)
		return err
	}
	groups := groupBySlot(keys)
	cmds := make(rueidis.Commands, 0, len(groups))
	for _, g := range groups {
		a := c.bld.Arbitrary("MSET").Keys(g.keys[0]).Args(pairs[2*g.idx[0]+1])
		for j := 1; j < len(g.idx); j++ {
			a = a.Args(pairs[2*g.idx[j]], pairs[2*g.idx[j]+1])
		}
		cmds = append(cmds, a.Build())
	}
	res, err := c.execMulti(ctx, opMSet, cmds)
	if err != nil {
		return err
	}
	for _, r := range res {
		if err := r.Error(); err != nil {
			return c.failed("mset", err)
		}
	}
	return nil
}

// MSetNX stores the pairs only if none of the keys exists; it reports
// whether it did. All keys must be in one slot in cluster mode.
func (c *Client) MSetNX(ctx context.Context, pairs ...string) (bool, error) {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return false, c.refuse(ctx, opMSetNX, invalid("msetnx", "needs key/value pairs (got %d arguments)", len(pairs)))
	}
	keys := make([]string, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		keys = append(keys, pairs[i])
	}
	if err := c.sameSlot("msetnx", keys...); err != nil {
		return false, err
	}
	return run(c, ctx, opMSetNX, c.bld.Arbitrary("MSETNX").Keys(keys[0]).Args(pairs[1:]...).Build(), asBool)
}

// countSplit runs a counting multi-key command (DEL, EXISTS, UNLINK,
// TOUCH), one per slot in cluster mode, and sums the counts.
func (c *Client) countSplit(ctx context.Context, id opID, name string, readOnly bool, keys []string) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	build := func(ks []string) rueidis.Completed {
		a := c.bld.Arbitrary(name).Keys(ks...)
		if readOnly {
			return a.ReadOnly()
		}
		return a.Build()
	}
	if !c.crossSlot(keys...) {
		return run(c, ctx, id, build(keys), asInt)
	}
	groups := groupBySlot(keys)
	cmds := make(rueidis.Commands, 0, len(groups))
	for _, g := range groups {
		cmds = append(cmds, build(g.keys))
	}
	res, err := c.execMulti(ctx, id, cmds)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, r := range res {
		n, err := r.AsInt64()
		if err != nil {
			return total, c.failed(opNames[id], err)
		}
		total += n
	}
	return total, nil
}

// Del deletes keys and returns how many existed.
func (c *Client) Del(ctx context.Context, keys ...string) (int64, error) {
	return c.countSplit(ctx, opDel, "DEL", false, keys)
}

// Unlink deletes keys in the background and returns how many existed.
func (c *Client) Unlink(ctx context.Context, keys ...string) (int64, error) {
	return c.countSplit(ctx, opUnlink, "UNLINK", false, keys)
}

// Exists returns how many of keys exist (a key named twice counts twice).
func (c *Client) Exists(ctx context.Context, keys ...string) (int64, error) {
	return c.countSplit(ctx, opExists, "EXISTS", true, keys)
}

// Touch updates the last-access time of keys; it returns how many exist.
func (c *Client) Touch(ctx context.Context, keys ...string) (int64, error) {
	return c.countSplit(ctx, opTouch, "TOUCH", false, keys)
}

// Expire sets a TTL on key (EXPIRE, or PEXPIRE when ttl has a sub-second
// part); it reports whether the key exists.
func (c *Client) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return do(c, ctx, c.k.expire(key, ttl))
}

// PExpire sets a TTL in milliseconds; it reports whether the key exists.
func (c *Client) PExpire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return do(c, ctx, c.k.pexpire(key, ttl))
}

// ExpireAt expires key at t (whole seconds); it reports whether the key exists.
func (c *Client) ExpireAt(ctx context.Context, key string, t time.Time) (bool, error) {
	return run(c, ctx, opExpireAt, c.bld.Expireat().Key(key).Timestamp(t.Unix()).Build(), asBool)
}

// PExpireAt expires key at t (milliseconds); it reports whether the key exists.
func (c *Client) PExpireAt(ctx context.Context, key string, t time.Time) (bool, error) {
	return run(c, ctx, opPExpireAt, c.bld.Pexpireat().Key(key).MillisecondsTimestamp(t.UnixMilli()).Build(), asBool)
}

// ttlReply: -2 is a missing key (NotFound), -1 no expiry.
func ttlReply(unit time.Duration) func(rueidis.RedisMessage) (time.Duration, error) {
	return func(m rueidis.RedisMessage) (time.Duration, error) {
		n, err := m.AsInt64()
		switch {
		case err != nil:
			return 0, err
		case n == -2:
			return 0, ErrNil
		case n == -1:
			return NoExpiry, nil
		}
		return time.Duration(n) * unit, nil
	}
}

// TTL returns the remaining time to live of key in whole seconds, NoExpiry
// for a key without one, and NotFound for a missing key.
func (c *Client) TTL(ctx context.Context, key string) (time.Duration, error) {
	return run(c, ctx, opTTL, c.bld.Ttl().Key(key).Build(), ttlReply(time.Second))
}

// PTTL is TTL with millisecond precision.
func (c *Client) PTTL(ctx context.Context, key string) (time.Duration, error) {
	return run(c, ctx, opPTTL, c.bld.Pttl().Key(key).Build(), ttlReply(time.Millisecond))
}

func expireTimeReply(unit time.Duration) func(rueidis.RedisMessage) (time.Time, error) {
	return func(m rueidis.RedisMessage) (time.Time, error) {
		n, err := m.AsInt64()
		switch {
		case err != nil:
			return time.Time{}, err
		case n == -2:
			return time.Time{}, ErrNil
		case n == -1:
			return time.Time{}, nil
		}
		return time.Unix(0, n*int64(unit)), nil
	}
}

// ExpireTime returns when key expires (zero Time when it has no expiry;
// NotFound when missing). Redis 7+.
func (c *Client) ExpireTime(ctx context.Context, key string) (time.Time, error) {
	return run(c, ctx, opExpireTime, c.bld.Expiretime().Key(key).Build(), expireTimeReply(time.Second))
}

// PExpireTime is ExpireTime with millisecond precision. Redis 7+.
func (c *Client) PExpireTime(ctx context.Context, key string) (time.Time, error) {
	return run(c, ctx, opPExpireTime, c.bld.Pexpiretime().Key(key).Build(), expireTimeReply(time.Millisecond))
}

// Persist removes the TTL of key; it reports whether there was one.
func (c *Client) Persist(ctx context.Context, key string) (bool, error) {
	return run(c, ctx, opPersist, c.bld.Persist().Key(key).Build(), asBool)
}

// Dump returns the serialized value of key (NotFound if missing).
func (c *Client) Dump(ctx context.Context, key string) ([]byte, error) {
	return run(c, ctx, opDump, c.bld.Dump().Key(key).Build(), func(m rueidis.RedisMessage) ([]byte, error) { return m.AsBytes() })
}

// Restore creates key from a Dump; ttl 0 means no expiry.
func (c *Client) Restore(ctx context.Context, key string, ttl time.Duration, dump []byte, replace bool) error {
	a := c.bld.Arbitrary("RESTORE").Keys(key).Args(ms(ttl), string(dump))
	if replace {
		a = a.Args("REPLACE")
	}
	_, err := run(c, ctx, opRestore, a.Build(), asOK)
	return err
}

// Keys returns every key matching pattern. It scans the whole keyspace on
// the server (O(N)); prefer Scan on large databases. In cluster mode it
// asks one node only.
func (c *Client) Keys(ctx context.Context, pattern string) ([]string, error) {
	return run(c, ctx, opKeys, c.bld.Keys().Pattern(pattern).Build(), asStrings)
}

// ScanOptions filter SCAN-family iteration.
type ScanOptions struct {
	Match string // glob pattern; empty means all
	Count int64  // hint for the page size; 0 means the server default
	Type  string // SCAN only: key type such as "string" or "hash"
}

func (o ScanOptions) args() []string {
	var a []string
	if o.Match != "" {
		a = append(a, "MATCH", o.Match)
	}
	if o.Count > 0 {
		a = append(a, "COUNT", itoa(o.Count))
	}
	if o.Type != "" {
		a = append(a, "TYPE", o.Type)
	}
	return a
}

// Scan returns one page of keys from cursor (start with 0).
func (c *Client) Scan(ctx context.Context, cursor uint64, o ScanOptions) (ScanPage, error) {
	return run(c, ctx, opScan, c.bld.Arbitrary("SCAN", strconv.FormatUint(cursor, 10)).Args(o.args()...).ReadOnly(), asScan)
}

// ScanAll iterates over every key matching o, page by page (one round
// trip per page). A key may appear twice if it is modified during the
// scan, as SCAN guarantees. In cluster mode use Nodes and scan each.
func (c *Client) ScanAll(ctx context.Context, o ScanOptions) iter.Seq2[string, error] {
	return scanIter(ctx, func(cur uint64) (ScanPage, error) { return c.Scan(ctx, cur, o) }, 1)
}

func scanIter(ctx context.Context, page func(uint64) (ScanPage, error), step int) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		var cur uint64
		for {
			p, err := page(cur)
			if err != nil {
				yield("", err)
				return
			}
			for i := 0; i < len(p.Items); i += step {
				if !yield(p.Items[i], nil) {
					return
				}
			}
			if cur = p.Cursor; cur == 0 {
				return
			}
			if err := ctx.Err(); err != nil {
				yield("", wrapErr("scan", err))
				return
			}
		}
	}
}

// RandomKey returns a random key; NotFound when the database is empty.
func (c *Client) RandomKey(ctx context.Context) (string, error) {
	return run(c, ctx, opRandomKey, c.bld.Randomkey().Build(), asString)
}

// Type returns the type of key: "string", "list", "set", "zset", "hash",
// "stream", or "none" for a missing key.
func (c *Client) Type(ctx context.Context, key string) (string, error) {
	return run(c, ctx, opType, c.bld.Type().Key(key).Build(), asString)
}

// Copy copies src to dst; it reports whether it did (false when dst exists
// and replace is false).
func (c *Client) Copy(ctx context.Context, src, dst string, replace bool) (bool, error) {
	if err := c.sameSlot("copy", src, dst); err != nil {
		return false, err
	}
	a := c.bld.Arbitrary("COPY").Keys(src, dst)
	if replace {
		a = a.Args("REPLACE")
	}
	return run(c, ctx, opCopy, a.Build(), asBool)
}

// Rename renames key to newKey, replacing newKey. A missing key is the
// server's "ERR no such key", so InvalidArgument.
func (c *Client) Rename(ctx context.Context, key, newKey string) error {
	if err := c.sameSlot("rename", key, newKey); err != nil {
		return err
	}
	_, err := run(c, ctx, opRename, c.bld.Arbitrary("RENAME").Keys(key, newKey).Build(), asOK)
	return err
}

// RenameNX renames key only if newKey does not exist; it reports whether it did.
func (c *Client) RenameNX(ctx context.Context, key, newKey string) (bool, error) {
	if err := c.sameSlot("renamenx", key, newKey); err != nil {
		return false, err
	}
	return run(c, ctx, opRenameNX, c.bld.Arbitrary("RENAMENX").Keys(key, newKey).Build(), asBool)
}

// BitCount counts set bits in the value at key.
func (c *Client) BitCount(ctx context.Context, key string) (int64, error) {
	return run(c, ctx, opBitCount, c.bld.Bitcount().Key(key).Build(), asInt)
}

// GetBit returns the bit at offset.
func (c *Client) GetBit(ctx context.Context, key string, offset int64) (int64, error) {
	return run(c, ctx, opGetBit, c.bld.Getbit().Key(key).Offset(offset).Build(), asInt)
}

// SetBit sets the bit at offset to value (0 or 1) and returns the old bit.
func (c *Client) SetBit(ctx context.Context, key string, offset int64, value int) (int64, error) {
	if value != 0 && value != 1 {
		return 0, c.refuse(ctx, opSetBit, invalid("setbit", "value must be 0 or 1 (got %d)", value))
	}
	return run(c, ctx, opSetBit, c.bld.Setbit().Key(key).Offset(offset).Value(int64(value)).Build(), asInt)
}

// DBSize returns the number of keys in the database.
func (c *Client) DBSize(ctx context.Context) (int64, error) {
	return run(c, ctx, opDBSize, c.bld.Dbsize().Build(), asInt)
}

// FlushDB deletes every key of the current database (of one node in
// cluster mode).
func (c *Client) FlushDB(ctx context.Context) error {
	_, err := run(c, ctx, opFlushDB, c.bld.Flushdb().Build(), asOK)
	return err
}

// Select returns a new Client using database db. Connections are shared by
// concurrent callers, so SELECT cannot change the database of this Client
// in place; the new Client has its own connections and must be closed.
// Config.Security's Policy is asked for operation "select" on the
// database number ("2").
func (c *Client) Select(ctx context.Context, db int) (*Client, error) {
	if c.closed.Load() {
		return nil, arsenal.Closed(Kind, "select")
	}
	if c.sec {
		if err := c.cfg.Security.Authorize(ctx, Kind, "select", strconv.Itoa(db)); err != nil {
			return nil, c.refuse(ctx, opSelect, err)
		}
	}
	cfg := c.orig
	cfg.DB = db
	start := time.Now()
	nc, err := Open(ctx, cfg)
	c.op(opSelect).Record(time.Since(start), err)
	return nc, err
}
