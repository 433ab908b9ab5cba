package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	zs "zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// ExecArgs binds every Arg kind the way Exec binds the same Go values.
func TestExecArgsBindsLikeExec(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	_, err := db.Exec(ctx, "CREATE TABLE v(id INTEGER PRIMARY KEY, x)")
	require.NoError(t, err)
	args := []sqlite.Arg{
		sqlite.IntArg(-7), sqlite.IntArg(1 << 62), sqlite.FloatArg(2.5), sqlite.TextArg("héllo"),
		sqlite.BlobArg([]byte{0, 1, 2}), sqlite.BlobArg([]byte{}), sqlite.BlobArg(nil),
		sqlite.BoolArg(true), sqlite.BoolArg(false), sqlite.NullArg(), {},
	}
	for i, a := range args {
		r, err := db.ExecArgs(ctx, "INSERT INTO v(id, x) VALUES (?, ?)", sqlite.IntArg(int64(i)), a)
		require.NoError(t, err, "arg %d", i)
		assert.EqualValues(t, 1, r.RowsAffected)
		assert.EqualValues(t, i, r.LastInsertID)
		// The same value through Exec lands identically.
		_, err = db.Exec(ctx, "INSERT INTO v(id, x) VALUES (?, ?)", 100+i, a.Value())
		require.NoError(t, err, "arg %d through Exec", i)
	}
	rows, err := db.Values(ctx, "SELECT a.id, typeof(a.x), a.x, typeof(b.x), b.x FROM v a JOIN v b ON b.id = a.id + 100 ORDER BY a.id")
	require.NoError(t, err)
	require.Len(t, rows, len(args))
	want := []string{"integer", "integer", "real", "text", "blob", "blob", "null", "integer", "integer", "null", "null"}
	for i, r := range rows {
		assert.Equal(t, want[i], r[1], "storage class of arg %d", i)
		assert.Equal(t, r[1], r[3], "ExecArgs and Exec store arg %d alike", i)
		assert.Equal(t, r[2], r[4], "ExecArgs and Exec store arg %d alike", i)
	}
	assert.Equal(t, []any{int64(-7), int64(1 << 62), 2.5, "héllo", []byte{0, 1, 2}}, []any{rows[0][2], rows[1][2], rows[2][2], rows[3][2], rows[4][2]})
	assert.Equal(t, []any{int64(1), int64(0)}, []any{rows[7][2], rows[8][2]})
}

// ExecArgs keeps Exec's argument-count rules, and every parameter is
// bound on every call (no value left from the previous use).
func TestExecArgsCountRules(t *testing.T) {
	ctx := ctxT(t)
	db := openMem(t, sqlite.Config{})
	_, err := db.Exec(ctx, "CREATE TABLE t(a, b)")
	require.NoError(t, err)

	_, err = db.ExecArgs(ctx, "INSERT INTO t VALUES (?, ?)", sqlite.IntArg(1), sqlite.IntArg(2), sqlite.IntArg(3))
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "3 arguments for 2 parameters")

	_, err = db.ExecArgs(ctx, "INSERT INTO t VALUES (?, ?)", sqlite.IntArg(1), sqlite.IntArg(2))
	require.NoError(t, err)
	_, err = db.ExecArgs(ctx, "INSERT INTO t VALUES (?, ?)", sqlite.IntArg(3))
	require.NoError(t, err)
	var b any
	require.NoError(t, db.QueryRow(ctx, "SELECT b FROM t WHERE a = 3").Scan(&b))
	assert.Nil(t, b, "a missing trailing argument binds NULL, not the previous call's 2")

	strict := openMem(t, sqlite.Config{Strict: true})
	_, err = strict.Exec(ctx, "CREATE TABLE t(a, b)")
	require.NoError(t, err)
	_, err = strict.ExecArgs(ctx, "INSERT INTO t VALUES (?, :b)", sqlite.IntArg(1))
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "missing parameter 2 (:b)")

	_, err = db.ExecArgs(ctx, "INSERT INTO t VALUES (1, 2); INSERT INTO t VALUES (?, 4)", sqlite.IntArg(3))
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	_, err = db.ExecArgs(ctx, "INSERT INTO t VALUES (5, 6); INSERT INTO t VALUES (7, 8)")
	require.NoError(t, err, "a script with no arguments runs, as with Exec")
	var n int64
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM t WHERE a IN (5, 7)").Scan(&n))
	assert.EqualValues(t, 2, n)

	_, err = db.ExecArgs(ctx, "INSERT INTO nope VALUES (?)", sqlite.IntArg(1))
	require.Error(t, err)
	assert.NotEqual(t, arsenal.OK, arsenal.CodeOf(err))
}

// Tx.ExecArgs runs inside the transaction, a failure too is counted in
// Stats, and neither DB.ExecArgs nor Tx.ExecArgs allocates per call.
func TestExecArgsTxStatsAndAllocs(t *testing.T) {
	ctx := context.Background()
	db := openFile(t, sqlite.Config{})
	_, err := db.Exec(ctx, "CREATE TABLE t(name TEXT, score REAL)")
	require.NoError(t, err)
	base := db.Stats().Ops["exec"]

	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		for i := range 10 {
			if _, err := tx.ExecArgs(ctx, "INSERT INTO t VALUES (?, ?)", sqlite.TextArg("row"), sqlite.FloatArg(float64(i)+0.5)); err != nil {
				return err
			}
		}
		_, err := tx.ExecArgs(ctx, "INSERT INTO t VALUES (?, ?, ?)", sqlite.IntArg(1), sqlite.IntArg(2), sqlite.IntArg(3))
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
		return nil
	})
	require.NoError(t, err)
	var n int64
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
	assert.EqualValues(t, 10, n)
	exec := db.Stats().Ops["exec"]
	assert.EqualValues(t, 11, exec.Count-base.Count, "every ExecArgs call is counted")
	assert.EqualValues(t, 1, exec.Errors-base.Errors, "the refused one as an error")

	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		i++
		if _, err := db.ExecArgs(ctx, "INSERT INTO t VALUES (?, ?)", sqlite.TextArg("row"), sqlite.FloatArg(float64(i)+0.5)); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "DB.ExecArgs allocations per call")
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		allocs = testing.AllocsPerRun(200, func() {
			i++
			if _, err := tx.ExecArgs(ctx, "INSERT INTO t VALUES (?, ?)", sqlite.TextArg("row"), sqlite.FloatArg(float64(i)+0.5)); err != nil {
				t.Fatal(err)
			}
		})
		return nil
	})
	require.NoError(t, err)
	assert.Zero(t, allocs, "Tx.ExecArgs allocations per call")
}

// BenchmarkInsertOverheadPairedArgs is BenchmarkInsertOverheadPaired with
// Tx.ExecArgs in place of Tx.Exec: the wrapper's insert overhead without
// boxing the arguments into ...any.
func BenchmarkInsertOverheadPairedArgs(b *testing.B) {
	const insert = "INSERT INTO ins(name, score) VALUES (?, ?)"
	const block = 2000
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "a.db"), Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
		b.Fatal(err)
	}
	c, err := zs.OpenConn(filepath.Join(dir, "raw.db"), zs.OpenReadWrite|zs.OpenCreate|zs.OpenWAL)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{"PRAGMA journal_mode=wal", "PRAGMA synchronous=NORMAL", "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)", "BEGIN"} {
		s, _, err := c.PrepareTransient(q)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Step(); err != nil {
			b.Fatal(err)
		}
		s.Finalize()
	}
	raw := c.Prep(insert)
	var ratios []float64
	b.ResetTimer()
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		for n := 0; n < b.N; n++ {
			t0 := time.Now()
			for i := range block {
				if _, err := tx.ExecArgs(ctx, insert, sqlite.TextArg("row"), sqlite.FloatArg(float64(i))); err != nil {
					return err
				}
			}
			ta := time.Since(t0)
			t0 = time.Now()
			for i := range block {
				raw.BindText(1, "row")
				raw.BindFloat(2, float64(i))
				if _, err := raw.Step(); err != nil {
					return err
				}
				raw.Reset()
			}
			ratios = append(ratios, float64(ta)/float64(time.Since(t0)))
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "arsenal/raw")
	b.ReportMetric(ratios[len(ratios)/4], "q1")
	b.ReportMetric(ratios[3*len(ratios)/4], "q3")
}

// ExecArgs inserts with typed arguments, which bind without an
// allocation; it is otherwise Exec.
func ExampleTx_ExecArgs() {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: sqlite.Memory})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE scores(name TEXT, score REAL)"); err != nil {
		fmt.Println(err)
		return
	}
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		for i, name := range []string{"ada", "bob", "cy"} {
			if _, err := tx.ExecArgs(ctx, "INSERT INTO scores VALUES (?, ?)", sqlite.TextArg(name), sqlite.FloatArg(float64(i)+0.5)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var total float64
	if err := db.QueryRow(ctx, "SELECT sum(score) FROM scores").Scan(&total); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(total)
	// Output: 4.5
}
