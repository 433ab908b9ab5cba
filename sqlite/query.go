package sqlite

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/puddle/v2"
	"zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal"
)

// Result is what Exec reports.
type Result struct {
	RowsAffected int64 // rows changed by the (last) statement
	LastInsertID int64 // rowid of the most recent successful INSERT on the connection
}

// Row is the current row of a query. It is valid only until the loop body
// (or callback) that received it returns; copy what you keep.
type Row struct {
	cs   *cachedStmt
	safe bool
}

var (
	errStop        = errors.New("stop")
	errNeedsWriter = errors.New("statement writes")
)

// run executes query on cn, calling each for every row (at most one row
// when one is set). A statement that writes on a reader connection returns
// errNeedsWriter before doing anything.
//
// The work is split over run (authorization and cancellation) and
// runStmt (the statement) so that each has few enough return statements
// for the compiler to open-code its defers, which then cost nothing on
// the hot path (a function with many returns and several defers gets
// runtime-managed defer records instead, a visible share of an insert).
//
// typed, when not nil, holds ExecArgs' arguments instead of args.
func (cn *conn) run(ctx context.Context, query string, args []any, typed []Arg, each func(*Row) error, one bool) (_ Result, err error) {
	if cn.db.secure {
		cn.authBegin(ctx)
		start := cn.db.auditStart()
		defer func() { err = cn.authEnd(ctx, "query", start, err) }()
	}
	if ctx.Done() != nil {
		// A context that cannot be cancelled has no error to report.
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		cn.armCancel(ctx)
		defer cn.disarm()
	}
	return cn.runStmt(ctx, query, args, typed, each, one)
}

// runStmt is run once authorization and cancellation are set up.
func (cn *conn) runStmt(ctx context.Context, query string, args []any, typed []Arg, each func(*Row) error, one bool) (_ Result, err error) {
	cs := cn.head
	if cs != nil && cs.query == query {
		cn.hits.Store(cn.hits.Load() + 1) // prepare's first check, inlined
	} else if cs, err = cn.prepare(query); err != nil {
		if err == errEmpty {
			return cn.runEmpty(args, typed, each)
		}
		if cn.prepErrIsScript(err) {
			if len(args) > 0 || len(typed) > 0 || each != nil {
				// No Op: the caller's wrapErr names the call.
				return Result{}, invalid("", "a query with several statements takes no arguments and returns no rows; run them one at a time")
			}
			if cn.routesWrites() {
				return Result{}, errNeedsWriter
			}
			return cn.script(ctx, query)
		}
		return Result{}, err
	}
	// Reset the statement however run ends, a panic from each (a loop
	// body or callback) included: a statement left mid-step would keep
	// its read transaction (or write lock) open on the pooled connection.
	defer cn.done(cs)
	if cn.db.secure {
		if err := cn.checkStmt(ctx, cs); err != nil {
			return Result{}, err
		}
	}
	if !cs.readOnly && cn.routesWrites() {
		return Result{}, errNeedsWriter
	}
	if typed != nil {
		if err := bindArgs(cs, typed, cn.db.cfg.Strict); err != nil {
			return Result{}, err
		}
	} else if err := bind(cs, args, cn.db.cfg.Strict); err != nil {
		return Result{}, err
	}
	return cn.step(cs, each, one)
}

// runEmpty is runStmt for a text that holds no statement (only space,
// comments and semicolons). Exec does nothing and succeeds, as
// sqlite3_exec and database/sql's drivers do, with the argument rules of a
// statement without parameters (no positional argument; without Strict,
// names that match no parameter are ignored). A query (each set) has no
// rows to give: an InvalidArgument error.
func (cn *conn) runEmpty(args []any, typed []Arg, each func(*Row) error) (Result, error) {
	if each != nil {
		return Result{}, errNoStatement()
	}
	var none cachedStmt
	if typed != nil {
		return Result{}, bindArgs(&none, typed, cn.db.cfg.Strict)
	}
	return Result{}, bind(&none, args, cn.db.cfg.Strict)
}

// errNoStatement is the error of a query (or Inspect) of a text that holds
// no statement. It has no Op: the caller's wrapErr names the call.
func errNoStatement() error {
	return invalid("", "the SQL holds no statement (only white space, comments or semicolons), so there is nothing to query")
}

// execHead is run for an Exec (no rows wanted) of cs, the statement used
// last (the head of the cache, whose text the caller compared), when no
// authorization applies and ctx cannot be cancelled: runStmt's steps for
// that case without the calls in between, which are a visible share of a
// fast insert in a transaction.
func (cn *conn) execHead(cs *cachedStmt, args []any, typed []Arg) (Result, error) {
	cn.hits.Store(cn.hits.Load() + 1)
	defer cn.done(cs)
	if !cs.readOnly && cn.routesWrites() {
		return Result{}, errNeedsWriter
	}
	if typed != nil {
		if err := bindArgs(cs, typed, cn.db.cfg.Strict); err != nil {
			return Result{}, err
		}
	} else if err := bind(cs, args, cn.db.cfg.Strict); err != nil {
		return Result{}, err
	}
	return cn.step(cs, nil, false)
}

// step runs the bound statement cs to its end (Exec, each == nil) or
// hands each row to each (at most one when one is set).
func (cn *conn) step(cs *cachedStmt, each func(*Row) error, one bool) (Result, error) {
	s := cs.s
	if each == nil {
		// Exec: step to the end, no rows to hand out.
		for {
			ok, err := s.Step()
			if err != nil {
				return Result{}, err
			}
			if !ok {
				return Result{RowsAffected: int64(cn.c.Changes()), LastInsertID: cn.c.LastInsertRowID()}, nil
			}
		}
	}
	row := &cn.row
	*row = Row{cs: cs, safe: cn.db.cfg.SafeIntegers}
	for {
		ok, err := s.Step()
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{}, nil
		}
		if err := each(row); err != nil {
			if err == errStop {
				return Result{}, nil
			}
			return Result{}, err
		}
		if one {
			return Result{}, nil
		}
	}
}

// runOne is run for the single-row hot path (QueryRow(...).Scan): it scans
// the first row into dest without a callback. found reports a row.
//
// The caller has checked ctx (acquire does). It is split like run (see there), so its defers are open-coded.
func (cn *conn) runOne(ctx context.Context, query string, args []any, dest []any) (found bool, err error) {
	if cn.db.secure {
		cn.authBegin(ctx)
		start := cn.db.auditStart()
		defer func() { err = cn.authEnd(ctx, "get", start, err) }()
	}
	if ctx.Done() == nil {
		return cn.runOneStmt(ctx, query, args, dest)
	}
	cn.armCancel(ctx)
	defer cn.disarm()
	return cn.runOneStmt(ctx, query, args, dest)
}

// runOneStmt is runOne once authorization and cancellation are set up.
func (cn *conn) runOneStmt(ctx context.Context, query string, args []any, dest []any) (found bool, err error) {
	cs := cn.head
	if cs != nil && cs.query == query {
		cn.hits.Store(cn.hits.Load() + 1) // prepare's first check, inlined
	} else {
		var err error
		if cs, err = cn.prepare(query); err != nil {
			if err == errEmpty {
				return false, errNoStatement()
			}
			if cn.prepErrIsScript(err) {
				return false, invalid("get", "a query with several statements returns no rows; run it with Exec")
			}
			return false, err
		}
	}
	defer cn.done(cs) // also when a scan panics (a sql.Scanner's Scan)
	if cn.db.secure {
		if err := cn.checkStmt(ctx, cs); err != nil {
			return false, err
		}
	}
	if !cs.readOnly && cn.routesWrites() {
		return false, errNeedsWriter
	}
	// One positional integer, the usual key lookup, binds directly.
	if x, isInt := oneInt(args); isInt && len(cs.params) == 1 {
		cs.s.BindInt64(1, x)
	} else if err := bind(cs, args, cn.db.cfg.Strict); err != nil {
		return false, err
	}
	ok, err := cs.s.Step()
	if err == nil && ok {
		if len(dest) > len(cs.cols) {
			err = invalid("scan", "%d destinations for %d columns", len(dest), len(cs.cols))
		} else {
			safe := cn.db.cfg.SafeIntegers
			for i, d := range dest {
				if err = scanColumn(cs.s, i, d, safe); err != nil {
					err = invalid("scan", "column %d (%s): %v", i, cs.cols[i], err)
					break
				}
			}
		}
	}
	return ok, err
}

// oneInt reports whether args is a single int or int64 and returns it.
func oneInt(args []any) (int64, bool) {
	if len(args) != 1 {
		return 0, false
	}
	switch x := args[0].(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// doOne is do for runOne.
func (db *DB) doOne(ctx context.Context, query string, args []any, dest []any) error {
	res, err := db.acquire(ctx, "get", false)
	if err != nil {
		return err
	}
	defer func() {
		if res != nil { // only when runOne panicked (or a Goexit passed)
			db.abandon(res)
		}
	}()
	cn := res.Value()
	found, err := cn.runOne(ctx, query, args, dest)
	if err == errNeedsWriter {
		db.release(res)
		res = nil
		if res, err = db.acquire(ctx, "get", true); err != nil {
			return err
		}
		cn = res.Value()
		found, err = cn.runOne(ctx, query, args, dest)
	}
	if cn.c.AutocommitEnabled() {
		cn.home.release(res)
	} else {
		if err == nil {
			err = arsenal.Errorf(arsenal.FailedPrecondition, Kind, "get", "the statement left a transaction open; it was rolled back (use Tx)")
		}
		db.release(res) // rolls back
	}
	res = nil
	if err == nil && !found {
		return arsenal.E(arsenal.NotFound, Kind, "get", ErrNoRows)
	}
	return wrapErr(ctx, "get", err)
}

func (cn *conn) prepErrIsScript(err error) bool {
	es, ok := err.(errScript)
	return ok && es.rest != ""
}

// script runs a text of several statements with no arguments.
func (cn *conn) script(ctx context.Context, query string) (Result, error) {
	rest := query
	var r Result
	for !blankSQL(rest) {
		if cn.db.secure {
			cn.az.facts = cn.az.facts[:0] // each statement is judged on its own
		}
		s, trailing, err := cn.c.PrepareTransient(rest)
		if err != nil {
			return r, err
		}
		// rest is not blank, and SQLite skips blank text before a
		// statement: s is one (prepare's errEmpty cannot happen here).
		rest = rest[len(rest)-trailing:]
		if cn.db.secure {
			if err := cn.judge(ctx, cn.az.facts); err != nil {
				s.Finalize()
				return r, err
			}
		}
		for {
			ok, err := s.Step()
			if err != nil {
				s.Finalize()
				return r, err
			}
			if !ok {
				break
			}
		}
		s.Finalize()
		r = Result{RowsAffected: int64(cn.c.Changes()), LastInsertID: cn.c.LastInsertRowID()}
	}
	return r, nil
}

// do runs query on a pooled connection: the writer for write, else a
// reader, moving to the writer when the statement turns out to write.
func (db *DB) do(ctx context.Context, op string, write bool, query string, args []any, each func(*Row) error, one bool) (Result, error) {
	return db.doWith(ctx, op, write, query, args, nil, each, one)
}

// doWith is do with ExecArgs' typed arguments (typed not nil) or args.
func (db *DB) doWith(ctx context.Context, op string, write bool, query string, args []any, typed []Arg, each func(*Row) error, one bool) (Result, error) {
	res, err := db.acquire(ctx, op, write)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if res != nil { // only when a loop body or callback panicked (or called runtime.Goexit)
			db.abandon(res)
		}
	}()
	r, err := res.Value().run(ctx, query, args, typed, each, one)
	if err == errNeedsWriter {
		db.release(res)
		res = nil
		if res, err = db.acquire(ctx, op, true); err != nil {
			return Result{}, err
		}
		r, err = res.Value().run(ctx, query, args, typed, each, one)
	}
	if err == nil && !res.Value().c.AutocommitEnabled() {
		err = arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "the statement left a transaction open; it was rolled back (use Tx)")
	}
	db.releaseChecked(res)
	res = nil
	return r, wrapErr(ctx, op, err)
}

// abandon disposes of a connection whose user panicked (or called
// runtime.Goexit) while holding it, and lets the panic go on. The
// statement has been reset, but the panic may have come from anywhere, so
// a file database's connection is closed (the pool opens a fresh one when
// needed). An in-memory database's only connection holds the data itself:
// it is rolled back to autocommit and kept.
func (db *DB) abandon(res *puddle.Resource[*conn]) {
	if db.memory {
		db.release(res)
		return
	}
	res.Destroy()
}

func (db *DB) releaseChecked(res *puddle.Resource[*conn]) { db.release(res) }

// Exec runs a statement that returns no rows (or whose rows are not
// wanted) on the writer connection and reports the rows it changed. A text
// of several statements runs them all when there are no args. Writers
// queue for the one writer connection in arrival order; ctx bounds both
// the wait and the statement (cancellation interrupts it).
//
// A text that holds no statement (only white space, comments or
// semicolons, "" included) does nothing and succeeds, as sqlite3_exec
// does; Query, Get, QueryRow and the other calls that read rows (and
// Inspect) refuse it with an InvalidArgument error.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (Result, error) {
	ctx, c := db.begin(ctx, db.opExec, "exec", query)
	r, err := db.do(ctx, "exec", true, query, args, nil, false)
	return r, db.end(c, err, r.RowsAffected)
}

// Query runs query and yields its rows one at a time, streaming: nothing
// runs until the loop starts, and breaking out of the loop stops the
// statement. A read-only statement runs on a reader connection; one that
// writes (INSERT ... RETURNING) runs on the writer. An error is yielded
// once, with a nil *Row, and ends the loop.
//
//	for row, err := range db.Query(ctx, "SELECT id, name FROM users") {
//		if err != nil { return err }
//		var id int64; var name string
//		if err := row.Scan(&id, &name); err != nil { return err }
//	}
//
// The *Row is valid only inside the loop body. The connection is held
// until the loop ends, so keep the body short.
func (db *DB) Query(ctx context.Context, query string, args ...any) iter.Seq2[*Row, error] {
	return func(yield func(*Row, error) bool) {
		ctx, c := db.begin(ctx, db.opQuery, "query", query)
		stopped := false
		var n int64
		_, err := db.do(ctx, "query", false, query, args, c.counting(func(r *Row) error {
			if !yield(r, nil) {
				stopped = true
				return errStop
			}
			return nil
		}, &n), false)
		db.end(c, err, n)
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// Each runs query with args (bound as for Exec) and calls fn for every
// row; an error from fn stops the query and is returned. It is Query with
// a callback:
//
//	err := db.Each(ctx, "SELECT id FROM users WHERE age > ?", func(r *sqlite.Row) error {
//		...
//	}, 18)
func (db *DB) Each(ctx context.Context, query string, fn func(*Row) error, args ...any) error {
	ctx, c := db.begin(ctx, db.opQuery, "query", query)
	var n int64
	_, err := db.do(ctx, "query", false, query, args, c.counting(fn, &n), false)
	return db.end(c, err, n)
}

// Get runs query and stores its first row in dest: a pointer to a struct
// (columns matched to fields by `db` tag or name, case-insensitively), to a
// map[string]any, or, for a one-column result, to a scalar. No row is a
// NotFound error wrapping ErrNoRows.
//
// Fields of embedded structs are promoted, and a nil embedded pointer is
// allocated when a column reaches a field through it, except a pointer to
// an unexported struct type, which reflection cannot set: as with
// encoding/json, such a column is an InvalidArgument error naming the
// field while the pointer is nil, and fills the field once the caller
// has set the pointer (or tag the embedded field `db:"-"` to skip it).
// The same holds for AllAs and Tx.Get.
func (db *DB) Get(ctx context.Context, dest any, query string, args ...any) error {
	ctx, c := db.begin(ctx, db.opGet, "get", query)
	err := db.get(ctx, dest, query, args)
	return db.end(c, err, oneRow(err))
}

func (db *DB) get(ctx context.Context, dest any, query string, args []any) error {
	found := false
	_, err := db.do(ctx, "get", false, query, args, func(r *Row) error {
		found = true
		return r.scanDest(dest)
	}, true)
	if err == nil && !found {
		err = arsenal.E(arsenal.NotFound, Kind, "get", ErrNoRows)
	}
	return err
}

// QueryRow runs query when Scan is called on the result and scans the
// first row's columns into Scan's destinations, like database/sql's
// QueryRow. No row is a NotFound error wrapping ErrNoRows.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) RowScanner {
	return newRowScanner(db, nil, ctx, query, args)
}

// RowScanner is the deferred single-row query QueryRow returns.
type RowScanner struct {
	db    *DB
	tx    *Tx
	ctx   context.Context
	query string
	// The arguments: up to len(few) of them are copied into few, so the
	// caller's argument slice need not move to the heap (the RowScanner
	// holds a context, which escapes, and escape analysis treats the
	// struct as one); more are copied into args.
	args []any
	few  [2]any
	n    int
}

func newRowScanner(db *DB, tx *Tx, ctx context.Context, query string, args []any) RowScanner {
	rs := RowScanner{db: db, tx: tx, ctx: ctx, query: query}
	if len(args) <= len(rs.few) {
		rs.n = copy(rs.few[:], args)
	} else {
		rs.args = append([]any(nil), args...)
	}
	return rs
}

// argList returns the arguments QueryRow was given.
func (rs *RowScanner) argList() []any {
	if rs.args != nil {
		return rs.args
	}
	return rs.few[:rs.n]
}

// Scan runs the query and copies the first row's columns into dest, in
// order. See Row.Scan for the conversions.
func (rs RowScanner) Scan(dest ...any) error {
	args := rs.argList()
	if rs.tx == nil {
		ctx, c := rs.db.begin(rs.ctx, rs.db.opGet, "get", rs.query)
		err := rs.db.doOne(ctx, rs.query, args, dest)
		return rs.db.end(c, err, oneRow(err))
	}
	ctx, c := rs.tx.db.begin(rs.ctx, rs.tx.db.opGet, "get", rs.query)
	found := false
	_, err := rs.tx.run(ctx, "get", rs.query, args, func(r *Row) error {
		found = true
		return r.Scan(dest...)
	}, true, false)
	if err == nil && !found {
		err = arsenal.E(arsenal.NotFound, Kind, "get", ErrNoRows)
	}
	return rs.tx.db.end(c, err, oneRow(err))
}

// All runs query and returns every row as a map from column name to value
// (int64, float64, string, []byte or nil), as bun:sqlite's all() does.
func (db *DB) All(ctx context.Context, query string, args ...any) ([]map[string]any, error) {
	ctx, c := db.begin(ctx, db.opQuery, "query", query)
	var out []map[string]any
	_, err := db.do(ctx, "query", false, query, args, func(r *Row) error {
		out = append(out, r.Map())
		return nil
	}, false)
	return out, db.end(c, err, int64(len(out)))
}

// Values runs query and returns every row as a slice of values in column
// order, as bun:sqlite's values() does.
func (db *DB) Values(ctx context.Context, query string, args ...any) ([][]any, error) {
	ctx, c := db.begin(ctx, db.opQuery, "query", query)
	var out [][]any
	_, err := db.do(ctx, "query", false, query, args, func(r *Row) error {
		out = append(out, r.Values())
		return nil
	}, false)
	return out, db.end(c, err, int64(len(out)))
}

// Querier is what *DB and *Tx have in common for the generic helpers.
type Querier interface {
	Each(ctx context.Context, query string, fn func(*Row) error, args ...any) error
}

// AllAs runs query and returns every row as a T, bun:sqlite's as(Class):
// T is a struct (columns matched to fields by `db` tag or name,
// case-insensitively; columns without a field are ignored), a pointer to
// one, a map[string]any, or a scalar for a one-column result.
func AllAs[T any](ctx context.Context, q Querier, query string, args ...any) ([]T, error) {
	var out []T
	err := q.Each(ctx, query, func(r *Row) error {
		var v T
		if err := r.scanDest(&v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, args...)
	return out, err
}

// Scan copies the row's columns into dest, in order; fewer destinations
// than columns leave the rest unread. A bad conversion (NULL into a plain
// int, text into an int, an integer out of the destination's range) is an
// InvalidArgument error.
func (r *Row) Scan(dest ...any) error {
	if len(dest) > len(r.cs.cols) {
		return invalid("scan", "%d destinations for %d columns", len(dest), len(r.cs.cols))
	}
	for i, d := range dest {
		if err := scanColumn(r.cs.s, i, d, r.safe); err != nil {
			return invalid("scan", "column %d (%s): %v", i, r.cs.cols[i], err)
		}
	}
	return nil
}

// scanDest fills a struct, map or scalar destination.
func (r *Row) scanDest(dest any) error {
	switch d := dest.(type) {
	case *map[string]any:
		if d == nil {
			return invalid("scan", "destination %T is a nil pointer", dest)
		}
		*d = r.Map()
		return nil
	case *[]any:
		if d == nil {
			return invalid("scan", "destination %T is a nil pointer", dest)
		}
		*d = r.Values()
		return nil
	}
	rv := reflect.ValueOf(dest)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return invalid("scan", "destination %T is not a non-nil pointer", dest)
	}
	v := rv.Elem()
	t := v.Type()
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && t.Elem() != reflect.TypeFor[time.Time]() {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		v = v.Elem()
		t = v.Type()
	}
	if t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Time]() && !implementsScanner(t) {
		return r.scanStruct(v)
	}
	if len(r.cs.cols) != 1 {
		return invalid("scan", "cannot scan %d columns into %T (use a struct, a map or Scan)", len(r.cs.cols), dest)
	}
	return r.Scan(dest)
}

func (r *Row) scanStruct(v reflect.Value) error {
	info := structInfoOf(v.Type())
	for i, name := range r.cs.cols {
		f, ok := info.byName[strings.ToLower(name)]
		if !ok {
			continue
		}
		fv, err := fieldForSet(v, f.index)
		if err != nil {
			return invalid("scan", "column %q into field %s: %v", name, fieldPath(v.Type(), f.index), err)
		}
		if err := scanColumn(r.cs.s, i, fv.Addr().Interface(), r.safe); err != nil {
			return invalid("scan", "column %q into field %s: %v", name, f.name, err)
		}
	}
	return nil
}

func implementsScanner(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[interface{ Scan(any) error }]())
}

// ColumnCount is the number of columns.
func (r *Row) ColumnCount() int { return len(r.cs.cols) }

// ColumnNames returns the column names (shared; do not modify).
func (r *Row) ColumnNames() []string { return r.cs.cols }

// Type returns the storage class of column i in this row.
func (r *Row) Type(i int) StorageClass { return StorageClass(r.cs.s.ColumnType(i)) }

// Columns describes the columns, with this row's storage classes.
func (r *Row) Columns() []Column { return columnsOf(r.cs.s, true) }

// Value returns column i as int64, float64, string, []byte (a copy) or nil.
func (r *Row) Value(i int) any { return columnValue(r.cs.s, i, r.cs.s.ColumnType(i)) }

// Values returns every column as Value does.
func (r *Row) Values() []any {
	out := make([]any, len(r.cs.cols))
	for i := range out {
		out[i] = r.Value(i)
	}
	return out
}

// Map returns the row as a map from column name to Value. When two columns
// share a name, the later one wins (as in bun:sqlite).
func (r *Row) Map() map[string]any {
	m := make(map[string]any, len(r.cs.cols))
	for i, n := range r.cs.cols {
		m[n] = r.Value(i)
	}
	return m
}

// Int64 returns column i as an integer (SQLite's conversion rules apply:
// NULL is 0, text is parsed).
func (r *Row) Int64(i int) int64 { return r.cs.s.ColumnInt64(i) }

// Float64 returns column i as a float (SQLite's conversion rules).
func (r *Row) Float64(i int) float64 { return r.cs.s.ColumnFloat(i) }

// Text returns column i as text (SQLite's conversion rules).
func (r *Row) Text(i int) string { return r.cs.s.ColumnText(i) }

// Bytes returns a copy of column i as bytes; nil for NULL.
func (r *Row) Bytes(i int) []byte {
	if r.cs.s.ColumnType(i) == sqlite.TypeNull {
		return nil
	}
	b := make([]byte, r.cs.s.ColumnLen(i))
	r.cs.s.ColumnBytes(i, b)
	return b
}

// IsNull reports whether column i is NULL.
func (r *Row) IsNull(i int) bool { return r.cs.s.ColumnType(i) == sqlite.TypeNull }

// Inspect prepares query, binds args, and describes it, as bun:sqlite's
// Statement properties do: parameter names, column names, declared types
// (sqlite3_column_decltype), origin database, table and column, and the
// storage classes of the first row. A read-only statement is stepped once
// to get that row; a statement that writes is prepared but never run, and
// its columns report Type Null.
func (db *DB) Inspect(ctx context.Context, query string, args ...any) (Statement, error) {
	ctx, c := db.begin(ctx, db.opInspect, "inspect", query)
	res, err := db.acquire(ctx, "inspect", false)
	if err != nil {
		return Statement{}, db.end(c, err, 0)
	}
	defer db.release(res)
	st, err := res.Value().describe(ctx, query, args)
	return st, db.end(c, wrapErr(ctx, "inspect", err), 0)
}

func (cn *conn) describe(ctx context.Context, query string, args []any) (_ Statement, err error) {
	if cn.db.secure {
		cn.authBegin(ctx)
		start := cn.db.auditStart()
		defer func() { err = cn.authEnd(ctx, "inspect", start, err) }()
	}
	cn.arm(ctx)
	defer cn.disarm()
	cs, err := cn.prepare(query)
	if err != nil {
		if err == errEmpty {
			return Statement{}, errNoStatement()
		}
		if cn.prepErrIsScript(err) {
			return Statement{}, invalid("inspect", "a query with several statements cannot be inspected")
		}
		return Statement{}, err
	}
	defer cn.done(cs)
	if cn.db.secure {
		if err := cn.checkStmt(ctx, cs); err != nil {
			return Statement{}, err
		}
	}
	st := Statement{SQL: query, ReadOnly: cs.readOnly, Params: append([]string(nil), cs.params...)}
	if err := bind(cs, args, cn.db.cfg.Strict); err != nil {
		return Statement{}, err
	}
	st.ExpandedSQL = expandedSQL(cs.s)
	if cs.readOnly {
		ok, err := cs.s.Step()
		if err != nil {
			return Statement{}, err
		}
		st.HasRow = ok
	}
	st.Columns = columnsOf(cs.s, st.HasRow)
	return st, nil
}

// String implements fmt.Stringer for debugging output.
func (st Statement) String() string {
	return fmt.Sprintf("%s (%d params, %d columns)", st.SQL, len(st.Params), len(st.Columns))
}
