package redis

import (
	"context"
	"errors"
	"time"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
)

// Future is the result of a command queued in a Pipeline or transaction;
// it is filled when the batch runs.
type Future[T any] struct {
	v    T
	err  error
	done bool
}

// Result returns the value and error; before the batch ran it returns a
// FailedPrecondition error.
func (f *Future[T]) Result() (T, error) {
	if !f.done {
		var zero T
		return zero, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "future", "the pipeline has not run yet")
	}
	return f.v, f.err
}

// Val returns the value, or the zero value on error.
func (f *Future[T]) Val() T { return f.v }

// Err returns the command's error.
func (f *Future[T]) Err() error {
	_, err := f.Result()
	return err
}

// Pipeline queues commands and sends them in one batch (one write, one
// round trip), or, for a transaction, inside MULTI/EXEC. It is not safe
// for concurrent use; build it in one goroutine, then call Exec once.
//
// Concurrent callers of Client methods are already pipelined
// automatically; an explicit Pipeline is for one caller with many
// commands.
type Pipeline struct {
	c     *Client
	cmds  rueidis.Commands
	sinks []func(rueidis.RedisMessage, error)
	err   error // first error found while queueing
	ran   bool
}

// Pipeline returns an empty batch.
func (c *Client) Pipeline() *Pipeline { return &Pipeline{c: c} }

// Len returns the number of queued commands.
func (p *Pipeline) Len() int { return len(p.cmds) }

func queue[T any](p *Pipeline, id opID, cmd rueidis.Completed, parse func(rueidis.RedisMessage) (T, error)) *Future[T] {
	f := &Future[T]{}
	p.cmds = append(p.cmds, cmd)
	p.sinks = append(p.sinks, func(m rueidis.RedisMessage, err error) {
		f.done = true
		if err != nil {
			f.err = err
			return
		}
		v, perr := parse(m)
		f.v, f.err = v, wrapErr(opNames[id], perr)
	})
	return f
}

func (p *Pipeline) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// Do queues any command (as Client.Do).
func (p *Pipeline) Do(args ...any) *Future[Reply] {
	cmd, id, err := p.c.buildDo(args)
	if err != nil {
		p.fail(err)
		return &Future[Reply]{done: true, err: err}
	}
	return queue(p, id, cmd, asReply)
}

// Get queues a GET; a missing key makes the Future's error NotFound.
func (p *Pipeline) Get(key string) *Future[string] {
	return enqueue(p, p.c.k.get(key))
}

// Set queues a SET without options.
func (p *Pipeline) Set(key, value string) *Future[struct{}] {
	return enqueue(p, p.c.k.set(key, value))
}

// SetBytes queues a SET of a binary value.
func (p *Pipeline) SetBytes(key string, value []byte) *Future[struct{}] {
	return enqueue(p, p.c.k.set(key, string(value)))
}

// SetEx queues a SetEx: SETEX for whole seconds, PSETEX otherwise.
func (p *Pipeline) SetEx(key, value string, ttl time.Duration) *Future[struct{}] {
	return enqueue(p, p.c.k.setEx(key, value, ttl))
}

// Del queues a DEL; in cluster mode every key must hash to one slot
// (otherwise Exec fails with InvalidArgument, CROSSSLOT).
func (p *Pipeline) Del(keys ...string) *Future[int64] {
	if err := p.c.sameSlot("del", keys...); err != nil {
		p.fail(err)
		return &Future[int64]{done: true, err: err}
	}
	return queue(p, opDel, p.c.bld.Del().Key(keys...).Build(), asInt)
}

// Incr queues an INCR.
func (p *Pipeline) Incr(key string) *Future[int64] {
	return enqueue(p, p.c.k.incr(key))
}

// IncrBy queues an INCRBY.
func (p *Pipeline) IncrBy(key string, n int64) *Future[int64] {
	return enqueue(p, p.c.k.incrBy(key, n))
}

// Expire queues an Expire: EXPIRE for whole seconds, PEXPIRE otherwise.
func (p *Pipeline) Expire(key string, ttl time.Duration) *Future[bool] {
	return enqueue(p, p.c.k.expire(key, ttl))
}

// HSet queues an HSET of field/value pairs.
func (p *Pipeline) HSet(key string, pairs ...string) *Future[int64] {
	return enqueue(p, p.c.k.hset(key, pairs))
}

// HGet queues an HGET.
func (p *Pipeline) HGet(key, field string) *Future[string] {
	return enqueue(p, p.c.k.hget(key, field))
}

// HGetAll queues an HGETALL.
func (p *Pipeline) HGetAll(key string) *Future[map[string]string] {
	return enqueue(p, p.c.k.hgetAll(key))
}

// HIncrBy queues an HINCRBY.
func (p *Pipeline) HIncrBy(key, field string, n int64) *Future[int64] {
	return enqueue(p, p.c.k.hincrBy(key, field, n))
}

// LPush queues an LPUSH.
func (p *Pipeline) LPush(key string, elements ...string) *Future[int64] {
	return enqueue(p, p.c.k.lpush(key, elements))
}

// RPush queues an RPUSH.
func (p *Pipeline) RPush(key string, elements ...string) *Future[int64] {
	return enqueue(p, p.c.k.rpush(key, elements))
}

// LRange queues an LRANGE.
func (p *Pipeline) LRange(key string, start, stop int64) *Future[[]string] {
	return enqueue(p, p.c.k.lrange(key, start, stop))
}

// SAdd queues an SADD.
func (p *Pipeline) SAdd(key string, members ...string) *Future[int64] {
	return enqueue(p, p.c.k.sadd(key, members))
}

// ZAdd queues a ZADD.
func (p *Pipeline) ZAdd(key string, members ...Z) *Future[int64] {
	return enqueue(p, p.c.k.zadd(key, ZAddOptions{}, members))
}

// ZScore queues a ZSCORE.
func (p *Pipeline) ZScore(key, member string) *Future[float64] {
	return enqueue(p, p.c.k.zscore(key, member))
}

// Publish queues a PUBLISH.
func (p *Pipeline) Publish(channel, message string) *Future[int64] {
	return enqueue(p, p.c.k.publish(channel, message))
}

// XAdd queues an XADD with a server-assigned ID.
func (p *Pipeline) XAdd(stream string, values ...string) *Future[string] {
	return enqueue(p, p.c.k.xadd(XAddArgs{Stream: stream, Values: values}))
}

// Exec sends the queued commands in one batch and fills their Futures. It
// returns the first error among them (each Future has its own), and
// records one "pipeline" latency. A Pipeline runs once.
func (p *Pipeline) Exec(ctx context.Context) error {
	if p.ran {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "pipeline", "a Pipeline runs once")
	}
	p.ran = true
	if p.err != nil {
		p.abandon(p.err)
		return p.err
	}
	if len(p.cmds) == 0 {
		return nil
	}
	if err := p.c.pipelineSameSlot(p.cmds); err != nil {
		p.abandon(err)
		return err
	}
	res, err := p.c.execMulti(ctx, opPipeline, p.cmds)
	if res == nil {
		p.abandon(err)
		return err
	}
	var first error
	for i, r := range res {
		m, e := r.ToMessage()
		if e != nil && !rueidis.IsRedisNil(e) {
			e = wrapErr(opNames[opPipeline], replyErr(&m, e))
			if first == nil {
				first = e
			}
			p.sinks[i](m, e)
			continue
		}
		p.sinks[i](m, nil)
	}
	if first == nil {
		first = err
	}
	return first
}

func (p *Pipeline) abandon(err error) {
	for _, s := range p.sinks {
		s(rueidis.RedisMessage{}, err)
	}
}

// ---- transactions ----

// TxPipelined runs the commands fn queues atomically inside MULTI/EXEC, in
// one round trip. In cluster mode every key must hash to one slot. If fn
// returns an error nothing is sent.
func (c *Client) TxPipelined(ctx context.Context, fn func(p *Pipeline) error) error {
	p := c.Pipeline()
	if err := fn(p); err != nil {
		return err
	}
	_, err := c.execTx(ctx, p, c.rc, noSlot)
	return err
}

// execTx sends MULTI, the queued commands and EXEC on client (the shared
// pipeline, or a dedicated connection holding WATCHes), and fills the
// Futures from EXEC's reply. A nil EXEC (a WATCHed key changed) is Aborted.
//
// slot is the slot the transaction is bound to (a Tx's watched keys), or
// noSlot; in cluster mode commands hashing elsewhere fail with
// InvalidArgument (CROSSSLOT) before any I/O, where rueidis would panic.
// sent reports whether EXEC reached the server (which clears WATCHes).
func (c *Client) execTx(ctx context.Context, p *Pipeline, client rueidis.CoreClient, slot int) (sent bool, _ error) {
	if p.ran {
		return false, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "tx", "a Pipeline runs once")
	}
	p.ran = true
	if p.err != nil {
		p.abandon(p.err)
		return false, p.err
	}
	if len(p.cmds) == 0 {
		return false, nil
	}
	if err := c.txSameSlot("tx", p.cmds, slot); err != nil {
		p.abandon(err)
		return false, err
	}
	var ss []secured
	if c.sec {
		var err error
		if ss, err = c.secureAll(ctx, p.cmds); err != nil {
			p.abandon(err)
			return false, c.refuse(ctx, opTx, err)
		}
	}
	if err := c.gate(ctx, opTx); err != nil {
		c.recordAll(ctx, ss, nil, err)
		p.abandon(err)
		return false, err
	}
	ctx, cancel := c.bound(ctx, false)
	if cancel != nil {
		defer cancel()
	}
	cmds := make(rueidis.Commands, 0, len(p.cmds)+2)
	cmds = append(cmds, c.bld.Multi().Build())
	cmds = append(cmds, p.cmds...)
	cmds = append(cmds, c.bld.Exec().Build())
	var h hooked
	if c.hooks {
		ctx, h = c.hookStart(ctx, opTx, nil)
	}
	start := time.Now()
	res := client.DoMulti(ctx, cmds...)
	sent = res[len(res)-1].NonRedisError() == nil
	err := c.fillTx(p, res)
	c.op(opTx).Record(time.Since(start), err)
	if c.hooks {
		c.hookEnd(ctx, opTx, h, err)
	}
	c.recordAll(ctx, ss, nil, err) // a transaction's commands share its outcome
	return sent, err
}

func (c *Client) fillTx(p *Pipeline, res []rueidis.RedisResult) error {
	for _, r := range res[:len(res)-1] {
		if e := r.NonRedisError(); e != nil {
			err := c.failed("tx", e)
			p.abandon(err)
			return err
		}
	}
	exec, err := res[len(res)-1].ToMessage()
	if rueidis.IsRedisNil(err) || (err == nil && exec.IsNil()) {
		err := arsenal.E(arsenal.Aborted, Kind, "tx", ErrTxAborted)
		p.abandon(err)
		return err
	}
	if err != nil {
		// EXECABORT: report the queued command's own error when there is one.
		for i, r := range res[1 : len(res)-1] {
			if m, e := r.ToMessage(); e != nil {
				werr := wrapErr("tx", replyErr(&m, e))
				p.abandon(werr)
				p.sinks[i](rueidis.RedisMessage{}, werr)
				return werr
			}
		}
		werr := c.failed("tx", replyErr(&exec, err))
		p.abandon(werr)
		return werr
	}
	arr, err := exec.ToArray()
	if err != nil || len(arr) != len(p.sinks) {
		werr := arsenal.Errorf(arsenal.Internal, Kind, "tx", "EXEC returned %d replies for %d commands", len(arr), len(p.sinks))
		p.abandon(werr)
		return werr
	}
	var first error
	for i := range arr {
		if e := arr[i].Error(); e != nil && !rueidis.IsRedisNil(e) {
			werr := wrapErr("tx", replyErr(&arr[i], e))
			if first == nil {
				first = werr
			}
			p.sinks[i](arr[i], werr)
			continue
		}
		p.sinks[i](arr[i], nil)
	}
	return first
}

// Tx is an optimistic transaction in progress: the WATCHed keys and a
// dedicated connection. Read with Do/Get, then queue writes with Exec.
type Tx struct {
	c     *Client
	dc    rueidis.DedicatedClient
	slot  int  // the watched keys' slot (cluster mode), or noSlot
	execd bool // EXEC reached the server, clearing the WATCHes
}

// Get reads key on the transaction's connection; NotFound when missing.
// In cluster mode key must hash to the watched keys' slot.
func (t *Tx) Get(ctx context.Context, key string) (string, error) {
	return txDo(t, ctx, t.c.k.get(key))
}

// Do sends any read command on the transaction's connection.
func (t *Tx) Do(ctx context.Context, args ...any) (Reply, error) {
	cmd, id, err := t.c.buildDo(args)
	if err != nil {
		return Reply{}, err
	}
	if err := t.c.txSameSlot(opNames[id], rueidis.Commands{cmd}, t.slot); err != nil {
		return Reply{}, err
	}
	var s secured
	if t.c.sec {
		if s, err = t.c.secure(ctx, id, &cmd); err != nil {
			return Reply{}, err
		}
	}
	m, err := t.dc.Do(ctx, cmd).ToMessage()
	if err != nil && !rueidis.IsRedisNil(err) {
		err = t.c.failed(opNames[id], replyErr(&m, err))
	} else {
		err = nil
	}
	if t.c.sec {
		t.c.record(ctx, s, err)
	}
	if err != nil {
		return Reply{}, err
	}
	return Reply{m}, nil
}

// Exec queues the writes fn adds and runs them in MULTI/EXEC. It fails
// with Aborted (cause ErrTxAborted) when a WATCHed key changed.
func (t *Tx) Exec(ctx context.Context, fn func(p *Pipeline) error) error {
	p := t.c.Pipeline()
	if err := fn(p); err != nil {
		return err
	}
	sent, err := t.c.execTx(ctx, p, t.dc, t.slot)
	if sent {
		t.execd = true
	}
	return err
}

// Watch runs fn with keys WATCHed on a dedicated connection: fn reads,
// decides, and calls tx.Exec to write. If another client changes a
// watched key first, Exec fails with Aborted and nothing is written. Watch
// makes one attempt; WatchRetry retries.
func (c *Client) Watch(ctx context.Context, fn func(tx *Tx) error, keys ...string) error {
	if len(keys) == 0 {
		return c.refuse(ctx, opWatch, invalid("watch", "needs at least one key"))
	}
	if err := c.sameSlot("watch", keys...); err != nil {
		return c.refuse(ctx, opWatch, err)
	}
	var sw secured
	if c.sec {
		var err error
		if sw, err = c.secureNames(ctx, "watch", keys); err != nil {
			return c.refuse(ctx, opWatch, err)
		}
	}
	if err := c.gate(ctx, opWatch); err != nil {
		if c.sec {
			c.record(ctx, sw, err)
		}
		return err
	}
	dc, release := c.rc.Dedicate()
	defer release()
	tx := &Tx{c: c, dc: dc, slot: noSlot}
	if c.rc.Mode() == rueidis.ClientModeCluster {
		tx.slot = int(KeySlot(keys[0]))
	}
	// Leave the connection clean for the pool however fn ends (an error,
	// nil without Exec, a panic): rueidis's release sends DISCARD, which
	// does not clear WATCHes outside MULTI, so the next Watch on this
	// connection would abort spuriously. The UNWATCH is bounded by a short
	// timeout derived from ctx (still sent when ctx has ended); if it
	// fails, the connection is closed rather than pooled still watching.
	defer func() {
		if tx.execd {
			return
		}
		base := ctx
		if ctx.Err() != nil {
			base = context.WithoutCancel(ctx)
		}
		uctx, cancel := context.WithTimeout(base, unwatchTimeout)
		defer cancel()
		if err := dc.Do(uctx, c.bld.Unwatch().Build()).Error(); err != nil {
			dc.Close()
		}
	}()
	start := time.Now()
	wcmd := c.bld.Watch().Key(keys...).Build()
	wctx, h := ctx, hooked{}
	if c.hooks {
		wctx, h = c.hookStart(ctx, opWatch, &wcmd)
	}
	wm, err := dc.Do(wctx, wcmd).ToMessage()
	if err != nil {
		err = c.failed("watch", replyErr(&wm, err))
	}
	c.op(opWatch).Record(time.Since(start), err)
	if c.hooks {
		c.hookEnd(wctx, opWatch, h, err)
	}
	if c.sec {
		c.record(ctx, sw, err)
	}
	if err != nil {
		return err
	}
	return fn(tx)
}

// unwatchTimeout bounds the UNWATCH Watch sends when fn did not Exec.
const unwatchTimeout = time.Second

// WatchRetry runs Watch until it does not fail with Aborted, at most
// attempts times (optimistic locking); the last Aborted error is returned
// when every attempt conflicted.
func (c *Client) WatchRetry(ctx context.Context, attempts int, fn func(tx *Tx) error, keys ...string) error {
	if attempts < 1 {
		return c.refuse(ctx, opWatch, invalid("watch", "attempts must be at least 1"))
	}
	var err error
	for i := 0; i < attempts; i++ {
		err = c.Watch(ctx, fn, keys...)
		if !errors.Is(err, ErrTxAborted) {
			return err
		}
	}
	return err
}
