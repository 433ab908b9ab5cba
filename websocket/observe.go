package websocket

import (
	"context"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// Observability: with an Observer set, every public operation of a Conn
// (dial, write, send, read, ping, health, close) and of a Server
// (upgrade, publish) reports an OpStart/OpEnd pair, and connections report
// connect, disconnect, reconnect and dial-error events. With a Logger,
// disconnects are logged at Info, reconnect attempts, dial failures,
// dropped messages and operations slower than SlowThreshold at Warn. With
// neither set, no event is built: the hot paths test one field.

// observed reports whether c's operations need the observed path.
func (s *connSettings) observed() bool { return s.obs != nil || (s.log != nil && s.slow > 0) }

// opBegin starts an observed operation; resource is a topic or "".
func (c *Conn) opBegin(ctx context.Context, op, resource string) (context.Context, arsenal.OpStart) {
	st := arsenal.OpStart{Component: Kind, Op: op, Target: c.target, Resource: resource, Time: time.Now()}
	if c.set.obs != nil {
		ctx = c.set.obs.OpStart(ctx, st)
	}
	return ctx, st
}

// opFinish ends an observed operation.
func (c *Conn) opFinish(ctx context.Context, st arsenal.OpStart, err error, in, out int64) {
	d := time.Since(st.Time)
	if c.set.obs != nil {
		c.set.obs.OpEnd(ctx, st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: d, BytesIn: in, BytesOut: out})
	}
	if c.set.log != nil && c.set.slow > 0 && d >= c.set.slow {
		c.set.log.Warn("websocket: slow operation", "op", st.Op, "target", c.target, "duration", d, "threshold", c.set.slow)
	}
}

// connEvent reports a connection event to the observer.
func (c *Conn) connEvent(kind arsenal.ConnEventKind, err error) {
	if c.set.obs != nil {
		arsenal.NotifyConn(context.Background(), c.set.obs, arsenal.ConnEvent{Component: Kind, Kind: kind, Target: c.target, Err: err})
	}
}

// ended reports the end of a connection (from finish).
func (c *Conn) ended() {
	if c.set.obs == nil && c.set.log == nil {
		return
	}
	err := c.termErr()
	var reported error
	if !c.userClosed.Load() {
		reported = translate("read", err)
	}
	c.connEvent(arsenal.ConnDisconnect, reported)
	if c.set.log != nil {
		code, reason := StatusAbnormalClosure, ""
		if ce, ok := err.(*CloseError); ok {
			code, reason = ce.Code, ce.Reason
		}
		c.set.log.Info("websocket: connection ended", "target", c.target, "code", int(code), "reason", reason, "by_us", c.userClosed.Load())
	}
}

// dropped logs a message refused at the backpressure limit.
func (c *Conn) dropped(n int, closed bool) {
	if c.set.log != nil {
		c.set.log.Warn("websocket: message dropped at the backpressure limit", "target", c.target,
			"bytes", n, "limit", c.set.bpLimit, "connection_closed", closed)
	}
}

// observeDial wraps a dial with its events.
func observeDial(ctx context.Context, target string, o Options, dial func(context.Context) (*Conn, error)) (*Conn, error) {
	if o.Observer == nil && o.Logger == nil {
		return dial(ctx)
	}
	st := arsenal.OpStart{Component: Kind, Op: "dial", Target: target, Time: time.Now()}
	octx := ctx
	if o.Observer != nil {
		octx = o.Observer.OpStart(ctx, st)
	}
	c, err := dial(octx)
	d := time.Since(st.Time)
	if o.Observer != nil {
		o.Observer.OpEnd(octx, st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: d})
		kind := arsenal.ConnConnect
		if err != nil {
			kind = arsenal.ConnDialError
		}
		arsenal.NotifyConn(octx, o.Observer, arsenal.ConnEvent{Component: Kind, Kind: kind, Target: target, Err: err})
	}
	if err != nil && o.Logger != nil {
		o.Logger.Warn("websocket: dial failed", "target", target, "code", arsenal.CodeOf(err).String(), "err", err)
	}
	return c, err
}
