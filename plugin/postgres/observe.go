package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/infra-arsenal/arsenal"
)

// span is one operation in flight: when it began and, with an Observer,
// the OpStart it reported.
type span struct {
	st    arsenal.OpStart
	start time.Time
}

// begin starts op: with an Observer it reports OpStart (the statement text
// only, never its arguments) and returns the context the operation
// continues under; without one it builds no event.
func (d *DB) begin(ctx context.Context, op, sql string) (context.Context, span) {
	sp := span{start: time.Now()}
	if d.obs != nil {
		sp.st = arsenal.OpStart{Component: Kind, Op: op, Target: d.target, Namespace: d.database, Statement: sql, Time: sp.start}
		ctx = d.obs.OpStart(ctx, sp.st)
	}
	return ctx, sp
}

// end counts op in Stats (every call, failed ones included), reports OpEnd
// to the Observer and logs a slow operation at Warn.
func (d *DB) end(ctx context.Context, sp span, op string, err error, rows int64) {
	dur := time.Since(sp.start)
	switch op {
	case "exec":
		d.opExec.Record(dur, err)
	case "query":
		d.opQry.Record(dur, err)
	default:
		d.rec.Record(op, dur, err)
	}
	if d.obs != nil {
		d.obs.OpEnd(ctx, sp.st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: dur, Rows: rows})
	}
	if d.log != nil && d.slow > 0 && dur >= d.slow {
		d.log.LogAttrs(ctx, slog.LevelWarn, "postgres: slow operation",
			slog.String("op", op), slog.String("target", d.target), slog.Duration("duration", dur),
			slog.Duration("threshold", d.slow), slog.String("code", arsenal.CodeOf(err).String()))
	}
}

// hookConnEvents reports the pool's connections opening and closing to
// obs, as ConnConnect and ConnDisconnect events.
func hookConnEvents(pc *pgxpool.Config, obs arsenal.Observer, target string) {
	if _, ok := obs.(arsenal.ConnObserver); !ok {
		return
	}
	after := pc.AfterConnect
	pc.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		arsenal.NotifyConn(ctx, obs, arsenal.ConnEvent{Component: Kind, Kind: arsenal.ConnConnect, Target: target, Time: time.Now()})
		if after != nil {
			return after(ctx, c)
		}
		return nil
	}
	before := pc.BeforeClose
	pc.BeforeClose = func(c *pgx.Conn) {
		arsenal.NotifyConn(context.Background(), obs, arsenal.ConnEvent{Component: Kind, Kind: arsenal.ConnDisconnect, Target: target, Time: time.Now()})
		if before != nil {
			before(c)
		}
	}
}
