package s3

import (
	"context"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// call is one public operation in progress: its Stats entry, its start,
// and (only with a Config.Observer) the OpStart it reported. It lives on
// the caller's stack: without an observer, beginning and ending an
// operation allocates nothing.
type call struct {
	ctx   context.Context // the context the operation continues under
	o     *stats.Op
	name  string
	start time.Time
	obs   arsenal.Observer
	ev    arsenal.OpStart
	audit bool   // record the outcome in Config.Security's audit
	aop   string // the audited operation and resource
	res   string
}

// begin starts operation name on key ("" for none): the observer's
// OpStart, when there is one, before any I/O or validation.
func (c *Client) begin(ctx context.Context, o *stats.Op, name, key string) call {
	k := call{ctx: ctx, o: o, name: name, start: time.Now()}
	if obs := c.cfg.Observer; obs != nil {
		k.obs = obs
		k.ev = arsenal.OpStart{Component: Kind, Op: name, Target: c.targetStr, Namespace: c.cfg.Bucket, Resource: key, Time: k.start}
		k.ctx = obs.OpStart(ctx, k.ev)
	}
	return k
}

// end finishes k: it counts the call in Stats (failures before any
// request included), translates err, reports OpEnd with the payload bytes
// received and sent, and logs a call slower than Config.SlowThreshold.
func (c *Client) end(k *call, err error, in, out int64) error {
	err = c.done(k.o, k.name, k.start, err)
	if k.audit {
		c.cfg.Security.Record(k.ctx, Kind, k.aop, k.res, k.start, err)
	}
	if k.obs == nil && c.cfg.SlowThreshold <= 0 {
		return err
	}
	d := time.Since(k.start)
	if k.obs != nil {
		k.obs.OpEnd(k.ctx, k.ev, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: d, BytesIn: in, BytesOut: out})
	}
	if c.cfg.SlowThreshold > 0 && d >= c.cfg.SlowThreshold {
		c.log.Warn("s3: slow operation", "op", k.name, "target", c.targetStr, "duration", d, "threshold", c.cfg.SlowThreshold,
			"code", arsenal.CodeOf(err).String())
	}
	return err
}

// failed counts (and reports) a call that fails before any request.
func (c *Client) failed(ctx context.Context, o *stats.Op, name string, err error) error {
	k := c.begin(ctx, o, name, "")
	return c.end(&k, err, 0, 0)
}
