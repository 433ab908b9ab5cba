package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func TestRowAccessors(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	calls := 0
	err := db.Each(ctx, "SELECT 1 AS i, 2.5 AS f, 't' AS s, x'0102' AS b, NULL AS n", func(r *sqlite.Row) error {
		calls++
		assert.Equal(t, []string{"i", "f", "s", "b", "n"}, r.ColumnNames())
		assert.Equal(t, 5, r.ColumnCount())
		assert.Equal(t, []sqlite.StorageClass{sqlite.Integer, sqlite.Float, sqlite.Text, sqlite.Blob, sqlite.Null},
			[]sqlite.StorageClass{r.Type(0), r.Type(1), r.Type(2), r.Type(3), r.Type(4)})
		assert.Equal(t, 2.5, r.Float64(1))
		assert.Equal(t, 1.0, r.Float64(0), "SQLite's conversion")
		assert.Equal(t, int64(1), r.Int64(0))
		assert.Equal(t, "t", r.Text(2))
		assert.Equal(t, []byte{1, 2}, r.Bytes(3))
		assert.Equal(t, []byte("t"), r.Bytes(2))
		assert.Nil(t, r.Bytes(4))
		assert.True(t, r.IsNull(4))
		assert.False(t, r.IsNull(0))
		assert.Equal(t, []any{int64(1), 2.5, "t", []byte{1, 2}, nil}, r.Values())

		b := r.Bytes(3)
		b[0] = 9 // a copy: the row is untouched
		assert.Equal(t, []byte{1, 2}, r.Bytes(3))

		var a, b2, c, d, e, f any
		err := r.Scan(&a, &b2, &c, &d, &e, &f)
		wantCode(t, err, arsenal.InvalidArgument)
		assert.Contains(t, err.Error(), "6 destinations for 5 columns")
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
	assert.Equal(t, "UNKNOWN", sqlite.StorageClass(99).String())
}

func TestGetIntoValuesAndScalarDestinations(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	var vals []any
	require.NoError(t, db.Get(ctx, &vals, "SELECT 1, 'two', NULL"))
	assert.Equal(t, []any{int64(1), "two", nil}, vals)
	var n int64
	err := db.Get(ctx, &n, "SELECT 1, 2")
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), "cannot scan 2 columns into *int64")
	var nilVals *[]any
	wantCode(t, db.Get(ctx, nilVals, "SELECT 1"), arsenal.InvalidArgument)
}

func TestQueryRowPaths(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")

	// More arguments than the RowScanner keeps inline.
	var sum int64
	require.NoError(t, db.QueryRow(ctx, "SELECT ? + ? + ?", 1, 2, 3).Scan(&sum))
	assert.Equal(t, int64(6), sum)

	// No row.
	var v string
	err := db.QueryRow(ctx, "SELECT v FROM t WHERE id = ?", 1).Scan(&v)
	wantCode(t, err, arsenal.NotFound)
	assert.ErrorIs(t, err, sqlite.ErrNoRows)

	// More destinations than columns, and a bad argument.
	var a, b any
	wantCode(t, db.QueryRow(ctx, "SELECT 1").Scan(&a, &b), arsenal.InvalidArgument)
	wantCode(t, db.QueryRow(ctx, "SELECT ?", complex(1, 2)).Scan(&a), arsenal.InvalidArgument)
	wantCode(t, db.QueryRow(ctx, "SELECT ?, ?", 1, 2, 3).Scan(&a), arsenal.InvalidArgument)

	// A statement that writes moves from a reader to the writer.
	var id int64
	require.NoError(t, db.QueryRow(ctx, "INSERT INTO t(v) VALUES ('x') RETURNING id").Scan(&id))
	assert.Equal(t, int64(1), id)
	require.NoError(t, db.QueryRow(ctx, "SELECT v FROM t WHERE id = ?", id).Scan(&v))
	assert.Equal(t, "x", v)

	// A statement that leaves a transaction open is rolled back and
	// refused.
	err = db.QueryRow(ctx, "BEGIN").Scan()
	wantCode(t, err, arsenal.FailedPrecondition)
	assert.Contains(t, err.Error(), "left a transaction open")
	_, err = db.Exec(ctx, "INSERT INTO t(v) VALUES ('y')")
	require.NoError(t, err, "the connection is usable afterwards")

	// In a transaction.
	require.NoError(t, db.Tx(ctx, func(tx *sqlite.Tx) error {
		err := tx.QueryRow(ctx, "SELECT v FROM t WHERE id = 99").Scan(&v)
		wantCode(t, err, arsenal.NotFound)
		var m map[string]any
		err = tx.Get(ctx, &m, "SELECT * FROM t WHERE id = 99")
		wantCode(t, err, arsenal.NotFound)
		assert.ErrorIs(t, err, sqlite.ErrNoRows)
		rows, err := tx.All(ctx, "SELECT id, v FROM t ORDER BY id")
		require.NoError(t, err)
		assert.Equal(t, []map[string]any{{"id": int64(1), "v": "x"}, {"id": int64(2), "v": "y"}}, rows)
		return nil
	}))
}

func TestScriptStopsAtAFailingStatement(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	_, err := db.Exec(ctx, "CREATE TABLE u(x UNIQUE); INSERT INTO u VALUES (1); INSERT INTO u VALUES (1); INSERT INTO u VALUES (2)")
	wantCode(t, err, arsenal.AlreadyExists)
	var n int64
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM u").Scan(&n))
	assert.Equal(t, int64(1), n, "the statements before the failing one ran, those after did not")
}

func TestInspectErrorsAndString(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	st, err := db.Inspect(ctx, "SELECT ?1 AS a", 5)
	require.NoError(t, err)
	assert.Equal(t, "SELECT ?1 AS a (1 params, 1 columns)", st.String())
	assert.Equal(t, "SELECT 5 AS a", st.ExpandedSQL)

	_, err = db.Inspect(ctx, "SELECT ?", 1, 2)
	wantCode(t, err, arsenal.InvalidArgument)
	_, err = db.Inspect(ctx, "SELECT 1; SELECT 2")
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), "several statements")
	_, err = db.Inspect(ctx, "SELECT abs(-9223372036854775807 - 1)")
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), "integer overflow")
}

func TestTxExecHeadPathChecksArguments(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	bg := context.Background() // no Done channel: the Tx's fast path for a repeated Exec
	mustExec(t, db, "CREATE TABLE t(x)")
	const ins = "INSERT INTO t VALUES (?)"
	require.NoError(t, db.Tx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(bg, ins, 1)
		require.NoError(t, err)
		_, err = tx.Exec(bg, ins, 1, 2)
		wantCode(t, err, arsenal.InvalidArgument)
		_, err = tx.ExecArgs(bg, ins, sqlite.IntArg(1), sqlite.IntArg(2))
		wantCode(t, err, arsenal.InvalidArgument)
		_, err = tx.ExecArgs(bg, ins, sqlite.IntArg(3))
		require.NoError(t, err)
		_, err = tx.Exec(bg, ins, complex(1, 1))
		wantCode(t, err, arsenal.InvalidArgument)
		return nil
	}))
	vals, err := db.Values(ctx, "SELECT x FROM t ORDER BY x")
	require.NoError(t, err)
	assert.Equal(t, [][]any{{int64(1)}, {int64(3)}}, vals)
}

func TestTxCallsWithAnEndedContext(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(x)")
	done, cancel := context.WithCancel(ctx)
	cancel()
	var saved *sqlite.Tx
	require.NoError(t, db.Tx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(done, "INSERT INTO t VALUES (1)")
		wantCode(t, err, arsenal.Canceled)
		err = tx.Tx(done, func(*sqlite.Tx) error {
			t.Error("a savepoint ran with an ended context")
			return nil
		})
		wantCode(t, err, arsenal.Canceled)
		require.NoError(t, tx.Tx(ctx, func(child *sqlite.Tx) error {
			saved = child
			_, err := child.Exec(ctx, "INSERT INTO t VALUES (2)")
			return err
		}))
		// The savepoint is over: it refuses more work.
		err = saved.Tx(ctx, func(*sqlite.Tx) error { return nil })
		wantCode(t, err, arsenal.FailedPrecondition)
		assert.Contains(t, err.Error(), "already finished")
		return nil
	}))
	vals, err := db.Values(ctx, "SELECT x FROM t")
	require.NoError(t, err)
	assert.Equal(t, [][]any{{int64(2)}}, vals)
	assert.Equal(t, "TxMode(7)", sqlite.TxMode(7).String())
}

func TestTxLostAndFunctionErrorKeepsBoth(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mine := errors.New("mine")
	err := db.Tx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(ctx, "ROLLBACK")
		wantCode(t, err, arsenal.FailedPrecondition)
		return mine
	})
	wantCode(t, err, arsenal.FailedPrecondition)
	assert.ErrorIs(t, err, mine, "fn's error is kept under the transaction's")
	assert.Contains(t, err.Error(), "ended the transaction")
}

func TestExecWaitingForTheWriterEndsWithItsContext(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(x)")
	require.NoError(t, db.Tx(ctx, func(tx *sqlite.Tx) error {
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		// The Tx holds the writer: a DB.Exec waits for it until its
		// context ends.
		_, err := db.Exec(short, "INSERT INTO t VALUES (1)")
		wantCode(t, err, arsenal.DeadlineExceeded)
		_, err = tx.Exec(ctx, "INSERT INTO t VALUES (2)")
		return err
	}))
	vals, err := db.Values(ctx, "SELECT x FROM t")
	require.NoError(t, err)
	assert.Equal(t, [][]any{{int64(2)}}, vals)
}

func TestLockHeldByAnotherHandleIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := ctxT(t)
	holder := openFile(t, sqlite.Config{Path: path, Create: true})
	mustExec(t, holder, "CREATE TABLE t(x)")
	// Longer than SQLite's table of busy delays (328 ms), so the waits
	// past its end run too.
	other := openFile(t, sqlite.Config{Path: path, BusyTimeout: 400 * time.Millisecond})
	require.NoError(t, holder.TxWith(ctx, sqlite.Immediate, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO t VALUES (1)")
		require.NoError(t, err)
		// A context that cannot be cancelled waits with plain sleeps.
		err = other.TxWith(context.Background(), sqlite.Immediate, func(*sqlite.Tx) error {
			t.Error("a second writer began while the first held the lock")
			return nil
		})
		wantCode(t, err, arsenal.Unavailable)
		assert.True(t, arsenal.Classify(err).Retryable, "a lock wait that gave up is safe to retry: %v", err)
		_, err = other.Exec(ctx, "INSERT INTO t VALUES (2)")
		wantCode(t, err, arsenal.Unavailable)
		return nil
	}))
	// Once the lock is free the other handle writes.
	_, err := other.Exec(ctx, "INSERT INTO t VALUES (3)")
	require.NoError(t, err)
	vals, err := holder.Values(ctx, "SELECT x FROM t ORDER BY x")
	require.NoError(t, err)
	assert.Equal(t, [][]any{{int64(1)}, {int64(3)}}, vals)
}

func TestDescribeAndDegradationRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	rw := openFile(t, sqlite.Config{Path: path, Create: true, Readers: 3})
	assert.Equal(t, "sqlite "+path+" (read-write, wal, 1 writer + 3 readers)", rw.Describe())
	ro := openFile(t, sqlite.Config{Path: path, ReadOnly: true})
	assert.Contains(t, ro.Describe(), "(read-only,")
	mem := openMem(t, sqlite.Config{})
	assert.Equal(t, "sqlite :memory: (read-write, one connection)", mem.Describe())

	rules := sqlite.DegradationRules()
	require.NotEmpty(t, rules)
	found := false
	for _, r := range rules {
		if r.Name == "sqlite writer queue" {
			found = true
			assert.Equal(t, sqlite.Kind, r.Kind)
			assert.Equal(t, "gauge:writer_wait", r.Metric)
		}
	}
	assert.True(t, found, "rules: %+v", rules)
	assert.Equal(t, rules, rw.DBStats().DegradationRules())
}
