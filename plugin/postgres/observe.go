package postgres

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/infra-arsenal/arsenal"
)

// span is one operation in flight: when it began and, with an Observer,
// the OpStart it reported.
type span struct {
	st     arsenal.OpStart
	start  time.Time
	kind   string // the statement kind the policy judged ("select", "begin"), "" when unchecked
	denied error  // the policy's refusal (already audited), before any I/O
}

// begin starts op: with an Observer it reports OpStart (the statement text
// only, never its arguments) and returns the context the operation
// continues under; without one it builds no event.
func (d *DB) begin(ctx context.Context, op, sql string) (context.Context, span) {
	sp := span{start: time.Now()}
	if d.sec.Policy != nil || d.sec.Audit != nil {
		sp.kind = policyKind(op, sql)
		if sp.kind != "" {
			sp.denied = d.sec.Authorize(ctx, Kind, sp.kind, "")
		}
	}
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
	if sp.kind != "" && sp.denied == nil {
		d.sec.Record(ctx, Kind, sp.kind, "", sp.start, err)
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

// allowed is live with the policy's verdict first: a refused call fails
// before any I/O.
func (d *DB) allowed(sp span, op string) error {
	if sp.denied != nil {
		return sp.denied
	}
	return d.live(op)
}

// policyKind is what a Security policy judges a call by: the statement's
// kind (its first keyword, lower case: "select", "insert", "with", ...)
// for SQL, and "begin" for a transaction. Health, commit and rollback are
// not judged ("").
func policyKind(op, sql string) string {
	if op == "begin" {
		return "begin"
	}
	if sql == "" {
		return ""
	}
	return statementKind(sql)
}

// statementKind returns the first keyword of sql in lower case, skipping
// leading white space, "--" line comments, "/* */" block comments and
// opening parentheses; "" when there is none.
func statementKind(sql string) string {
	i := 0
	for i < len(sql) {
		switch c := sql[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(':
			i++
		case strings.HasPrefix(sql[i:], "--"):
			if j := strings.IndexByte(sql[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				return ""
			}
		case strings.HasPrefix(sql[i:], "/*"):
			if j := strings.Index(sql[i+2:], "*/"); j >= 0 {
				i += j + 4
			} else {
				return ""
			}
		default:
			j := i
			for j < len(sql) && (sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z') {
				j++
			}
			return strings.ToLower(sql[i:j])
		}
	}
	return ""
}
