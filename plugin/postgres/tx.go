package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"iter"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/infra-arsenal/arsenal"
)

// querier is what a pool, a pooled connection and a transaction share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Rows runs a query and streams its rows: each row's column values are
// yielded as they arrive from the server, never gathered in memory, and the
// connection is held only while the loop runs. An error (from the query, a
// row, or the context) is yielded once, with nil values, and ends the
// loop. Breaking out early releases the connection; the rest of the result
// still in flight is read and discarded, so bound huge results with LIMIT
// or a context deadline.
func (d *DB) Rows(ctx context.Context, sql string, args ...any) iter.Seq2[[]any, error] {
	return func(yield func([]any, error) bool) {
		ctx, sp := d.begin(ctx, "rows", sql)
		var n int64
		err := d.allowed(sp, "rows")
		if err == nil {
			err = streamRows(ctx, d.pool, sql, args, counting(&n, yield))
		} else {
			yield(nil, err)
		}
		d.end(ctx, sp, "rows", err, n)
	}
}

// counting wraps yield to count the rows it is given.
func counting(n *int64, yield func([]any, error) bool) func([]any, error) bool {
	return func(v []any, err error) bool {
		if err == nil {
			*n++
		}
		return yield(v, err)
	}
}

// streamRows yields q's rows; it returns the error it yielded, if any.
func streamRows(ctx context.Context, q querier, sql string, args []any, yield func([]any, error) bool) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		err = translate("rows", err)
		yield(nil, err)
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			err = translate("rows", err)
			yield(nil, err)
			return err
		}
		if !yield(vals, nil) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		err = translate("rows", err)
		yield(nil, err)
		return err
	}
	return nil
}

// collect runs a query on q and gathers every row.
func collect(ctx context.Context, q querier, sql string, args ...any) (arsenal.Result, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return arsenal.Result{}, err
	}
	defer rows.Close()
	var res arsenal.Result
	for _, f := range rows.FieldDescriptions() {
		res.Columns = append(res.Columns, f.Name)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return arsenal.Result{}, err
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return arsenal.Result{}, err
	}
	res.RowsAffected = rows.CommandTag().RowsAffected()
	return res, nil
}

// Begin starts a transaction on one connection of the pool, held until
// Commit or Rollback. Every call made through the Tx runs on that
// connection, so the statements see each other's effects and commit or
// roll back together.
func (d *DB) Begin(ctx context.Context) (*Tx, error) {
	ctx, sp := d.begin(ctx, "begin", "")
	err := d.allowed(sp, "begin")
	var tx pgx.Tx
	if err == nil {
		tx, err = d.pool.Begin(ctx)
		err = translate("begin", err)
	}
	d.end(ctx, sp, "begin", err, 0)
	if err != nil {
		return nil, err
	}
	return &Tx{db: d, tx: tx}, nil
}

// Tx is a transaction: Exec, Query, Rows and Prepare run on its one
// connection until Commit or Rollback ends it; after that every call is
// FailedPrecondition. A Tx runs one call at a time: a call made while
// another is in progress (for example inside a Rows loop of the same Tx)
// is FailedPrecondition instead of interleaving on the wire.
type Tx struct {
	db   *DB
	busy sync.Mutex
	tx   pgx.Tx
}

// errTxDone is returned by a Tx's calls once it has ended.
var errTxDone = errors.New("transaction already committed or rolled back")

func (t *Tx) enter(op string) error {
	if !t.busy.TryLock() {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "transaction is busy with another call")
	}
	return nil
}

func txErr(op string, err error) error {
	if errors.Is(err, pgx.ErrTxClosed) {
		return arsenal.E(arsenal.FailedPrecondition, Kind, op, errTxDone)
	}
	return translate(op, err)
}

// Exec runs a statement in the transaction and returns the rows it
// affected.
func (t *Tx) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	ctx, sp := t.db.begin(ctx, "exec", sql)
	var n int64
	err := sp.denied
	if err == nil {
		n, err = t.exec(ctx, sql, args...)
	}
	t.db.end(ctx, sp, "exec", err, n)
	return n, err
}

func (t *Tx) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if err := t.enter("exec"); err != nil {
		return 0, err
	}
	defer t.busy.Unlock()
	tag, err := t.tx.Exec(ctx, sql, args...)
	if err != nil {
		return 0, txErr("exec", err)
	}
	return tag.RowsAffected(), nil
}

// Query runs a query in the transaction and returns every row.
func (t *Tx) Query(ctx context.Context, sql string, args ...any) (arsenal.Result, error) {
	ctx, sp := t.db.begin(ctx, "query", sql)
	var res arsenal.Result
	err := sp.denied
	if err == nil {
		res, err = t.query(ctx, sql, args...)
	}
	t.db.end(ctx, sp, "query", err, int64(len(res.Rows)))
	return res, err
}

func (t *Tx) query(ctx context.Context, sql string, args ...any) (arsenal.Result, error) {
	if err := t.enter("query"); err != nil {
		return arsenal.Result{}, err
	}
	defer t.busy.Unlock()
	res, err := collect(ctx, t.tx, sql, args...)
	return res, txErr("query", err)
}

// Rows streams a query's rows in the transaction, as DB.Rows does.
func (t *Tx) Rows(ctx context.Context, sql string, args ...any) iter.Seq2[[]any, error] {
	return func(yield func([]any, error) bool) {
		ctx, sp := t.db.begin(ctx, "rows", sql)
		var n int64
		err := sp.denied
		if err == nil {
			err = t.enter("rows")
		}
		if err == nil {
			err = t.stream(ctx, t.tx, sql, args, counting(&n, yield))
			t.busy.Unlock()
		} else {
			yield(nil, err)
		}
		t.db.end(ctx, sp, "rows", err, n)
	}
}

func (t *Tx) stream(ctx context.Context, q querier, sql string, args []any, yield func([]any, error) bool) error {
	// A closed transaction's Query error is pgx.ErrTxClosed: give it its
	// FailedPrecondition code before it reaches the caller.
	var yielded error
	err := streamRows(ctx, q, sql, args, func(v []any, err error) bool {
		if err != nil {
			yielded = txErr("rows", err)
			return yield(nil, yielded)
		}
		return yield(v, nil)
	})
	if err != nil {
		return yielded
	}
	return nil
}

// Commit commits the transaction and releases its connection.
func (t *Tx) Commit(ctx context.Context) error {
	ctx, sp := t.db.begin(ctx, "commit", "")
	err := t.enter("commit")
	if err == nil {
		err = txErr("commit", t.tx.Commit(ctx))
		t.busy.Unlock()
	}
	t.db.end(ctx, sp, "commit", err, 0)
	return err
}

// Rollback rolls the transaction back and releases its connection. After
// Commit it is FailedPrecondition; use it in a defer and ignore that.
func (t *Tx) Rollback(ctx context.Context) error {
	ctx, sp := t.db.begin(ctx, "rollback", "")
	err := t.enter("rollback")
	if err == nil {
		err = txErr("rollback", t.tx.Rollback(ctx))
		t.busy.Unlock()
	}
	t.db.end(ctx, sp, "rollback", err, 0)
	return err
}

// Execute runs q in the transaction, the CustomClient way: the rows (if
// any) in Result.Rows.
func (t *Tx) Execute(ctx context.Context, q arsenal.Query) (arsenal.Result, error) {
	return t.Query(ctx, q.Statement, q.Args...)
}

// Stmt is a prepared statement: parsed and planned by the server once per
// connection under a name derived from its text, then run by name with
// only the arguments on the wire. A Stmt from DB.Prepare is prepared on
// each pooled connection the first time it runs there (and stays prepared
// for that connection's life); one from Tx.Prepare lives on the
// transaction's connection. Errors in the statement (syntax, unknown
// tables) surface from Prepare.
type Stmt struct {
	name    string
	sql     string
	columns []string
	params  int
	db      *DB
	tx      *Tx
}

func stmtName(sql string) string {
	h := sha256.Sum256([]byte(sql))
	return "arsenal_" + hex.EncodeToString(h[:12])
}

func newStmt(sql string, sd *pgconn.StatementDescription) *Stmt {
	s := &Stmt{name: stmtName(sql), sql: sql, params: len(sd.ParamOIDs)}
	for _, f := range sd.Fields {
		s.columns = append(s.columns, f.Name)
	}
	return s
}

// Prepare prepares sql on a pooled connection and returns the Stmt.
func (d *DB) Prepare(ctx context.Context, sql string) (*Stmt, error) {
	ctx, sp := d.begin(ctx, "prepare", sql)
	var s *Stmt
	err := sp.denied
	if err == nil {
		s, err = d.prepare(ctx, sql)
	}
	d.end(ctx, sp, "prepare", err, 0)
	return s, err
}

func (d *DB) prepare(ctx context.Context, sql string) (*Stmt, error) {
	if err := d.live("prepare"); err != nil {
		return nil, err
	}
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, translate("prepare", err)
	}
	defer c.Release()
	sd, err := c.Conn().Prepare(ctx, stmtName(sql), sql)
	if err != nil {
		return nil, translate("prepare", err)
	}
	s := newStmt(sql, sd)
	s.db = d
	return s, nil
}

// Prepare prepares sql on the transaction's connection.
func (t *Tx) Prepare(ctx context.Context, sql string) (*Stmt, error) {
	ctx, sp := t.db.begin(ctx, "prepare", sql)
	var s *Stmt
	err := sp.denied
	if err == nil {
		s, err = t.prepare(ctx, sql)
	}
	t.db.end(ctx, sp, "prepare", err, 0)
	return s, err
}

func (t *Tx) prepare(ctx context.Context, sql string) (*Stmt, error) {
	if err := t.enter("prepare"); err != nil {
		return nil, err
	}
	defer t.busy.Unlock()
	sd, err := t.tx.Prepare(ctx, stmtName(sql), sql)
	if err != nil {
		return nil, txErr("prepare", err)
	}
	s := newStmt(sql, sd)
	s.db, s.tx = t.db, t
	return s, nil
}

// Name is the server-side name of the statement.
func (s *Stmt) Name() string { return s.name }

// SQL is the statement text.
func (s *Stmt) SQL() string { return s.sql }

// Columns names the result columns (none for a statement without rows).
func (s *Stmt) Columns() []string { return s.columns }

// NumParams is the number of parameters ($1, $2, ...) the statement takes.
func (s *Stmt) NumParams() int { return s.params }

// withConn runs f on a connection where s is prepared: the Tx's, or a
// pooled one (preparing s there if needed), released when f returns.
func (s *Stmt) withConn(ctx context.Context, sp span, op string, f func(q querier) error) error {
	if sp.denied != nil {
		return sp.denied
	}
	if s.tx != nil {
		if err := s.tx.enter(op); err != nil {
			return err
		}
		defer s.tx.busy.Unlock()
		return f(s.tx.tx)
	}
	if err := s.db.live(op); err != nil {
		return err
	}
	c, err := s.db.pool.Acquire(ctx)
	if err != nil {
		return translate(op, err)
	}
	defer c.Release()
	if _, err := c.Conn().Prepare(ctx, s.name, s.sql); err != nil {
		return translate(op, err)
	}
	return f(c)
}

// Exec runs the statement with args and returns the rows it affected.
func (s *Stmt) Exec(ctx context.Context, args ...any) (int64, error) {
	ctx, sp := s.db.begin(ctx, "exec", s.sql)
	var n int64
	err := s.withConn(ctx, sp, "exec", func(q querier) error {
		tag, err := q.Exec(ctx, s.name, args...)
		n = tag.RowsAffected()
		return txErr("exec", err)
	})
	s.db.end(ctx, sp, "exec", err, n)
	return n, err
}

// Query runs the statement with args and returns every row.
func (s *Stmt) Query(ctx context.Context, args ...any) (arsenal.Result, error) {
	ctx, sp := s.db.begin(ctx, "query", s.sql)
	var res arsenal.Result
	err := s.withConn(ctx, sp, "query", func(q querier) error {
		var err error
		res, err = collect(ctx, q, s.name, args...)
		return txErr("query", err)
	})
	s.db.end(ctx, sp, "query", err, int64(len(res.Rows)))
	return res, err
}

// Rows runs the statement with args and streams its rows, as DB.Rows does.
func (s *Stmt) Rows(ctx context.Context, args ...any) iter.Seq2[[]any, error] {
	return func(yield func([]any, error) bool) {
		ctx, sp := s.db.begin(ctx, "rows", s.sql)
		var n int64
		yielded := false
		err := s.withConn(ctx, sp, "rows", func(q querier) error {
			yielded = true
			return streamRows(ctx, q, s.name, args, counting(&n, yield))
		})
		if err != nil && !yielded {
			yield(nil, err)
		}
		s.db.end(ctx, sp, "rows", err, n)
	}
}
