package sqlite

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
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
type Tx struct {
	db    *DB
	cn    *conn
	mu    *sync.Mutex // shared by nested savepoints
	depth int
	done  bool
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
	start := bench.Now()
	if mode < Deferred || mode > Exclusive {
		return db.opTx.Done(start, invalid("tx", "unknown transaction mode %d", int(mode)))
	}
	res, err := db.acquire(ctx, "tx", true)
	if err != nil {
		return db.opTx.Done(start, err)
	}
	cn := res.Value()
	if err := cn.simpleCtx(ctx, mode.begin()); err != nil {
		db.release(res)
		return db.opTx.Done(start, wrapErr(ctx, "tx", err))
	}
	tx := &Tx{db: db, cn: cn, mu: new(sync.Mutex)}
	committed := false
	defer func() {
		p := recover()
		if !committed {
			tx.rollbackAll()
		}
		tx.mu.Lock()
		tx.done = true
		tx.mu.Unlock()
		db.release(res)
		db.opTx.Done(start, err)
		if p != nil {
			panic(p)
		}
	}()
	if err = fn(tx); err != nil {
		return arsenal.Wrap(Kind, "tx", err)
	}
	if cerr := ctx.Err(); cerr != nil {
		return wrapErr(ctx, "tx", cerr)
	}
	tx.mu.Lock()
	err = cn.simpleCtx(ctx, "COMMIT")
	tx.mu.Unlock()
	if err != nil {
		return wrapErr(ctx, "tx", err)
	}
	committed = true
	db.txCommits.Add(1)
	return nil
}

func (tx *Tx) rollbackAll() {
	tx.mu.Lock()
	defer tx.mu.Unlock()
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
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "tx", "transaction already finished")
	}
	name := fmt.Sprintf("arsenal_sp%d", tx.depth+1)
	err = tx.cn.simpleCtx(ctx, "SAVEPOINT "+name)
	tx.mu.Unlock()
	if err != nil {
		return wrapErr(ctx, "tx", err)
	}
	child := &Tx{db: tx.db, cn: tx.cn, mu: tx.mu, depth: tx.depth + 1}
	released := false
	defer func() {
		p := recover()
		tx.mu.Lock()
		if !released && !tx.cn.c.AutocommitEnabled() {
			tx.cn.execSimple("ROLLBACK TO " + name)
			tx.cn.execSimple("RELEASE " + name)
		}
		child.done = true
		tx.mu.Unlock()
		if p != nil {
			panic(p)
		}
	}()
	if err = fn(child); err != nil {
		return arsenal.Wrap(Kind, "tx", err)
	}
	tx.mu.Lock()
	err = tx.cn.simpleCtx(ctx, "RELEASE "+name)
	tx.mu.Unlock()
	if err != nil {
		return wrapErr(ctx, "tx", err)
	}
	released = true
	return nil
}

func (tx *Tx) run(ctx context.Context, op, query string, args []any, each func(*Row) error, one bool) (Result, error) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return Result{}, arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "transaction already finished")
	}
	r, err := tx.cn.run(ctx, query, args, each, one)
	if err == nil {
		if !tx.cn.c.AutocommitEnabled() {
			return r, nil
		}
		err = arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "the statement ended the transaction (COMMIT or ROLLBACK inside Tx); return from the function instead")
	}
	return r, wrapErr(ctx, op, err)
}

// Exec runs a statement inside the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (Result, error) {
	start := tx.db.opExec.Start()
	r, err := tx.run(ctx, "exec", query, args, nil, false)
	return r, tx.db.opExec.Done(start, err)
}

// Query yields the rows of query run inside the transaction (it sees the
// transaction's own changes). See DB.Query.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) iter.Seq2[*Row, error] {
	return func(yield func(*Row, error) bool) {
		start := tx.db.opQuery.Start()
		stopped := false
		_, err := tx.run(ctx, "query", query, args, func(r *Row) error {
			if !yield(r, nil) {
				stopped = true
				return errStop
			}
			return nil
		}, false)
		tx.db.opQuery.Done(start, err)
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// Each calls fn for every row of query run inside the transaction.
func (tx *Tx) Each(ctx context.Context, query string, args []any, fn func(*Row) error) error {
	start := tx.db.opQuery.Start()
	_, err := tx.run(ctx, "query", query, args, fn, false)
	return tx.db.opQuery.Done(start, err)
}

// Get stores the first row of query in dest; see DB.Get.
func (tx *Tx) Get(ctx context.Context, dest any, query string, args ...any) error {
	start := tx.db.opGet.Start()
	found := false
	_, err := tx.run(ctx, "get", query, args, func(r *Row) error {
		found = true
		return r.scanDest(dest)
	}, true)
	if err == nil && !found {
		err = arsenal.E(arsenal.NotFound, Kind, "get", ErrNoRows)
	}
	return tx.db.opGet.Done(start, err)
}

// QueryRow is DB.QueryRow inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) RowScanner {
	return newRowScanner(tx.db, tx, ctx, query, args)
}

// All is DB.All inside the transaction.
func (tx *Tx) All(ctx context.Context, query string, args ...any) ([]map[string]any, error) {
	var out []map[string]any
	err := tx.Each(ctx, query, args, func(r *Row) error {
		out = append(out, r.Map())
		return nil
	})
	return out, err
}
