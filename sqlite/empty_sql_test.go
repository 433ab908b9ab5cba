package sqlite_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// SQL texts that hold no statement: SQLite prepares each to nothing.
var blankTexts = []string{
	"",
	"   ",
	"  ;  ",
	";;",
	"-- only a comment",
	"-- one\n-- two\n",
	"/* c */",
	"/* unterminated",
	"\n-- a\n/* b */ ;\r\n\t;",
}

func wantNoStatement(t *testing.T, err error, what, q string) {
	t.Helper()
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), "no statement", "%s(%q): the error says why", what, q)
	assert.NotContains(t, err.Error(), "not an error", "%s(%q)", what, q)
}

func TestExecOfSQLWithNoStatementIsANoOp(t *testing.T) {
	for name, open := range map[string]func(testing.TB, sqlite.Config) *sqlite.DB{"file": openFile, "memory": openMem} {
		t.Run(name, func(t *testing.T) {
			db := open(t, sqlite.Config{})
			ctx := ctxT(t)
			mustExec(t, db, "CREATE TABLE t(x INTEGER)")
			mustExec(t, db, "INSERT INTO t VALUES (1)")
			for _, q := range blankTexts {
				r, err := db.Exec(ctx, q)
				require.NoError(t, err, "Exec(%q)", q)
				assert.Equal(t, int64(0), r.RowsAffected, "Exec(%q)", q)
				r, err = db.ExecArgs(ctx, q)
				require.NoError(t, err, "ExecArgs(%q)", q)
				assert.Equal(t, int64(0), r.RowsAffected, "ExecArgs(%q)", q)

				// A statement without parameters takes no positional
				// argument; the same holds for no statement.
				_, err = db.Exec(ctx, q, 1)
				wantCode(t, err, arsenal.InvalidArgument)
				_, err = db.ExecArgs(ctx, q, sqlite.IntArg(1))
				wantCode(t, err, arsenal.InvalidArgument)
			}
			var n int64
			require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
			assert.Equal(t, int64(1), n, "the no-ops changed nothing")
		})
	}
}

func TestExecOfSQLWithNoStatementFollowsTheNamedArgumentRules(t *testing.T) {
	ctx := ctxT(t)
	loose := openFile(t, sqlite.Config{})
	_, err := loose.Exec(ctx, "-- nothing", sqlite.Named{"a": 1})
	assert.NoError(t, err, "without Strict, names that match no parameter are ignored")
	strict := openFile(t, sqlite.Config{Strict: true})
	_, err = strict.Exec(ctx, "-- nothing", sqlite.Named{"a": 1})
	wantCode(t, err, arsenal.InvalidArgument)
	_, err = strict.Exec(ctx, "-- nothing")
	assert.NoError(t, err)
}

func TestQueriesOfSQLWithNoStatementAreInvalidArgument(t *testing.T) {
	for name, open := range map[string]func(testing.TB, sqlite.Config) *sqlite.DB{"file": openFile, "memory": openMem} {
		t.Run(name, func(t *testing.T) {
			db := open(t, sqlite.Config{})
			ctx := ctxT(t)
			for _, q := range blankTexts {
				var x any
				wantNoStatement(t, db.Get(ctx, &x, q), "Get", q)
				wantNoStatement(t, db.QueryRow(ctx, q).Scan(&x), "QueryRow", q)
				wantNoStatement(t, db.Each(ctx, q, func(*sqlite.Row) error { return nil }), "Each", q)
				rows := 0
				var qerr error
				for row, err := range db.Query(ctx, q) {
					if err != nil {
						qerr = err
						continue
					}
					_ = row
					rows++
				}
				assert.Equal(t, 0, rows, "Query(%q)", q)
				wantNoStatement(t, qerr, "Query", q)
				_, err := db.All(ctx, q)
				wantNoStatement(t, err, "All", q)
				_, err = db.Values(ctx, q)
				wantNoStatement(t, err, "Values", q)
				_, err = sqlite.AllAs[int64](ctx, db, q)
				wantNoStatement(t, err, "AllAs", q)
				_, err = db.Inspect(ctx, q)
				wantNoStatement(t, err, "Inspect", q)
				_, err = db.AllJSON(ctx, q)
				wantNoStatement(t, err, "AllJSON", q)
				var buf bytes.Buffer
				wantNoStatement(t, db.QueryJSON(ctx, &buf, q), "QueryJSON", q)
			}
			// The connections are fine afterwards.
			var one int64
			require.NoError(t, db.QueryRow(ctx, "SELECT 1").Scan(&one))
			assert.Equal(t, int64(1), one)
		})
	}
}

func TestTxOfSQLWithNoStatement(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(x INTEGER)")
	err := db.Tx(ctx, func(tx *sqlite.Tx) error {
		for _, q := range blankTexts {
			_, err := tx.Exec(ctx, q)
			require.NoError(t, err, "Tx.Exec(%q)", q)
			_, err = tx.ExecArgs(ctx, q)
			require.NoError(t, err, "Tx.ExecArgs(%q)", q)
			_, err = tx.Exec(ctx, q, 1)
			wantCode(t, err, arsenal.InvalidArgument)
			var x any
			wantNoStatement(t, tx.Get(ctx, &x, q), "Tx.Get", q)
			wantNoStatement(t, tx.QueryRow(ctx, q).Scan(&x), "Tx.QueryRow", q)
			wantNoStatement(t, tx.Each(ctx, q, func(*sqlite.Row) error { return nil }), "Tx.Each", q)
			_, err = tx.All(ctx, q)
			wantNoStatement(t, err, "Tx.All", q)
			var qerr error
			for _, err := range tx.Query(ctx, q) {
				qerr = err
			}
			wantNoStatement(t, qerr, "Tx.Query", q)
		}
		// The transaction is intact and commits.
		_, err := tx.Exec(ctx, "INSERT INTO t VALUES (5)")
		return err
	})
	require.NoError(t, err)
	var x int64
	require.NoError(t, db.QueryRow(ctx, "SELECT x FROM t").Scan(&x))
	assert.Equal(t, int64(5), x)
}

func TestBlankPartsOfAScriptAreSkipped(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	r, err := db.Exec(ctx, "CREATE TABLE t(x); ;; INSERT INTO t VALUES (1), (2); -- done\n;")
	require.NoError(t, err)
	assert.Equal(t, int64(2), r.RowsAffected)

	// Semicolons and comments after a single statement leave it a single
	// statement: it takes arguments and returns rows.
	var x int64
	require.NoError(t, db.Get(ctx, &x, "SELECT max(x) FROM t WHERE x < ?; ;; -- c\n", 5))
	assert.Equal(t, int64(2), x)
	r, err = db.Exec(ctx, "INSERT INTO t VALUES (?) ; /* c */ ;", 3)
	require.NoError(t, err)
	assert.Equal(t, int64(1), r.RowsAffected)

	// A script still takes no arguments, whichever call runs it; the
	// error names the call.
	var v any
	err = db.Get(ctx, &v, "SELECT 1; SELECT 2")
	wantCode(t, err, arsenal.InvalidArgument)
	var ae *arsenal.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "get", ae.Op)
}
