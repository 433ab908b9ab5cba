package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
)

var (
	opEval, opEvalSha, opScriptLoad = newOp("eval"), newOp("evalsha"), newOp("script load")
	opScriptExists, opScriptFlush   = newOp("script exists"), newOp("script flush")
	opPublish, opSPublish           = newOp("publish"), newOp("spublish")
	opCachedGet, opCachedHGet       = newOp("cached get"), newOp("cached hget")
	opCachedHGetAll, opCachedSMem   = newOp("cached hgetall"), newOp("cached smembers")
	opCachedMGet                    = newOp("cached mget")
)

// ---- scripting ----

// Eval runs a Lua script. A nil result is a Reply whose IsNil is true.
func (c *Client) Eval(ctx context.Context, script string, keys []string, args ...string) (Reply, error) {
	if err := c.sameSlot("eval", keys...); err != nil {
		return Reply{}, err
	}
	return run(c, ctx, opEval, c.bld.Arbitrary("EVAL", script, strconv.Itoa(len(keys))).Keys(keys...).Args(args...).Build(), asReply)
}

// EvalSha runs a script loaded earlier; an unknown SHA is NotFound
// (NOSCRIPT). Script.Run falls back to EVAL by itself.
func (c *Client) EvalSha(ctx context.Context, sha string, keys []string, args ...string) (Reply, error) {
	if err := c.sameSlot("evalsha", keys...); err != nil {
		return Reply{}, err
	}
	return run(c, ctx, opEvalSha, c.bld.Arbitrary("EVALSHA", sha, strconv.Itoa(len(keys))).Keys(keys...).Args(args...).Build(), asReply)
}

// ScriptLoad loads a script into the script cache and returns its SHA1.
// In cluster mode it loads on one node; Script.Run handles the rest.
func (c *Client) ScriptLoad(ctx context.Context, script string) (string, error) {
	return run(c, ctx, opScriptLoad, c.bld.ScriptLoad().Script(script).Build(), asString)
}

// ScriptExists reports which SHAs are in the script cache.
func (c *Client) ScriptExists(ctx context.Context, shas ...string) ([]bool, error) {
	return run(c, ctx, opScriptExists, c.bld.ScriptExists().Sha1(shas...).Build(), func(m rueidis.RedisMessage) ([]bool, error) { return m.AsBoolSlice() })
}

// ScriptFlush empties the script cache.
func (c *Client) ScriptFlush(ctx context.Context) error {
	_, err := run(c, ctx, opScriptFlush, c.bld.ScriptFlush().Build(), asOK)
	return err
}

// Script is a Lua script run by SHA1 with EVALSHA, sending the body with
// EVAL only when the server does not have it cached (after a restart, a
// SCRIPT FLUSH, or on a new cluster node). A Script is safe for
// concurrent use with any number of Clients.
type Script struct {
	body string
	sha  string
}

// NewScript prepares a script; it computes the SHA1 once and does no I/O.
func NewScript(body string) *Script {
	sum := sha1.Sum([]byte(body))
	return &Script{body: body, sha: hex.EncodeToString(sum[:])}
}

// SHA1 returns the script's SHA1, as SCRIPT LOAD would.
func (s *Script) SHA1() string { return s.sha }

// Run runs the script on c: EVALSHA, then EVAL on NOSCRIPT (one extra round
// trip the first time per server).
func (s *Script) Run(ctx context.Context, c *Client, keys []string, args ...string) (Reply, error) {
	r, err := c.EvalSha(ctx, s.sha, keys, args...)
	if err == nil || !isNoScript(err) {
		return r, err
	}
	return c.Eval(ctx, s.body, keys, args...)
}

func isNoScript(err error) bool {
	re, ok := asRedisError(err)
	return ok && re.IsNoScript()
}

func asRedisError(err error) (*rueidis.RedisError, bool) {
	for e := err; e != nil; {
		if re, ok := rueidis.IsRedisErr(e); ok {
			return re, true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return nil, false
		}
		e = u.Unwrap()
	}
	return nil, false
}

// ---- pub/sub publishing ----

// Publish posts message to channel and returns how many subscribers (of
// the node it reached) received it. It honours ctx's deadline like every
// call.
func (c *Client) Publish(ctx context.Context, channel, message string) (int64, error) {
	return do(c, ctx, c.k.publish(channel, message))
}

// SPublish posts message to a sharded channel (Redis 7+), routed by the
// channel's slot in cluster mode.
func (c *Client) SPublish(ctx context.Context, channel, message string) (int64, error) {
	return run(c, ctx, opSPublish, c.bld.Spublish().Channel(channel).Message(message).Build(), asInt)
}

// ---- Do ----

// blockingCommands use the blocking pool so they never stall the shared
// pipeline.
var blockingCommands = map[string]bool{
	"BLPOP": true, "BRPOP": true, "BLMOVE": true, "BRPOPLPUSH": true, "BLMPOP": true,
	"BZPOPMIN": true, "BZPOPMAX": true, "BZMPOP": true, "WAIT": true, "WAITAOF": true,
}

// refusedCommands would break the shared connections; each has a method.
var refusedCommands = map[string]string{
	"SUBSCRIBE": "Subscribe", "PSUBSCRIBE": "PSubscribe", "SSUBSCRIBE": "SSubscribe",
	"UNSUBSCRIBE": "Subscription.Unsubscribe", "PUNSUBSCRIBE": "Subscription.Unsubscribe",
	"SUNSUBSCRIBE": "Subscription.Unsubscribe", "MULTI": "TxPipelined or Watch",
	"EXEC": "TxPipelined or Watch", "DISCARD": "TxPipelined or Watch", "WATCH": "Watch",
	"UNWATCH": "Watch", "SELECT": "Select or Config.DB", "MONITOR": "a separate tool",
	"QUIT": "Close", "RESET": "Close", "HELLO": "Config", "AUTH": "Config.Username/Password",
	"CLIENT TRACKING": "Config.DisableCache",
}

// Do sends any command: Do(ctx, "OBJECT", "ENCODING", "k"). Arguments may
// be strings, []byte, integers, floats, bools, time.Duration (as
// milliseconds) or fmt.Stringer. Blocking commands (BLPOP, XREAD BLOCK,
// WAIT ...) run on the blocking pool. Commands that would break the
// shared connections (SUBSCRIBE, MULTI, SELECT ...) are InvalidArgument
// naming the method to use instead. Do cannot know which arguments are
// keys: in cluster mode it relies on MOVED redirection. A nil reply is a
// Reply whose IsNil is true, not an error.
func (c *Client) Do(ctx context.Context, args ...any) (Reply, error) {
	cmd, id, err := c.buildDo(args)
	if err != nil {
		return Reply{}, c.refuse(ctx, id, err)
	}
	msg, err := c.execOn(ctx, id, cmd, false)
	if err != nil {
		return Reply{}, err
	}
	return Reply{msg}, nil
}

func (c *Client) buildDo(args []any) (rueidis.Completed, opID, error) {
	if len(args) == 0 {
		return rueidis.Completed{}, opDo, invalid("do", "needs a command")
	}
	strs := make([]string, len(args))
	for i, a := range args {
		s, err := argString(a)
		if err != nil {
			return rueidis.Completed{}, opDo, invalid("do", "argument %d: %v", i, err)
		}
		strs[i] = s
	}
	name := strings.ToUpper(strs[0])
	if name == "" {
		return rueidis.Completed{}, opDo, invalid("do", "empty command name")
	}
	full := name
	if len(strs) > 1 {
		full = name + " " + strings.ToUpper(strs[1])
	}
	for _, n := range []string{name, full} {
		if alt, ok := refusedCommands[n]; ok {
			return rueidis.Completed{}, opDo, invalid("do", "%s is not allowed through Do; use %s", n, alt)
		}
	}
	a := c.bld.Arbitrary(strs...)
	block := blockingCommands[name]
	if name == "XREAD" || name == "XREADGROUP" {
		for _, s := range strs[1:] {
			if strings.EqualFold(s, "BLOCK") {
				block = true
			}
		}
	}
	if block {
		return a.Blocking(), opFor(name), nil
	}
	return a.Build(), opFor(name), nil
}

func argString(a any) (string, error) {
	switch v := a.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return itoa(v), nil
	case int32:
		return itoa(int64(v)), nil
	case uint:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case float64:
		return ftoa(v), nil
	case float32:
		return ftoa(float64(v)), nil
	case bool:
		if v {
			return "1", nil
		}
		return "0", nil
	case time.Duration:
		return ms(v), nil
	case fmt.Stringer:
		return v.String(), nil
	case nil:
		return "", fmt.Errorf("nil is not a Redis value")
	}
	return "", fmt.Errorf("unsupported type %T", a)
}

// ---- client-side caching ----

// doCache runs a cacheable read through the client-side cache (or as a
// plain read where caching is off) and counts hits.
func (c *Client) doCache(ctx context.Context, id opID, cmd rueidis.Cacheable, ttl time.Duration) (_ rueidis.RedisMessage, err error) {
	if ttl <= 0 {
		return rueidis.RedisMessage{}, c.refuse(ctx, id, invalid(opNames[id], "ttl must be positive"))
	}
	if c.sec {
		full := rueidis.Completed(cmd)
		s, serr := c.secure(ctx, id, &full)
		if serr != nil {
			return rueidis.RedisMessage{}, c.refuse(ctx, id, serr)
		}
		defer func() { c.record(ctx, s, err) }()
	}
	if err = c.gate(ctx, id); err != nil {
		return rueidis.RedisMessage{}, err
	}
	ctx, cancel := c.bound(ctx, false)
	if cancel != nil {
		defer cancel()
	}
	var h hooked
	if c.hooks {
		cmd := rueidis.Completed(cmd)
		ctx, h = c.hookStart(ctx, id, &cmd)
	}
	start := time.Now()
	msg, err := c.rc.DoCache(ctx, cmd, ttl).ToMessage()
	if rueidis.IsRedisNil(err) {
		err = nil
	}
	if err != nil {
		err = c.failed(opNames[id], replyErr(&msg, err))
		c.op(id).Record(time.Since(start), err)
		if c.hooks {
			c.hookEnd(ctx, id, h, err)
		}
		return msg, err
	}
	c.op(id).Record(time.Since(start), nil)
	if c.hooks {
		c.hookEnd(ctx, id, h, nil)
	}
	if msg.IsCacheHit() {
		c.cacheHits.Add(1)
	} else {
		c.cacheMisses.Add(1)
	}
	return msg, nil
}

func cached[T any](c *Client, ctx context.Context, id opID, cmd rueidis.Cacheable, ttl time.Duration, parse func(rueidis.RedisMessage) (T, error)) (T, error) {
	msg, err := c.doCache(ctx, id, cmd, ttl)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := parse(msg)
	return v, wrapErr(opNames[id], err)
}

// CachedGet is Get served from the client-side cache for up to ttl: the
// server invalidates the entry when the key changes (CLIENT TRACKING), so
// a hit costs no round trip. Where caching is off (see CacheInfo) it is a
// plain GET.
func (c *Client) CachedGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return cached(c, ctx, opCachedGet, c.bld.Get().Key(key).Cache(), ttl, asString)
}

// CachedHGet is HGet through the client-side cache.
func (c *Client) CachedHGet(ctx context.Context, key, field string, ttl time.Duration) (string, error) {
	return cached(c, ctx, opCachedHGet, c.bld.Hget().Key(key).Field(field).Cache(), ttl, asString)
}

// CachedHGetAll is HGetAll through the client-side cache.
func (c *Client) CachedHGetAll(ctx context.Context, key string, ttl time.Duration) (map[string]string, error) {
	return cached(c, ctx, opCachedHGetAll, c.bld.Hgetall().Key(key).Cache(), ttl, asStrMap)
}

// CachedSMembers is SMembers through the client-side cache.
func (c *Client) CachedSMembers(ctx context.Context, key string, ttl time.Duration) ([]string, error) {
	return cached(c, ctx, opCachedSMem, c.bld.Smembers().Key(key).Cache(), ttl, asStrings)
}

// CachedMGet is MGet through the client-side cache, key by key (only
// missing entries go to the server, in one pipeline).
func (c *Client) CachedMGet(ctx context.Context, ttl time.Duration, keys ...string) (_ []Opt[string], err error) {
	if ttl <= 0 {
		return nil, c.refuse(ctx, opCachedMGet, invalid("cached mget", "ttl must be positive"))
	}
	if c.sec {
		s, serr := c.secureNames(ctx, "mget", keys)
		if serr != nil {
			return nil, c.refuse(ctx, opCachedMGet, serr)
		}
		defer func() { c.record(ctx, s, err) }()
	}
	if err = c.gate(ctx, opCachedMGet); err != nil {
		return nil, err
	}
	ctx, cancel := c.bound(ctx, false)
	if cancel != nil {
		defer cancel()
	}
	start := time.Now()
	m, err := rueidis.MGetCache(c.rc, ctx, ttl, keys)
	if err != nil {
		err = c.failed("cached mget", err)
		c.op(opCachedMGet).Record(time.Since(start), err)
		return nil, err
	}
	c.op(opCachedMGet).Record(time.Since(start), nil)
	out := make([]Opt[string], len(keys))
	for i, k := range keys {
		msg := m[k]
		if msg.IsCacheHit() {
			c.cacheHits.Add(1)
		} else {
			c.cacheMisses.Add(1)
		}
		if msg.IsNil() {
			continue
		}
		s, err := msg.ToString()
		if err != nil {
			return nil, wrapErr("cached mget", err)
		}
		out[i] = Opt[string]{s, true}
	}
	return out, nil
}

var _ = arsenal.OK
