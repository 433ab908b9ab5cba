package sqlite

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/infra-arsenal/arsenal"
)

// TxMode is how a transaction begins.
type TxMode int

// The transaction modes, as in SQLite's BEGIN DEFERRED / IMMEDIATE /
// EXCLUSIVE. Inside this process all writes already queue for the one
// writer connection, so the mode matters only towards other processes
// using the same file: Immediate takes the write lock at BEGIN, so a
// transaction that reads and then writes cannot fail with SQLITE_BUSY
// half-way.
const (
	Deferred TxMode = iota
	Immediate
	Exclusive
)

func (m TxMode) begin() string {
	switch m {
	case Immediate:
		return "BEGIN IMMEDIATE"
	case Exclusive:
		return "BEGIN EXCLUSIVE"
	}
	return "BEGIN DEFERRED"
}

// String returns "deferred", "immediate" or "exclusive".
func (m TxMode) String() string {
	switch m {
	case Immediate:
		return "immediate"
	case Exclusive:
		return "exclusive"
	case Deferred:
		return "deferred"
	}
	return fmt.Sprintf("TxMode(%d)", int(m))
}

// Tx is a transaction (or, nested, a savepoint) on the writer connection.
// It is valid only inside the function given to DB.Tx; its methods are
// safe to call from several goroutines (they take turns).
//
// Inside the function use the Tx, not the DB, for writes: the DB's writer
// connection is held by the transaction, so a DB.Exec would wait for it
// until its context ends. DB reads still run on reader connections and see
// the last committed state.
//
// While a Query or Each loop over the Tx runs, the Tx is busy: any other
// call on it (or on a nested savepoint), from the loop body or from another
// goroutine, fails at once with FailedPrecondition; finish the iteration
// first (collect what the loop found, then write).
//
// When SQLite rolls the whole transaction back on its own (an interrupted
// or cancelled write, a full disk, ...), every later call on the Tx fails
// with Aborted and runs nothing, and DB.Tx returns an Aborted error: the
// transaction's earlier writes are gone and nothing after them may commit.
type Tx struct {
	db    *DB
	cn    *conn
	st    *txState // shared by nested savepoints
	depth int
	done  bool
}

// txState is what a transaction and its savepoints share.
type txState struct {
	mu sync.Mutex // taken by every statement run in the transaction
	// iterating is set while a Query or Each loop holds mu (and runs user
	// code that might call the Tx again).
	iterating atomic.Bool
	// lost, once set (under mu), is the error every later call returns:
	// the transaction ended under the function's feet.
	lost error
}

// errBusy is the error of a call made while a Query or Each loop holds
// the transaction.
func errBusy(op string) error {
	return arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "the transaction is busy with a running query; finish the iteration first")
}

// lock takes the transaction's mutex, failing fast rather than
// deadlocking when a Query or Each loop holds it (a nested call from the
// loop body would otherwise wait for itself forever).
func (tx *Tx) lock(op string) error {
	if !tx.st.mu.TryLock() {
		if tx.st.iterating.Load() {
			return errBusy(op)
		}
		tx.st.mu.Lock()
	}
	return nil
}

func (tx *Tx) unlock() { tx.st.mu.Unlock() }

// alive reports (with st.mu held) whether the transaction is still open.
// SQLite rolls the whole transaction back on some errors (an interrupted
// write among them) and the connection returns to autocommit: a statement
// run then would commit on its own. alive records that, and the Tx
// refuses every later statement with an Aborted error.
func (tx *Tx) alive(op string) error {
	if tx.st.lost == nil && tx.cn.c.AutocommitEnabled() {
		tx.st.lost = arsenal.Errorf(arsenal.Aborted, Kind, op, "the transaction was rolled back by SQLite (an interrupted or failed statement ended it); its earlier writes are lost and nothing more runs in it")
	}
	return tx.st.lost
}

// Tx runs fn inside a deferred transaction (bun:sqlite's
// db.transaction(fn)()). It commits when fn returns nil, and rolls back
// when fn returns an error or panics (the panic then continues). Calling
// tx.Tx inside fn nests a SAVEPOINT. ctx bounds waiting for the writer and
// BEGIN/COMMIT; a ctx that ends before COMMIT rolls back.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	return db.TxWith(ctx, Deferred, fn)
}

// TxWith is Tx with a chosen mode.
func (db *DB) TxWith(ctx context.Context, mode TxMode, fn func(tx *Tx) error) (err error) {
	ctx, c := db.begin(ctx, db.opTx, "tx", "")
	if mode < Deferred || mode > Exclusive {
		return db.end(c, invalid("tx", "unknown transaction mode %d", int(mode)), 0)
	}
	if err := db.authorizeOp(ctx, "transaction", ""); err != nil {
		return db.end(c, err, 0)
	}
	start := db.auditStart()
	res, err := db.acquire(ctx, "tx", true)
	if err != nil {
		db.recordOp(ctx, "transaction", "", start, err)
		return db.end(c, err, 0)
	}
	cn := res.Value()
	if err := cn.simpleCtx(ctx, mode.begin()); err != nil {
		db.release(res)
		err = wrapErr(ctx, "tx", err)
		db.recordOp(ctx, "transaction", "", start, err)
		return db.end(c, err, 0)
	}
	tx := &Tx{db: db, cn: cn, st: new(txState)}
	committed := false
	defer func() {
		p := recover()
		if !committed {
			tx.rollbackAll()
		}
		tx.st.mu.Lock()
		tx.done = true
		tx.st.mu.Unlock()
		db.release(res)
		db.recordOp(ctx, "transaction", "", start, err)
		db.end(c, err, 0)
		if p != nil {
			panic(p)
		}
	}()
	err = fn(tx)
	tx.st.mu.Lock()
	lost := tx.alive("tx")
	tx.st.mu.Unlock()
	if lost != nil {
		// Never report success, nor only fn's error, for a transaction
		// that ended under fn: its code (Aborted when SQLite rolled it
		// back) comes first.
		if err == nil || err == lost {
			return lost
		}
		return &arsenal.Error{Code: arsenal.CodeOf(lost), Component: Kind, Op: "tx", Message: lost.Error(), Err: err}
	}
	if err != nil {
		return arsenal.Wrap(Kind, "tx", err)
	}
	if cerr := ctx.Err(); cerr != nil {
		return wrapErr(ctx, "tx", cerr)
	}
	tx.st.mu.Lock()
	err = cn.simpleCtx(ctx, "COMMIT")
	tx.st.mu.Unlock()
	if err != nil {
		return wrapErr(ctx, "tx", err)
	}
	committed = true
	db.txCommits.Add(1)
	return nil
}

func (tx *Tx) rollbackAll() {
	tx.st.mu.Lock()
	defer tx.st.mu.Unlock()
	if !tx.cn.c.AutocommitEnabled() {
		tx.cn.execSimple("ROLLBACK")
	}
	tx.db.txRollbacks.Add(1)
}

// simpleCtx runs a no-argument statement with ctx able to interrupt it.
func (cn *conn) simpleCtx(ctx context.Context, q string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cn.arm(ctx)
	defer cn.disarm()
	return cn.execSimple(q)
}

// Tx runs fn inside a SAVEPOINT nested in tx: fn's changes are released
// into tx when it returns nil and rolled back (leaving tx's earlier changes
// in place) when it returns an error or panics.
func (tx *Tx) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if err := tx.lock("tx"); err != nil {
		return err
	}
	if tx.done {
		tx.unlock()
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "tx", "transaction already finished")
	}
	if err := tx.alive("tx"); err != nil {
		// SAVEPOINT in autocommit would open a new transaction.
		tx.unlock()
		return err
	}
	name := fmt.Sprintf("arsenal_sp%d", tx.depth+1)
	err = tx.cn.simpleCtx(ctx, "SAVEPOINT "+name)
	tx.unlock()
	if err != nil {
		return wrapErr(ctx, "tx", err)
	}
	child := &Tx{db: tx.db, cn: tx.cn, st: tx.st, depth: tx.depth + 1}
	released := false
	defer func() {
		p := recover()
		tx.st.mu.Lock()
		// In autocommit SQLite rolled the whole transaction back: alive
		// records it so the parent's later statements do not run (and
		// commit) on their own.
		if !released && tx.alive("tx") == nil {
			tx.cn.execSimple("ROLLBACK TO " + name)
			tx.cn.execSimple("RELEASE " + name)
		}
		child.done = true
		tx.st.mu.Unlock()
		if p != nil {
			panic(p)
		}
	}()
	if err = fn(child); err != nil {
		return arsenal.Wrap(Kind, "tx", err)
	}
	tx.st.mu.Lock()
	if err = tx.alive("tx"); err == nil {
		err = tx.cn.simpleCtx(ctx, "RELEASE "+name)
	}
	tx.st.mu.Unlock()
	if err != nil {
		return wrapErr(ctx, "tx", err)
	}
	released = true
	return nil
}

// run runs a statement in the transaction. iter marks a Query or Each
// loop, whose body may call the Tx again: such calls fail fast (see lock).
func (tx *Tx) run(ctx context.Context, op, query string, args []any, each func(*Row) error, one, iter bool) (Result, error) {
	return tx.runWith(ctx, op, query, args, nil, each, one, iter)
}

// runWith is run with ExecArgs' typed arguments (typed not nil) or args.
func (tx *Tx) runWith(ctx context.Context, op, query string, args []any, typed []Arg, each func(*Row) error, one, iter bool) (Result, error) {
	if err := tx.lock(op); err != nil {
		return Result{}, err
	}
	defer tx.unlock()
	if tx.done {
		return Result{}, arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "transaction already finished")
	}
	// Every statement, savepoint and nested Tx checks for autocommit
	// after it runs (alive), so a transaction SQLite ended is recorded in
	// st.lost before the next call: no need to ask SQLite again here.
	if err := tx.st.lost; err != nil {
		return Result{}, err
	}
	if iter {
		tx.st.iterating.Store(true)
		defer tx.st.iterating.Store(false)
	}
	var (
		r   Result
		err error
	)
	if cs := tx.cn.head; each == nil && cs != nil && cs.query == query && !tx.db.secure && ctx.Done() == nil {
		r, err = tx.cn.execHead(cs, args, typed) // an insert loop's path
	} else {
		r, err = tx.cn.run(ctx, query, args, typed, each, one)
	}
	if err == nil {
		if !tx.cn.c.AutocommitEnabled() {
			return r, nil
		}
		err = arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "the statement ended the transaction (COMMIT or ROLLBACK inside Tx); return from the function instead")
		tx.st.lost = err
		return r, err
	}
	tx.alive(op) // an error may have rolled the whole transaction back
	return r, wrapErr(ctx, op, err)
}

// Exec runs a statement inside the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (Result, error) {
	ctx, c := tx.db.begin(ctx, tx.db.opExec, "exec", query)
	r, err := tx.run(ctx, "exec", query, args, nil, false, false)
	return r, tx.db.end(c, err, r.RowsAffected)
}

// Query yields the rows of query run inside the transaction (it sees the
// transaction's own changes). See DB.Query. The loop holds the Tx: calling
// the Tx (Exec, Get, Tx, another Query...) from the loop body fails with
// FailedPrecondition; collect what you need and act after the loop.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) iter.Seq2[*Row, error] {
	return func(yield func(*Row, error) bool) {
		ctx, c := tx.db.begin(ctx, tx.db.opQuery, "query", query)
		stopped := false
		var n int64
		_, err := tx.run(ctx, "query", query, args, c.counting(func(r *Row) error {
			if !yield(r, nil) {
				stopped = true
				return errStop
			}
			return nil
		}, &n), false, true)
		tx.db.end(c, err, n)
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// Each calls fn for every row of query (with args, as for Exec) run
// inside the transaction. As
// with Query, fn must not call the Tx: such calls fail with
// FailedPrecondition.
func (tx *Tx) Each(ctx context.Context, query string, fn func(*Row) error, args ...any) error {
	ctx, c := tx.db.begin(ctx, tx.db.opQuery, "query", query)
	var n int64
	_, err := tx.run(ctx, "query", query, args, c.counting(fn, &n), false, true)
	return tx.db.end(c, err, n)
}

// Get stores the first row of query in dest; see DB.Get.
func (tx *Tx) Get(ctx context.Context, dest any, query string, args ...any) error {
	ctx, c := tx.db.begin(ctx, tx.db.opGet, "get", query)
	found := false
	_, err := tx.run(ctx, "get", query, args, func(r *Row) error {
		found = true
		return r.scanDest(dest)
	}, true, false)
	if err == nil && !found {
		err = arsenal.E(arsenal.NotFound, Kind, "get", ErrNoRows)
	}
	return tx.db.end(c, err, oneRow(err))
}

// QueryRow is DB.QueryRow inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) RowScanner {
	return newRowScanner(tx.db, tx, ctx, query, args)
}

// All is DB.All inside the transaction.
func (tx *Tx) All(ctx context.Context, query string, args ...any) ([]map[string]any, error) {
	ctx, c := tx.db.begin(ctx, tx.db.opQuery, "query", query)
	var out []map[string]any
	_, err := tx.run(ctx, "query", query, args, func(r *Row) error {
		out = append(out, r.Map())
		return nil
	}, false, false) // no user code runs in the loop: not iter
	return out, tx.db.end(c, err, int64(len(out)))
}
