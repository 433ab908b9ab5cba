package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
)

// Observability: Config.Observer sees an OpStart/OpEnd pair for every
// call, Config.Logger gets slow calls and connection changes. With
// neither set (c.hooks false) a call pays one predictable branch.

// hooked is an observed call in progress.
type hooked struct {
	op    arsenal.OpStart
	start time.Time
}

// hookStart begins observing a call of id on cmd (nil for calls that
// are not one command: pipelines, transactions, subscriptions). The
// returned ctx is the one the call continues under.
func (c *Client) hookStart(ctx context.Context, id opID, cmd *rueidis.Completed) (context.Context, hooked) {
	h := hooked{start: time.Now()}
	if c.cfg.Observer == nil {
		return ctx, h
	}
	h.op = arsenal.OpStart{
		Component: Kind, Op: opNames[id], Target: c.target, Namespace: c.ns, Time: h.start,
	}
	if cmd != nil {
		if args := cmd.Commands(); len(args) > 0 {
			h.op.Statement = args[0]
			// The first argument of a typed command is its key (or
			// channel); Do's arguments are the caller's and may be
			// values, so they are left out.
			if id != opDo && len(args) > 1 {
				h.op.Resource = args[1]
			}
		}
	}
	return c.cfg.Observer.OpStart(ctx, h.op), h
}

// hookEnd ends an observed call.
func (c *Client) hookEnd(ctx context.Context, id opID, h hooked, err error) {
	d := time.Since(h.start)
	if c.cfg.Observer != nil {
		c.cfg.Observer.OpEnd(ctx, h.op, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: d})
	}
	if c.cfg.SlowThreshold > 0 && d >= c.cfg.SlowThreshold && c.cfg.Logger != nil {
		c.cfg.Logger.Warn("redis: slow call", "op", opNames[id], "duration", d, "threshold", c.cfg.SlowThreshold,
			"target", c.target, "code", arsenal.CodeOf(err).String())
	}
}

// observeRefused reports a call that failed before anything was sent.
func (c *Client) observeRefused(ctx context.Context, id opID, err error) {
	if !c.hooks {
		return
	}
	ctx, h := c.hookStart(ctx, id, nil)
	c.hookEnd(ctx, id, h, err)
}

// connEvent reports a connection event to the Observer and the Logger.
func (c *Client) connEvent(kind arsenal.ConnEventKind, err error, attrs ...any) {
	if c.cfg.Observer != nil {
		arsenal.NotifyConn(context.Background(), c.cfg.Observer, arsenal.ConnEvent{
			Component: Kind, Kind: kind, Target: c.target, Err: wrapErr("connection", err),
		})
	}
	l := c.cfg.Logger
	if l == nil {
		return
	}
	attrs = append(attrs, "target", c.target)
	if err != nil {
		attrs = append(attrs, "error", wrapErr("connection", err).Error())
	}
	switch kind {
	case arsenal.ConnDisconnect:
		l.Warn("redis: disconnected", attrs...)
	case arsenal.ConnReconnect:
		l.Info("redis: reconnected", attrs...)
	case arsenal.ConnDialError:
		l.Debug("redis: dial failed", attrs...)
	case arsenal.ConnConnect:
		l.Debug("redis: connected", attrs...)
	}
}

// namespace is the OpStart Namespace: the database number.
func namespace(cfg Config) string { return strconv.Itoa(cfg.DB) }
