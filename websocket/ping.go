package websocket

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/gobwas/ws"

	"github.com/infra-arsenal/arsenal"
)

// Health sends a ping and waits for the pong (or ctx).
func (c *Conn) Health(ctx context.Context) error {
	return c.ping(ctx, "health")
}

// Ping sends a ping and waits for the matching pong; it fails when ctx
// ends first or the connection closes, and at once (FailedPrecondition)
// when called inside a callback, whose read loop delivers the pong only
// after the callback returns. The latency is recorded as "ping".
func (c *Conn) Ping(ctx context.Context) error { return c.ping(ctx, "ping") }

func (c *Conn) ping(ctx context.Context, op string) error {
	if c.set.observed() {
		octx, st := c.opBegin(ctx, op, "")
		err := c.countedPing(octx, op)
		c.opFinish(octx, st, err, 0, 0)
		return err
	}
	return c.countedPing(ctx, op)
}

// countedPing records every call as "ping", those that fail before
// sending one included.
func (c *Conn) countedPing(ctx context.Context, op string) error {
	start := time.Now()
	err := c.doPing(ctx, op)
	if c.rec != nil {
		c.rec.Op("ping").Record(time.Since(start), err)
	}
	return err
}

func (c *Conn) doPing(ctx context.Context, op string) error {
	if err := c.usable(op); err != nil {
		return err
	}
	if err := c.selfWait(op, "the pong"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return arsenal.Wrap(Kind, op, err)
	}
	id := c.pingSeq.Add(1)
	ch := make(chan struct{})
	c.pongMu.Lock()
	if c.pongWait == nil {
		c.pongWait = map[uint64]chan struct{}{}
	}
	c.pongWait[id] = ch
	c.pongMu.Unlock()
	defer func() {
		c.pongMu.Lock()
		delete(c.pongWait, id)
		c.pongMu.Unlock()
	}()
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], id)
	c.sendControl(ws.OpPing, payload[:])
	var err error
	select {
	case <-ch:
	case <-ctx.Done():
		err = arsenal.Wrap(Kind, op, ctx.Err())
	case <-c.done:
		err = c.usable(op)
		if err == nil {
			err = arsenal.E(arsenal.Unavailable, Kind, op, errors.New("connection closed"))
		}
	}
	return err
}

// startKeepalive pings after interval of silence and drops the connection
// when nothing arrives within timeout after that.
func (c *Conn) startKeepalive(interval, timeout time.Duration) {
	var mu sync.Mutex
	var t *time.Timer
	mu.Lock()
	defer mu.Unlock()
	t = time.AfterFunc(interval, func() {
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-c.done:
			return
		default:
		}
		idle := time.Duration(time.Now().UnixNano() - c.lastActive.Load())
		switch {
		case idle >= interval+timeout:
			c.setTerm(arsenal.Errorf(arsenal.DeadlineExceeded, Kind, "keepalive", "no pong within %s of a keepalive ping", timeout))
			_ = c.nc.Close()
		case idle >= interval:
			c.sendControl(ws.OpPing, nil)
			t.Reset(min(timeout, interval))
		default:
			t.Reset(interval - idle)
		}
	})
}
