package sqlite

import (
	"context"
	"log/slog"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// Observability: Config.Observer gets OpStart and OpEnd for every public
// operation (with the statement text, never its arguments, and the rows
// returned or changed) and connection events (connect, disconnect, pool
// acquire, open errors); Config.Logger gets operations slower than
// Config.SlowThreshold and connection failures, at Warn. With neither set
// the operations build no event and pay one predictable branch.

// call is one public operation in flight: its stats timing and, with
// hooks on, its event.
type call struct {
	op    *stats.Op
	start time.Duration
	ev    *callEvent // nil without hooks
}

type callEvent struct {
	ctx context.Context
	st  arsenal.OpStart
	t0  time.Time
}

// begin starts operation name (timed by op) on statement stmt; the
// operation continues under the returned context.
func (db *DB) begin(ctx context.Context, op *stats.Op, name, stmt string) (context.Context, call) {
	c := call{op: op, start: op.Start()}
	if db.hooks {
		ctx, c.ev = db.beginEvent(ctx, name, stmt)
	}
	return ctx, c
}

func (db *DB) beginEvent(ctx context.Context, name, stmt string) (context.Context, *callEvent) {
	ev := &callEvent{t0: time.Now()}
	ev.st = arsenal.OpStart{Component: Kind, Op: name, Target: db.target, Namespace: db.ns, Statement: stmt, Time: ev.t0}
	if db.obs != nil {
		ctx = db.obs.OpStart(ctx, ev.st)
	}
	ev.ctx = ctx
	return ctx, ev
}

// end records the call's outcome and returns err.
func (db *DB) end(c call, err error, rows int64) error {
	if c.ev != nil {
		db.endEvent(c.ev, err, rows)
	}
	return c.op.Done(c.start, err)
}

func (db *DB) endEvent(ev *callEvent, err error, rows int64) {
	d := time.Since(ev.t0)
	if db.obs != nil {
		db.obs.OpEnd(ev.ctx, ev.st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: d, Rows: rows})
	}
	if db.log != nil && db.slow > 0 && d >= db.slow {
		attrs := []any{slog.String("component", Kind), slog.String("op", ev.st.Op), slog.String("target", db.target),
			slog.Duration("duration", d), slog.Duration("threshold", db.slow), slog.Int64("rows", rows)}
		if ev.st.Statement != "" {
			attrs = append(attrs, slog.String("statement", ev.st.Statement))
		}
		if err != nil {
			attrs = append(attrs, slog.String("code", arsenal.CodeOf(err).String()))
		}
		db.log.WarnContext(ev.ctx, "sqlite: slow operation", attrs...)
	}
}

// counting wraps fn so it counts the rows it sees in *n; without hooks it
// returns fn as is.
func (c call) counting(fn func(*Row) error, n *int64) func(*Row) error {
	if c.ev == nil {
		return fn
	}
	return func(r *Row) error {
		*n++
		if fn == nil {
			return nil
		}
		return fn(r)
	}
}

// connEvent reports a connection event to the Observer.
func (db *DB) connEvent(ctx context.Context, kind arsenal.ConnEventKind, err error, wait time.Duration) {
	if db.obs == nil {
		return
	}
	arsenal.NotifyConn(ctx, db.obs, arsenal.ConnEvent{Component: Kind, Kind: kind, Target: db.target, Err: err, Wait: wait})
}

// warn logs an operator-facing event.
func (db *DB) warn(msg string, err error) {
	if db.log == nil {
		return
	}
	attrs := []any{slog.String("component", Kind), slog.String("target", db.target)}
	if err != nil {
		attrs = append(attrs, slog.String("code", arsenal.CodeOf(err).String()), slog.String("error", err.Error()))
	}
	db.log.Warn(msg, attrs...)
}

// oneRow is the Rows of a Get: 1 when it found its row.
func oneRow(err error) int64 {
	if err != nil {
		return 0
	}
	return 1
}
