package sqlite_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seeded(t *testing.T) (*sqlite.DB, []byte) {
	t.Helper()
	db := openFile(t, sqlite.Config{})
	mustExec(t, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, big INTEGER); INSERT INTO t(v, big) VALUES ('a', 9007199254740993), ('b', 2)")
	b, err := db.Serialize(ctxT(t), "")
	require.NoError(t, err)
	return db, b
}

func TestDeserializeGivesAUsableCopy(t *testing.T) {
	src, image := seeded(t)
	ctx := ctxT(t)
	db, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{})
	require.NoError(t, err)
	defer db.Close()
	mustExec(t, db, "INSERT INTO t(v) VALUES ('c')")
	n := count(t, db, "SELECT count(*) FROM t")
	assert.Equal(t, 3, n, "copy has %d rows", n)
	n = count(t, src, "SELECT count(*) FROM t")
	assert.Equal(t, 2, n, "writing the copy changed the source: %d rows", n)
	again, err := db.Serialize(ctx, "main")
	require.NoError(t, err, "Serialize of a deserialized db: %d bytes, %v", len(again), err)
	require.NotEqual(t, 0, len(again), "Serialize of a deserialized db: %d bytes, %v", len(again), err)
	empty, err := sqlite.Deserialize(ctx, nil, sqlite.DeserializeOptions{})
	require.NoError(t, err, "empty image")
	defer empty.Close()
	mustExec(t, empty, "CREATE TABLE x(y)")
}

func TestReadOnlyDeserializeRefusesEveryWrite(t *testing.T) {
	_, image := seeded(t)
	ctx := ctxT(t)
	db, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	n := count(t, db, "SELECT count(*) FROM t")
	require.Equal(t, 2, n, "read-only copy has %d rows", n)
	writes := []struct {
		name, sql string
		code      arsenal.Code
	}{
		{"insert", "INSERT INTO t(v) VALUES ('x')", arsenal.FailedPrecondition},
		{"update", "UPDATE t SET v = 'z'", arsenal.FailedPrecondition},
		{"delete", "DELETE FROM t", arsenal.FailedPrecondition},
		{"drop", "DROP TABLE t", arsenal.FailedPrecondition},
		{"create", "CREATE TABLE u(x)", arsenal.FailedPrecondition},
		{"temp table", "CREATE TEMP TABLE tt(x)", arsenal.FailedPrecondition},
		{"vacuum (it attaches a scratch database)", "VACUUM", arsenal.PermissionDenied},
		{"user_version", "PRAGMA user_version = 5", arsenal.FailedPrecondition},
		{"switch query_only off", "PRAGMA query_only = OFF", arsenal.PermissionDenied},
		{"switch query_only off, qualified", "PRAGMA main.query_only = 0", arsenal.PermissionDenied},
		{"attach a writable database", "ATTACH ':memory:' AS side", arsenal.PermissionDenied},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			_, err := db.Exec(ctx, w.sql)
			wantCode(t, err, w.code)
			// Still read-only afterwards, and query_only still reads ON.
			var on int
			err = db.QueryRow(ctx, "PRAGMA query_only").Scan(&on)
			require.NoError(t, err, "query_only = %d, %v", on, err)
			require.Equal(t, 1, on, "query_only = %d, %v", on, err)
			_, err = db.Exec(ctx, "INSERT INTO t(v) VALUES ('after')")
			wantCode(t, err, arsenal.FailedPrecondition)
		})
	}
	// Inside a transaction too.
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO t(v) VALUES ('tx')")
		return err
	})
	wantCode(t, err, arsenal.FailedPrecondition)
	n = count(t, db, "SELECT count(*) FROM t")
	require.Equal(t, 2, n, "read-only copy changed: %d rows", n)
	got, err := db.Serialize(ctx, "")
	require.NoError(t, err, "read-only image changed (%v)", err)
	assert.True(t, bytes.Equal(got[100:], image[100:]), "read-only image changed (%v)", err)
}

func TestDeserializeOptionsCarryStrictAndSafeIntegers(t *testing.T) {
	_, image := seeded(t)
	ctx := ctxT(t)
	db, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{Strict: true, SafeIntegers: true})
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Values(ctx, "SELECT * FROM t WHERE id = :id")
	wantCode(t, err, arsenal.InvalidArgument)
	j, err := db.AllJSON(ctx, "SELECT big FROM t ORDER BY id")
	require.NoError(t, err, "AllJSON = %s, %v", j, err)
	assert.Equal(t, `[{"big":"9007199254740993"},{"big":2}]`, string(j), "AllJSON = %s, %v", j, err)
	var f float64
	wantCode(t, db.QueryRow(ctx, "SELECT big FROM t WHERE id = 1").Scan(&f), arsenal.InvalidArgument)

	loose, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{})
	require.NoError(t, err)
	defer loose.Close()
	_, err = loose.Values(ctx, "SELECT * FROM t WHERE id = :id")
	assert.NoError(t, err, "non-strict missing parameter")
	j, _ = loose.AllJSON(ctx, "SELECT big FROM t ORDER BY id")
	assert.Equal(t, `[{"big":9007199254740993},{"big":2}]`, string(j), "AllJSON without SafeIntegers = %s", j)
}

func TestDeserializeOfGarbageIsDataLoss(t *testing.T) {
	_, image := seeded(t)
	header := append([]byte(nil), image[:100]...)
	tests := []struct {
		name string
		data []byte
	}{
		{"text", []byte(strings.Repeat("hello world ", 100))},
		{"zeros", make([]byte, 8192)},
		{"a header alone", header},
		{"a truncated image", image[:len(image)/2+7]},
		{"a header and junk", append(append([]byte(nil), header...), bytes.Repeat([]byte{0xff}, 8092)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sqlite.Deserialize(ctxT(t), tt.data, sqlite.DeserializeOptions{})
			if err == nil {
				// Some damage only shows when read: it must then be DataLoss.
				defer db.Close()
				err = db.IntegrityCheck(ctxT(t))
				if err == nil {
					_, err = db.Values(ctxT(t), "SELECT * FROM t")
				}
			}
			wantCode(t, err, arsenal.DataLoss)
		})
	}
}

func TestBackupVacuumIntoAndRestoreWriteSoundFiles(t *testing.T) {
	src, image := seeded(t)
	ctx := ctxT(t)
	dir := t.TempDir()
	check := func(path string) {
		t.Helper()
		db, err := sqlite.Open(ctx, sqlite.Config{Path: path, ReadOnly: true})
		require.NoError(t, err, "open %s", path)
		defer db.Close()
		require.NoError(t, db.IntegrityCheck(ctx))
		n := count(t, db, "SELECT count(*) FROM t")
		require.Equal(t, 2, n, "%s has %d rows", path, n)
	}
	backup := filepath.Join(dir, "backup.db")
	require.NoError(t, src.Backup(ctx, backup))
	check(backup)
	// Backing up again replaces the file atomically.
	mustExec(t, src, "DELETE FROM t WHERE id = 2; INSERT INTO t(v) VALUES ('c')")
	require.NoError(t, src.Backup(ctx, backup))
	check(backup)

	vac := filepath.Join(dir, "vacuum.db")
	require.NoError(t, src.VacuumInto(ctx, vac))
	check(vac)
	wantCode(t, src.VacuumInto(ctx, vac), arsenal.AlreadyExists)

	restored := filepath.Join(dir, "restored.db")
	require.NoError(t, sqlite.Restore(ctx, bytes.NewReader(image), restored))
	check(restored)
	// Garbage leaves the existing file alone.
	err := sqlite.Restore(ctx, strings.NewReader("not a database at all, not at all"), restored)
	wantCode(t, err, arsenal.DataLoss)
	check(restored)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp-", "temporary file left behind: %s", e.Name())
	}
	// A read-only deserialized database can be backed up too.
	ro, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{ReadOnly: true})
	require.NoError(t, err)
	defer ro.Close()
	fromRO := filepath.Join(dir, "from-ro.db")
	require.NoError(t, ro.Backup(ctx, fromRO))
	check(fromRO)
	wantCode(t, src.Backup(ctx, filepath.Join(dir, "missing-dir", "x.db")), arsenal.NotFound)
}

func TestUserDefinedFunctionsRunOnEveryConnection(t *testing.T) {
	db := openFile(t, sqlite.Config{Readers: 3})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(x)")
	// Open several readers before registering.
	require.NoError(t, db.Health(ctx))
	err := db.CreateFunction("reverse", sqlite.Function{NArgs: 1, Deterministic: true, Scalar: func(args []any) (any, error) {
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("want text, got %T", args[0])
		}
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	}})
	require.NoError(t, err)
	require.NoError(t, db.CreateFunction("big", sqlite.Function{NArgs: 0, Scalar: func([]any) (any, error) { return uint64(1 << 63), nil }}))
	for i := 0; i < 6; i++ {
		var s string
		err := db.QueryRow(ctx, "SELECT reverse(?)", "abc").Scan(&s)
		require.NoError(t, err, "reverse = %q, %v", s, err)
		require.Equal(t, "cba", s, "reverse = %q, %v", s, err)
	}
	mustExec(t, db, "INSERT INTO t VALUES (reverse('xy'))")
	_, err = db.Values(ctx, "SELECT reverse(1)")
	require.Error(t, err, "function error = %v", err)
	assert.Contains(t, err.Error(), "want text", "function error = %v", err)
	_, err = db.Values(ctx, "SELECT big()")
	assert.Error(t, err, "a function returning uint64 above MaxInt64 succeeded")
	wantCode(t, db.CreateFunction("", sqlite.Function{}), arsenal.InvalidArgument)
	assert.NotEqual(t, uint64(0), db.Stats().Ops["function"].Count, "function calls are not counted")
}

func TestCallsAfterCloseFailCoded(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	db.Close()
	ctx := ctxT(t)
	for name, err := range map[string]error{
		"Serialize": func() error { _, err := db.Serialize(ctx, ""); return err }(),
		"Backup":    db.Backup(ctx, filepath.Join(t.TempDir(), "x.db")),
		"Tx":        db.Tx(ctx, func(*sqlite.Tx) error { return nil }),
		"Inspect":   func() error { _, err := db.Inspect(ctx, "SELECT 1"); return err }(),
		"Function":  db.CreateFunction("f", sqlite.Function{Scalar: func([]any) (any, error) { return nil, nil }}),
	} {
		assert.ErrorIs(t, err, arsenal.ErrClosed, "%s after Close: %v", name, err)
	}
}
