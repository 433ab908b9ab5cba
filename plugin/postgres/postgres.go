// Package postgres is Arsenal's first outside backend: a PostgreSQL plugin
// on github.com/jackc/pgx/v5. It provides a Component (*DB, opened by
// arsenal.Open for postgres:// and postgresql:// URLs), a CustomClient and
// the Plugin that announces them.
//
// Besides Exec and Query (every row gathered), a DB has what the client
// claims in its Features:
//
//   - transactions: Begin returns a Tx holding one connection until Commit
//     or Rollback, so its calls see each other and commit together;
//   - prepared statements: Prepare returns a Stmt parsed and planned once
//     per connection and run by name;
//   - streaming: Rows (on DB, Tx and Stmt) yields rows as an
//     iter.Seq2[[]any, error] as they arrive, never gathering them.
//
// # Configuration
//
// Config.URL is a libpq-style URL or key=value string; Config.Password (a
// security.Secret) keeps the password out of it. A Config prints and logs
// with the password and secret query values redacted (see RedactDSN).
// MaxConns defaults to 4 and ConnectTimeout to 10 s.
//
// # Observability
//
// Config.Observer gets OpStart and OpEnd for every call of DB, Tx and Stmt
// (the operation as Stats names it, the target host:port/database, the
// statement text but never its arguments; the outcome with its code,
// duration and row count), and as an arsenal.ConnObserver the pool's
// connect, disconnect and dial-error events. Config.Logger gets a failed
// connect at Open and, with SlowThreshold, slow operations at Warn, never
// a password or an argument. Both nil (the default) cost nothing. Stats
// count every call, including those that fail before any I/O (a closed DB,
// a busy or ended Tx).
//
// # Errors
//
// Server errors are translated once by SQLSTATE class: 23505 ->
// AlreadyExists, other integrity violations -> FailedPrecondition, syntax
// and undefined objects -> InvalidArgument/NotFound, 28xxx ->
// Unauthenticated, 42501 -> PermissionDenied, 40001/40P01 -> Aborted
// (retryable), 53xxx -> ResourceExhausted, 57014 -> Canceled, 08xxx and
// 57P0x -> Unavailable, XX001/XX002 -> DataLoss.
//
// A call on a Tx that has ended, or made while another call of the same Tx
// is running, is FailedPrecondition.
//
// # Concurrency
//
// *DB, *Stmt and *Client are safe for concurrent use and must be closed
// (a Stmt needs no closing). A *Tx runs one call at a time and must end
// with Commit or Rollback.
package postgres

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/stats"
)

// Kind is the component kind.
const Kind = "postgres"

func init() {
	open := func(ctx context.Context, u *url.URL) (arsenal.Component, error) {
		return Open(ctx, Config{URL: u.String()})
	}
	arsenal.Register("postgres", open)
	arsenal.Register("postgresql", open)
	arsenal.RegisterClassifier(Kind, func(err error) (arsenal.Code, bool) {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return codeOfSQLState(pe.Code), true
		}
		return 0, false
	})
}

// DB is a pooled PostgreSQL connection: an arsenal.Component.
type DB struct {
	pool     *pgxpool.Pool
	target   string
	database string
	obs      arsenal.Observer
	sec      security.Options
	log      *slog.Logger
	slow     time.Duration
	rec      *stats.Recorder
	opExec   *stats.Op
	opQry    *stats.Op
	mu       sync.RWMutex
	closed   bool
}

// Open validates cfg, creates the pool and pings the server.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pc, _ := pgxpool.ParseConfig(cfg.URL)
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 4
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	pc.MaxConns = cfg.MaxConns
	if !cfg.Password.IsZero() {
		pc.ConnConfig.Password = cfg.Password.Reveal()
	}
	pc.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	if cfg.Security.TLS != nil {
		tc, err := cfg.Security.ClientTLS()
		if err != nil {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "open", "Security.TLS: %w", err)
		}
		if tc.ServerName == "" {
			tc.ServerName = pc.ConnConfig.Host
		}
		// The builder's config replaces sslmode's, and no fallback
		// tries the server without it.
		pc.ConnConfig.TLSConfig, pc.ConnConfig.Fallbacks = tc, nil
	}
	if cfg.Security.Credentials != nil {
		sec := cfg.Security
		pc.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			c, _, err := sec.Creds(ctx)
			if err != nil {
				return err
			}
			if c.User != "" {
				cc.User = c.User
			}
			cc.Password = c.Secret.Reveal()
			return nil
		}
	}
	target := pc.ConnConfig.Host + ":" + strconv.Itoa(int(pc.ConnConfig.Port)) + "/" + pc.ConnConfig.Database
	if cfg.Observer != nil {
		hookConnEvents(pc, cfg.Observer, target)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, translate("open", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		err = translate("open", err)
		arsenal.NotifyConn(ctx, cfg.Observer, arsenal.ConnEvent{Component: Kind, Kind: arsenal.ConnDialError, Target: target, Err: err, Time: time.Now()})
		if cfg.Logger != nil {
			cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "postgres: cannot connect",
				slog.String("target", target), slog.String("code", arsenal.CodeOf(err).String()))
		}
		return nil, err
	}
	rec := stats.NewRecorder()
	return &DB{
		pool: pool, rec: rec, opExec: rec.Op("exec"), opQry: rec.Op("query"),
		target: target, database: pc.ConnConfig.Database,
		obs: cfg.Observer, log: cfg.Logger, slow: cfg.SlowThreshold, sec: cfg.Security,
	}, nil
}

func (d *DB) live(op string) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return arsenal.Closed(Kind, op)
	}
	return nil
}

// Kind returns "postgres".
func (d *DB) Kind() string { return Kind }

// Health pings the server.
func (d *DB) Health(ctx context.Context) error {
	ctx, sp := d.begin(ctx, "ping", "")
	err := d.live("health")
	if err == nil {
		err = translate("health", d.pool.Ping(ctx))
	}
	d.end(ctx, sp, "ping", err, 0)
	return err
}

// Exec runs a statement and returns the rows it affected.
func (d *DB) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	ctx, sp := d.begin(ctx, "exec", sql)
	if err := d.allowed(sp, "exec"); err != nil {
		d.end(ctx, sp, "exec", err, 0)
		return 0, err
	}
	tag, err := d.pool.Exec(ctx, sql, args...)
	err = translate("exec", err)
	d.end(ctx, sp, "exec", err, tag.RowsAffected())
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// Query runs a query and returns every row as column values.
func (d *DB) Query(ctx context.Context, sql string, args ...any) (arsenal.Result, error) {
	ctx, sp := d.begin(ctx, "query", sql)
	if err := d.allowed(sp, "query"); err != nil {
		d.end(ctx, sp, "query", err, 0)
		return arsenal.Result{}, err
	}
	res, err := collect(ctx, d.pool, sql, args...)
	err = translate("query", err)
	d.end(ctx, sp, "query", err, int64(len(res.Rows)))
	return res, err
}

// PoolStats are a DB's typed gauges, the Detail of its Stats (pgxpool's
// pool statistics).
type PoolStats struct {
	Total           int32         // connections open
	Idle            int32         // connections idle
	Acquired        int32         // connections in use
	Max             int32         // the pool's size limit
	AcquireCount    int64         `stat:",counter"`         // successful acquires
	EmptyAcquires   int64         `stat:",counter"`         // acquires that had to wait for a connection
	AcquireWait     time.Duration `stat:",seconds,counter"` // total time acquires waited for a connection
	CanceledAcquire int64         `stat:",counter"`         // acquires whose context ended first
}

// DegradationRules makes PoolStats a stats.RuleSource: the common rules
// plus callers waiting more than a second in all for a connection between
// two checks (warn).
func (PoolStats) DegradationRules() []stats.Rule {
	return stats.Append(stats.Rule{Name: "postgres pool wait", Kind: Kind, Metric: "gauge:acquire_wait", Threshold: 1, Rate: true, Action: stats.ActionWarn})
}

// PoolStats returns the pool's counters. It does no I/O.
func (d *DB) PoolStats() PoolStats {
	st := d.pool.Stat()
	return PoolStats{
		Total: st.TotalConns(), Idle: st.IdleConns(), Acquired: st.AcquiredConns(), Max: st.MaxConns(),
		AcquireCount: st.AcquireCount(), EmptyAcquires: st.EmptyAcquireCount(),
		AcquireWait: st.EmptyAcquireWaitTime(), CanceledAcquire: st.CanceledAcquireCount(),
	}
}

// Stats reports per-operation latencies, with PoolStats as its Detail and
// Gauges.
func (d *DB) Stats() arsenal.Stats {
	ps := d.PoolStats()
	d.mu.RLock()
	closed := d.closed
	d.mu.RUnlock()
	return arsenal.Stats{
		Kind: Kind, Target: d.target, Connected: !closed, Since: d.rec.Since(), Ops: d.rec.Snapshot(),
		Gauges: stats.Gauges(ps), Detail: ps,
	}
}

// Close closes the pool. It is idempotent.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.pool.Close()
	return nil
}

// translate turns a pgx error into an *arsenal.Error, once.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *arsenal.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, pgx.ErrTxClosed) {
		return arsenal.E(arsenal.FailedPrecondition, Kind, op, errTxDone)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return arsenal.E(arsenal.NotFound, Kind, op, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &arsenal.Error{Code: codeOfSQLState(pe.Code), Component: Kind, Op: op, Message: pe.Code + " " + pe.Message, Err: err}
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		code := arsenal.NativeCode(err)
		if code == arsenal.Unknown {
			code = arsenal.Unavailable
		}
		return arsenal.E(code, Kind, op, err)
	}
	return arsenal.E(arsenal.NativeCode(err), Kind, op, err)
}

func codeOfSQLState(s string) arsenal.Code {
	switch s {
	case "23505":
		return arsenal.AlreadyExists
	case "23502":
		return arsenal.InvalidArgument
	case "42501":
		return arsenal.PermissionDenied
	case "42P01", "42703", "42883", "3D000", "3F000":
		return arsenal.NotFound
	case "42P07", "42710", "42P04":
		return arsenal.AlreadyExists
	case "40001", "40P01":
		return arsenal.Aborted
	case "57014":
		return arsenal.Canceled
	case "25006", "25P02":
		return arsenal.FailedPrecondition
	case "XX001", "XX002":
		return arsenal.DataLoss
	}
	switch {
	case strings.HasPrefix(s, "23"):
		return arsenal.FailedPrecondition
	case strings.HasPrefix(s, "22"), strings.HasPrefix(s, "42"):
		return arsenal.InvalidArgument
	case strings.HasPrefix(s, "28"):
		return arsenal.Unauthenticated
	case strings.HasPrefix(s, "53"), strings.HasPrefix(s, "54"):
		return arsenal.ResourceExhausted
	case strings.HasPrefix(s, "08"), strings.HasPrefix(s, "57P"):
		return arsenal.Unavailable
	case strings.HasPrefix(s, "0A"):
		return arsenal.Unimplemented
	case strings.HasPrefix(s, "XX"):
		return arsenal.Internal
	}
	return arsenal.Unknown
}

var _ arsenal.Component = (*DB)(nil)
