package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func count(t *testing.T, db *sqlite.DB, q string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(ctxT(t), q).Scan(&n), "%s", q)
	return n
}

func TestTxCommitsOrRollsBackInEveryMode(t *testing.T) {
	for _, mode := range []sqlite.TxMode{sqlite.Deferred, sqlite.Immediate, sqlite.Exclusive} {
		t.Run(mode.String(), func(t *testing.T) {
			db := openFile(t, sqlite.Config{})
			ctx := ctxT(t)
			mustExec(t, db, "CREATE TABLE t(x INTEGER)")
			err := db.TxWith(ctx, mode, func(tx *sqlite.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO t VALUES (1), (2)"); err != nil {
					return err
				}
				// The transaction sees its own writes; readers do not yet.
				var inside int
				if err := tx.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&inside); err != nil {
					return err
				}
				assert.Equal(t, 2, inside, "inside the tx: %d rows", inside)
				n := count(t, db, "SELECT count(*) FROM t")
				assert.Equal(t, 0, n, "a reader sees %d uncommitted rows", n)
				return nil
			})
			require.NoError(t, err)
			n := count(t, db, "SELECT count(*) FROM t")
			require.Equal(t, 2, n, "after commit: %d rows", n)
			boom := errors.New("boom")
			err = db.TxWith(ctx, mode, func(tx *sqlite.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO t VALUES (3)"); err != nil {
					return err
				}
				return boom
			})
			require.ErrorIs(t, err, boom, "Tx error = %v, want to wrap boom", err)
			n = count(t, db, "SELECT count(*) FROM t")
			require.Equal(t, 2, n, "after rollback: %d rows", n)
			g := db.DBStats()
			assert.Equal(t, uint64(1), g.TxCommits, "tx stats %+v", g)
			assert.Equal(t, uint64(1), g.TxRollbacks, "tx stats %+v", g)
		})
	}
}

func TestTxRollsBackOnPanicAndRepanics(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(x INTEGER)")
	func() {
		defer func() {
			if p := recover(); p != "kaboom" {
				t.Errorf("recovered %v, want the original panic", p)
			}
		}()
		db.Tx(ctx, func(tx *sqlite.Tx) error {
			tx.Exec(ctx, "INSERT INTO t VALUES (1)")
			panic("kaboom")
		})
		t.Error("Tx swallowed the panic")
	}()
	n := count(t, db, "SELECT count(*) FROM t")
	require.Equal(t, 0, n, "after panic: %d rows", n)
	// The writer was released and works.
	mustExec(t, db, "INSERT INTO t VALUES (2)")
}

func TestNestedTxUsesSavepoints(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(x INTEGER)")
	err := db.Tx(ctx, func(tx *sqlite.Tx) error {
		tx.Exec(ctx, "INSERT INTO t VALUES (1)")
		// An inner failure rolls back only the inner work.
		inner := tx.Tx(ctx, func(tx2 *sqlite.Tx) error {
			tx2.Exec(ctx, "INSERT INTO t VALUES (2)")
			return errors.New("inner fails")
		})
		assert.Error(t, inner, "inner error lost")
		// An inner panic rolls back the inner work and continues upward...
		func() {
			defer func() { recover() }()
			tx.Tx(ctx, func(tx2 *sqlite.Tx) error {
				tx2.Exec(ctx, "INSERT INTO t VALUES (3)")
				panic("inner panic")
			})
		}()
		// ...and a successful inner savepoint is kept, two levels deep.
		return tx.Tx(ctx, func(tx2 *sqlite.Tx) error {
			tx2.Exec(ctx, "INSERT INTO t VALUES (4)")
			return tx2.Tx(ctx, func(tx3 *sqlite.Tx) error {
				_, err := tx3.Exec(ctx, "INSERT INTO t VALUES (5)")
				return err
			})
		})
	})
	require.NoError(t, err)
	vals, err := sqlite.AllAs[int](ctx, db, "SELECT x FROM t ORDER BY x")
	require.NoError(t, err)
	require.Equal(t, 3, len(vals), "rows %v, want [1 4 5]", vals)
	require.Equal(t, 1, vals[0], "rows %v, want [1 4 5]", vals)
	require.Equal(t, 4, vals[1], "rows %v, want [1 4 5]", vals)
	require.Equal(t, 5, vals[2], "rows %v, want [1 4 5]", vals)
}

func TestTxGuardsItsLifetime(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(x INTEGER)")
	var leaked *sqlite.Tx
	require.NoError(t, db.Tx(ctx, func(tx *sqlite.Tx) error { leaked = tx; return nil }))
	_, err := leaked.Exec(ctx, "INSERT INTO t VALUES (1)")
	wantCode(t, err, arsenal.FailedPrecondition)

	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(ctx, "COMMIT")
		return err
	})
	wantCode(t, err, arsenal.FailedPrecondition)

	cctx, cancel := context.WithCancel(ctx)
	err = db.Tx(cctx, func(tx *sqlite.Tx) error {
		tx.Exec(ctx, "INSERT INTO t VALUES (1)")
		cancel()
		return nil
	})
	wantCode(t, err, arsenal.Canceled)
	n := count(t, db, "SELECT count(*) FROM t")
	require.Equal(t, 0, n, "a cancelled tx committed %d rows", n)
	err = db.TxWith(ctx, sqlite.TxMode(9), func(*sqlite.Tx) error { return nil })
	wantCode(t, err, arsenal.InvalidArgument)
}
