package redis

import (
	"context"
	"time"

	"github.com/redis/rueidis"
)

// command is one Redis command with its reply parser. Each command that
// Client, Pipeline and Tx share is defined once, by a constructor below,
// and run alike: by Client (one round trip, see do), queued in a Pipeline
// or transaction (enqueue), or on a Tx's connection (txDo). A validation
// error found while building is kept in err; nothing is sent then.
type command[T any] struct {
	id    opID
	cmd   rueidis.Completed
	parse func(rueidis.RedisMessage) (T, error)
	err   error
}

// cmds builds the shared commands.
type cmds struct{ b rueidis.Builder }

func newCommand[T any](id opID, cmd rueidis.Completed, parse func(rueidis.RedisMessage) (T, error)) command[T] {
	return command[T]{id: id, cmd: cmd, parse: parse}
}

func badCommand[T any](id opID, err error) command[T] { return command[T]{id: id, err: err} }

// do runs k on the client.
func do[T any](c *Client, ctx context.Context, k command[T]) (T, error) {
	if k.err != nil {
		var zero T
		return zero, c.refuse(ctx, k.id, k.err)
	}
	return run(c, ctx, k.id, k.cmd, k.parse)
}

// enqueue adds k to p; a command that failed validation fails the
// Pipeline's Exec without sending anything.
func enqueue[T any](p *Pipeline, k command[T]) *Future[T] {
	if k.err != nil {
		p.fail(k.err)
		return &Future[T]{done: true, err: k.err}
	}
	return queue(p, k.id, k.cmd, k.parse)
}

// txDo runs k on t's dedicated connection (a read between WATCH and EXEC).
func txDo[T any](t *Tx, ctx context.Context, k command[T]) (T, error) {
	var zero T
	if k.err != nil {
		return zero, k.err
	}
	if err := t.c.txSameSlot(opNames[k.id], rueidis.Commands{k.cmd}, t.slot); err != nil {
		return zero, err
	}
	var s secured
	if t.c.sec {
		var err error
		if s, err = t.c.secure(ctx, k.id, &k.cmd); err != nil {
			return zero, err
		}
	}
	m, err := t.dc.Do(ctx, k.cmd).ToMessage()
	if err != nil && !rueidis.IsRedisNil(err) {
		err = t.c.failed(opNames[k.id], replyErr(&m, err))
		if t.c.sec {
			t.c.record(ctx, s, err)
		}
		return zero, err
	}
	if t.c.sec {
		t.c.record(ctx, s, nil)
	}
	v, err := k.parse(m)
	return v, wrapErr(opNames[k.id], err)
}

func (k cmds) get(key string) command[string] {
	return newCommand(opGet, k.b.Get().Key(key).Build(), asString)
}

func (k cmds) set(key, value string) command[struct{}] {
	return newCommand(opSet, k.b.Set().Key(key).Value(value).Build(), asOK)
}

// setEx is SETEX for whole seconds, PSETEX (milliseconds) otherwise.
func (k cmds) setEx(key, value string, ttl time.Duration) command[struct{}] {
	if ttl < time.Millisecond {
		return badCommand[struct{}](opSetEx, invalid("setex", "ttl %s is below one millisecond", ttl))
	}
	if ttl%time.Second == 0 {
		return newCommand(opSetEx, k.b.Setex().Key(key).Seconds(int64(ttl/time.Second)).Value(value).Build(), asOK)
	}
	return newCommand(opSetEx, k.b.Psetex().Key(key).Milliseconds(ttl.Milliseconds()).Value(value).Build(), asOK)
}

func (k cmds) incr(key string) command[int64] {
	return newCommand(opIncr, k.b.Incr().Key(key).Build(), asInt)
}

func (k cmds) incrBy(key string, n int64) command[int64] {
	return newCommand(opIncrBy, k.b.Incrby().Key(key).Increment(n).Build(), asInt)
}

// expire is EXPIRE for whole seconds, PEXPIRE otherwise.
func (k cmds) expire(key string, ttl time.Duration) command[bool] {
	if ttl%time.Second != 0 {
		return k.pexpire(key, ttl)
	}
	return newCommand(opExpire, k.b.Expire().Key(key).Seconds(int64(ttl/time.Second)).Build(), asBool)
}

func (k cmds) pexpire(key string, ttl time.Duration) command[bool] {
	return newCommand(opPExpire, k.b.Pexpire().Key(key).Milliseconds(ttl.Milliseconds()).Build(), asBool)
}

func (k cmds) hset(key string, pairs []string) command[int64] {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return badCommand[int64](opHSet, invalid("hset", "needs field/value pairs (got %d arguments)", len(pairs)))
	}
	b := k.b.Hset().Key(key).FieldValue()
	for i := 0; i < len(pairs); i += 2 {
		b = b.FieldValue(pairs[i], pairs[i+1])
	}
	return newCommand(opHSet, b.Build(), asInt)
}

func (k cmds) hget(key, field string) command[string] {
	return newCommand(opHGet, k.b.Hget().Key(key).Field(field).Build(), asString)
}

func (k cmds) hgetAll(key string) command[map[string]string] {
	return newCommand(opHGetAll, k.b.Hgetall().Key(key).Build(), asStrMap)
}

func (k cmds) hincrBy(key, field string, n int64) command[int64] {
	return newCommand(opHIncrBy, k.b.Hincrby().Key(key).Field(field).Increment(n).Build(), asInt)
}

func (k cmds) lpush(key string, elements []string) command[int64] {
	return newCommand(opLPush, k.b.Lpush().Key(key).Element(elements...).Build(), asInt)
}

func (k cmds) rpush(key string, elements []string) command[int64] {
	return newCommand(opRPush, k.b.Rpush().Key(key).Element(elements...).Build(), asInt)
}

func (k cmds) lrange(key string, start, stop int64) command[[]string] {
	return newCommand(opLRange, k.b.Lrange().Key(key).Start(start).Stop(stop).Build(), asStrings)
}

func (k cmds) sadd(key string, members []string) command[int64] {
	return newCommand(opSAdd, k.b.Sadd().Key(key).Member(members...).Build(), asInt)
}

func (k cmds) zscore(key, member string) command[float64] {
	return newCommand(opZScore, k.b.Zscore().Key(key).Member(member).Build(), asFloat)
}

func (k cmds) publish(channel, message string) command[int64] {
	return newCommand(opPublish, k.b.Publish().Channel(channel).Message(message).Build(), asInt)
}

func (k cmds) zadd(key string, o ZAddOptions, members []Z) command[int64] {
	if len(members) == 0 {
		return badCommand[int64](opZAdd, invalid("zadd", "needs at least one member"))
	}
	if o.NX && (o.XX || o.GT || o.LT) || o.GT && o.LT {
		return badCommand[int64](opZAdd, invalid("zadd", "NX excludes XX, GT and LT; GT excludes LT"))
	}
	a := k.b.Arbitrary("ZADD").Keys(key)
	for _, f := range []struct {
		on   bool
		name string
	}{{o.NX, "NX"}, {o.XX, "XX"}, {o.GT, "GT"}, {o.LT, "LT"}, {o.CH, "CH"}} {
		if f.on {
			a = a.Args(f.name)
		}
	}
	for _, m := range members {
		a = a.Args(ftoa(m.Score), m.Member)
	}
	return newCommand(opZAdd, a.Build(), asInt)
}

func (k cmds) xadd(a XAddArgs) command[string] {
	if len(a.Values) == 0 || len(a.Values)%2 != 0 {
		return badCommand[string](opXAdd, invalid("xadd", "Values needs field/value pairs (got %d)", len(a.Values)))
	}
	if a.MaxLen > 0 && a.MinID != "" {
		return badCommand[string](opXAdd, invalid("xadd", "MaxLen and MinID exclude each other"))
	}
	b := k.b.Arbitrary("XADD").Keys(a.Stream)
	if a.NoMkStream {
		b = b.Args("NOMKSTREAM")
	}
	b = b.Args(trimArgs(a.MaxLen, a.MinID, a.Approx)...)
	id := a.ID
	if id == "" {
		id = "*"
	}
	return newCommand(opXAdd, b.Args(id).Args(a.Values...).Build(), asString)
}
