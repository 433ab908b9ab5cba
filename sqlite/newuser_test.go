package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// TestTimesSortAsTimeAndSQLiteReadsThem stores times in several zones and
// with trailing zeros: ORDER BY must give time order, SQLite's date
// functions must read them, and they scan back as the same instants, as
// do values in the RFC 3339 form with an offset stored before.
func TestTimesSortAsTimeAndSQLiteReadsThem(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE ev(id INTEGER PRIMARY KEY, at TEXT)")
	plus1 := time.FixedZone("+01:00", 3600)
	times := []time.Time{
		time.Date(2024, 5, 6, 12, 59, 59, 0, plus1),                          // 11:59:59Z
		time.Date(2024, 5, 6, 12, 0, 0, 100_000_000, time.UTC),               // 12:00:00.1Z
		time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC),                         // 12:00:00Z
		time.Date(2024, 5, 6, 7, 0, 0, 5, time.FixedZone("-05:00", -5*3600)), // 12:00:00.000000005Z
	}
	for i, tm := range times {
		_, err := db.Exec(ctx, "INSERT INTO ev VALUES (?, ?)", i, tm)
		require.NoError(t, err)
	}
	var order []int64
	for r, err := range db.Query(ctx, "SELECT id FROM ev ORDER BY at") {
		require.NoError(t, err)
		order = append(order, r.Int64(0))
	}
	assert.Equal(t, []int64{0, 2, 3, 1}, order, "ORDER BY at is not time order")

	var stored string
	require.NoError(t, db.QueryRow(ctx, "SELECT at FROM ev WHERE id = 1").Scan(&stored))
	assert.Equal(t, "2024-05-06T12:00:00.100000000Z", stored)
	assert.Len(t, stored, len(sqlite.TimeLayout))

	var dt string
	var epoch int64
	require.NoError(t, db.QueryRow(ctx, "SELECT datetime(at), unixepoch(at) FROM ev WHERE id = 0").Scan(&dt, &epoch))
	assert.Equal(t, "2024-05-06 11:59:59", dt)
	assert.Equal(t, times[0].Unix(), epoch)

	for i, want := range times {
		var got time.Time
		require.NoError(t, db.QueryRow(ctx, "SELECT at FROM ev WHERE id = ?", i).Scan(&got))
		assert.True(t, got.Equal(want), "row %d scanned %v, want %v", i, got, want)
		assert.Equal(t, time.UTC, got.Location())
	}

	// The form earlier versions stored still scans.
	var old time.Time
	require.NoError(t, db.QueryRow(ctx, "SELECT '2024-05-06T12:59:59.5+01:00'").Scan(&old))
	assert.True(t, old.Equal(time.Date(2024, 5, 6, 11, 59, 59, 500_000_000, time.UTC)), "old form scanned as %v", old)
}

// TestErrorTextIsOneChain checks a constraint failure reads as one chain
// with the component, operation and code once and SQLite's message once.
func TestErrorTextIsOneChain(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE)")
	_, err := db.Exec(ctx, "INSERT INTO users(email) VALUES ('a@x')")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "INSERT INTO users(email) VALUES ('a@x')")
	wantCode(t, err, arsenal.AlreadyExists)
	assert.Equal(t, "sqlite: exec: AlreadyExists: UNIQUE constraint failed: users.email", err.Error())

	_, err = db.Exec(ctx, "SELEKT 1")
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Equal(t, 1, strings.Count(err.Error(), "sqlite:"), "error %q repeats the component", err)
	assert.Contains(t, err.Error(), `near "SELEKT": syntax error`)

	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO users(email) VALUES ('a@x')")
		return err
	})
	wantCode(t, err, arsenal.AlreadyExists)
	assert.Equal(t, 1, strings.Count(err.Error(), "sqlite:"), "error %q repeats the component", err)
	assert.Equal(t, 1, strings.Count(err.Error(), "AlreadyExists"), "error %q repeats the code", err)
}

// TestEachIsVariadicLikeQuery binds Each's trailing arguments like Query's.
func TestEachIsVariadicLikeQuery(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, age INT); INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
	var ids []int64
	err := db.Each(ctx, "SELECT id FROM t WHERE age > ? AND age < ? ORDER BY id", func(r *sqlite.Row) error {
		ids = append(ids, r.Int64(0))
		return nil
	}, 15, 35)
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 3}, ids)
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		ids = ids[:0]
		return tx.Each(ctx, "SELECT id FROM t WHERE id = :id", func(r *sqlite.Row) error {
			ids = append(ids, r.Int64(0))
			return nil
		}, sqlite.Named{"id": 1})
	})
	require.NoError(t, err)
	assert.Equal(t, []int64{1}, ids)
}

// TestStructAsPositionalArgumentIsAClearError: a struct binds named
// parameters; given for ? parameters it is an error saying so, with or
// without Strict (without it the parameter used to bind NULL silently).
func TestStructAsPositionalArgumentIsAClearError(t *testing.T) {
	for _, strict := range []bool{false, true} {
		db := openMem(t, sqlite.Config{Strict: strict})
		ctx := ctxT(t)
		mustExec(t, db, "CREATE TABLE t(a INT)")
		_, err := db.Exec(ctx, "INSERT INTO t VALUES (?)", struct{ A int }{1})
		wantCode(t, err, arsenal.InvalidArgument)
		assert.Contains(t, err.Error(), "positional")
		assert.NotContains(t, err.Error(), "no field of")
		_, err = db.Exec(ctx, "INSERT INTO t VALUES (?)", map[string]any{"a": 1})
		wantCode(t, err, arsenal.InvalidArgument)
		var n int64
		require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
		assert.Zero(t, n, "strict=%v: a row was inserted", strict)
		// Named parameters still bind from a struct.
		_, err = db.Exec(ctx, "INSERT INTO t VALUES (:a)", struct{ A int }{7})
		require.NoError(t, err)
	}
}

// TestSQLiteURLCreatesTheFileByDefault opens a missing file through a
// sqlite: URL with no mode: it is created; mode=rw still requires it.
func TestSQLiteURLCreatesTheFileByDefault(t *testing.T) {
	ctx := ctxT(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	c, err := arsenal.Open(ctx, "sqlite:"+path)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	_, err = os.Stat(path)
	require.NoError(t, err, "sqlite: URL did not create the file")

	_, err = arsenal.Open(ctx, "sqlite:"+filepath.Join(dir, "missing.db")+"?mode=rw")
	wantCode(t, err, arsenal.NotFound)

	for url, create := range map[string]bool{"sqlite:a.db": true, "sqlite:a.db?mode=rw": false, "sqlite:a.db?create=false": false, "file:a.db?mode=ro": false, "sqlite::memory:": false} {
		cfg, err := sqlite.ParseURL(url)
		require.NoError(t, err, url)
		assert.Equal(t, create, cfg.Create, url)
	}
}

// TestURLWithCredentialsIsRejectedWithoutEchoingThem and the Pragmas
// check never echoes the pragma's text.
func TestURLWithCredentialsIsRejectedWithoutEchoingThem(t *testing.T) {
	for _, u := range []string{"sqlite://alice:hunter2@host/app.db", "sqlite://hunter2@host/app.db", "file://alice:hunter2@localhost/app.db"} {
		_, err := sqlite.ParseURL(u)
		wantCode(t, err, arsenal.InvalidArgument)
		assert.NotContains(t, err.Error(), "hunter2")
		assert.NotContains(t, err.Error(), "alice")
		_, err = arsenal.Open(context.Background(), u)
		wantCode(t, err, arsenal.InvalidArgument)
		assert.NotContains(t, err.Error(), "hunter2")
	}
	_, err := sqlite.ParseURL("sqlite://host:5432/app.db")
	wantCode(t, err, arsenal.InvalidArgument)
	_, err = sqlite.ParseURL("sqlite:a.db?pragma=key%3D%27hunter2%27&colour=red")
	wantCode(t, err, arsenal.InvalidArgument)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.Contains(t, err.Error(), "colour")

	err = sqlite.Config{Pragmas: []string{"key='hunter2'"}}.Validate()
	wantCode(t, err, arsenal.InvalidArgument)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.Contains(t, err.Error(), "Pragmas")
}

// TestMmapSizeIsSetOnEveryConnection checks the pragma on readers and the
// writer, and that it is off by default.
func TestMmapSizeIsSetOnEveryConnection(t *testing.T) {
	ctx := ctxT(t)
	db := openFile(t, sqlite.Config{MmapSize: 64 << 20})
	mustExec(t, db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)")
	var reader, writer int64
	require.NoError(t, db.QueryRow(ctx, "PRAGMA mmap_size").Scan(&reader))
	require.NoError(t, db.Tx(ctx, func(tx *sqlite.Tx) error {
		return tx.QueryRow(ctx, "PRAGMA mmap_size").Scan(&writer)
	}))
	assert.EqualValues(t, 64<<20, reader)
	assert.EqualValues(t, 64<<20, writer)
	var n int64
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
	assert.EqualValues(t, 1, n)

	plain := openFile(t, sqlite.Config{})
	require.NoError(t, plain.QueryRow(ctx, "PRAGMA mmap_size").Scan(&reader))
	assert.Zero(t, reader, "mmap is on by default")

	wantCode(t, sqlite.Config{MmapSize: -1}.Validate(), arsenal.InvalidArgument)
	cfg, err := sqlite.ParseURL("sqlite:a.db?mmap_size=1048576")
	require.NoError(t, err)
	assert.EqualValues(t, 1<<20, cfg.MmapSize)
}
