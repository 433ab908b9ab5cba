package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
)

func TestATransactionSpansCallsOnOneConnection(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	db := openDB(t, ctx, postgres.Config{URL: testenv.Postgres(t)})
	_, err := db.Exec(ctx, "create table acct (id int primary key, n int)")
	require.NoError(t, err)

	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	n, err := tx.Exec(ctx, "insert into acct values (1, 10), (2, 20)")
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	res, err := tx.Query(ctx, "select count(*) from acct")
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.Rows[0][0], "the transaction sees its own rows")
	res, err = db.Query(ctx, "select count(*) from acct")
	require.NoError(t, err)
	assert.EqualValues(t, 0, res.Rows[0][0], "other connections do not see uncommitted rows")
	// The backend stays the same across the transaction's calls.
	pid1, err := tx.Query(ctx, "select pg_backend_pid()")
	require.NoError(t, err)
	pid2, err := tx.Query(ctx, "select pg_backend_pid()")
	require.NoError(t, err)
	assert.Equal(t, pid1.Rows[0][0], pid2.Rows[0][0])
	require.NoError(t, tx.Rollback(ctx))
	res, err = db.Query(ctx, "select count(*) from acct")
	require.NoError(t, err)
	assert.EqualValues(t, 0, res.Rows[0][0], "rolled back")

	tx, err = db.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Execute(ctx, arsenal.Query{Statement: "insert into acct values ($1, $2)", Args: []any{3, 30}})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	res, err = db.Query(ctx, "select n from acct where id = 3")
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	assert.EqualValues(t, 30, res.Rows[0][0], "committed")

	_, err = tx.Exec(ctx, "select 1")
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "exec after commit: %v", err)
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(tx.Rollback(ctx)), "rollback after commit")
	for _, err := range tx.Rows(ctx, "select 1") {
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "rows after commit: %v", err)
	}
	assert.Zero(t, db.PoolStats().Acquired, "the transaction's connection went back to the pool")
}

func TestATransactionRunsOneCallAtATime(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	db := openDB(t, ctx, postgres.Config{URL: testenv.Postgres(t)})
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	rows := 0
	for v, err := range tx.Rows(ctx, "select g from generate_series(1, 3) g") {
		require.NoError(t, err)
		rows++
		_, err := tx.Exec(ctx, "select 1")
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "a call inside the Rows loop of %v: %v", v, err)
	}
	assert.Equal(t, 3, rows)
	_, err = tx.Exec(ctx, "select 1")
	assert.NoError(t, err, "the transaction is usable after the loop")
	// A failed statement aborts the transaction, as PostgreSQL does.
	_, err = tx.Exec(ctx, "select * from nope")
	assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err))
	_, err = tx.Exec(ctx, "select 1")
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "in a failed transaction: %v", err)
}

func TestPreparedStatementsArePreparedOnTheServer(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	dsn := testenv.Postgres(t)
	db := openDB(t, ctx, postgres.Config{URL: dsn, MaxConns: 1})
	_, err := db.Exec(ctx, "create table kv (k text primary key, v int)")
	require.NoError(t, err)

	ins, err := db.Prepare(ctx, "insert into kv values ($1, $2)")
	require.NoError(t, err)
	assert.Equal(t, 2, ins.NumParams())
	assert.Empty(t, ins.Columns())
	for i := range 5 {
		n, err := ins.Exec(ctx, string(rune('a'+i)), i)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
	}
	_, err = ins.Exec(ctx, "a", 9)
	assert.Equal(t, arsenal.AlreadyExists, arsenal.CodeOf(err), "%v", err)

	sel, err := db.Prepare(ctx, "select k, v from kv where v >= $1 order by k")
	require.NoError(t, err)
	assert.Equal(t, []string{"k", "v"}, sel.Columns())
	res, err := sel.Query(ctx, 3)
	require.NoError(t, err)
	require.Len(t, res.Rows, 2)
	assert.Equal(t, "d", res.Rows[0][0])
	var keys []string
	for v, err := range sel.Rows(ctx, 0) {
		require.NoError(t, err)
		keys = append(keys, v[0].(string))
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, keys)

	// The pool has one connection: the statements are prepared there,
	// under their names, with their text.
	res, err = db.Query(ctx, "select statement from pg_prepared_statements where name = $1", sel.Name())
	require.NoError(t, err)
	require.Len(t, res.Rows, 1, "statement %s is not prepared on the server", sel.Name())
	assert.Equal(t, sel.SQL(), res.Rows[0][0])

	// Errors in the statement surface from Prepare.
	_, err = db.Prepare(ctx, "select * from nope where id = $1")
	assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err), "%v", err)
	_, err = db.Prepare(ctx, "selec 1")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "%v", err)

	// In a transaction the statement lives on the transaction's connection.
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	upd, err := tx.Prepare(ctx, "update kv set v = v + $1")
	require.NoError(t, err)
	n, err := upd.Exec(ctx, 100)
	require.NoError(t, err)
	assert.EqualValues(t, 5, n)
	require.NoError(t, tx.Rollback(ctx))
	_, err = upd.Exec(ctx, 100)
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "a transaction's statement after rollback: %v", err)
	res, err = db.Query(ctx, "select sum(v) from kv")
	require.NoError(t, err)
	assert.EqualValues(t, 10, res.Rows[0][0])
}

func TestRowsStreamAsTheyArrive(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	db := openDB(t, ctx, postgres.Config{URL: testenv.Postgres(t)})

	// Two rows large enough to push the first out of the server's send
	// buffer, then a 3 s pause: a streaming reader has the first row long
	// before the query ends; a materialising one only after.
	start := time.Now()
	var first, total time.Duration
	n := 0
	for v, err := range db.Rows(ctx, "select repeat('x', 200000) union all select repeat('y', 200000) union all select pg_sleep(3)::text") {
		require.NoError(t, err)
		if n == 0 {
			first = time.Since(start)
			assert.Len(t, v[0], 200000)
		}
		n++
	}
	total = time.Since(start)
	assert.Equal(t, 3, n)
	assert.GreaterOrEqual(t, total, 3*time.Second)
	assert.Less(t, first, 2*time.Second, "the first row came after %v of %v", first, total)

	// Breaking out releases the connection and leaves the DB usable.
	n = 0
	for _, err := range db.Rows(ctx, "select g from generate_series(1, 100000) g") {
		require.NoError(t, err)
		if n++; n == 10 {
			break
		}
	}
	assert.Equal(t, 10, n)
	assert.Zero(t, db.PoolStats().Acquired)
	res, err := db.Query(ctx, "select 1")
	require.NoError(t, err)
	assert.Len(t, res.Rows, 1)

	// An error is yielded once, with its code, and ends the loop.
	errs := 0
	for v, err := range db.Rows(ctx, "select * from nope") {
		assert.Nil(t, v)
		assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err), "%v", err)
		errs++
	}
	assert.Equal(t, 1, errs)
	st := db.Stats().Ops["rows"]
	assert.EqualValues(t, 3, st.Count)
	assert.EqualValues(t, 1, st.Errors)
}

func TestEveryCallIsCountedEvenWhenItFailsEarly(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	db, err := postgres.Open(ctx, postgres.Config{URL: testenv.Postgres(t)})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = db.Exec(ctx, "select 1")
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "%v", err)
	_, err = db.Query(ctx, "select 1")
	assert.Error(t, err)
	_, err = db.Begin(ctx)
	assert.Error(t, err)
	_, err = db.Prepare(ctx, "select 1")
	assert.Error(t, err)
	for _, err := range db.Rows(ctx, "select 1") {
		assert.Error(t, err)
	}
	st := db.Stats()
	for _, op := range []string{"exec", "query", "begin", "prepare", "rows"} {
		assert.EqualValues(t, 1, st.Ops[op].Count, op)
		assert.EqualValues(t, 1, st.Ops[op].Errors, op)
	}
}
