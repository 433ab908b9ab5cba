package sqlite_test

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNamedParametersBindFromMapsAndStructs(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	type params struct {
		ID   int64  `db:"id"`
		Name string // matched case-insensitively
	}
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"colon, prefixed keys", "SELECT :id, :name", []any{sqlite.Named{":id": 7, ":name": "ada"}}},
		{"at, bare keys", "SELECT @id, @name", []any{sqlite.Named{"id": 7, "name": "ada"}}},
		{"dollar, plain map", "SELECT $id, $name", []any{map[string]any{"$id": 7, "name": "ada"}}},
		{"struct", "SELECT :id, :name", []any{params{ID: 7, Name: "ada"}}},
		{"pointer to struct", "SELECT $id, @name", []any{&params{ID: 7, Name: "ada"}}},
		{"positional over named", "SELECT :id, :name", []any{7, "ada"}},
		{"numbered", "SELECT ?1, ?2", []any{7, "ada"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var id int64
			var name string
			require.NoError(t, db.QueryRow(ctxT(t), tt.query, tt.args...).Scan(&id, &name))
			assert.Equal(t, int64(7), id, "got %d %q", id, name)
			assert.Equal(t, "ada", name, "got %d %q", id, name)
		})
	}
}

func TestStrictModeRejectsMissingAndUnknownParameters(t *testing.T) {
	strict := openMem(t, sqlite.Config{Strict: true})
	loose := openMem(t, sqlite.Config{})
	tests := []struct {
		name       string
		query      string
		args       []any
		strictErr  bool
		looseValue any // the first column without strict
	}{
		{"all given", "SELECT :a", []any{sqlite.Named{"a": int64(1)}}, false, int64(1)},
		{"missing named", "SELECT :a, :b", []any{sqlite.Named{"a": int64(1)}}, true, int64(1)},
		{"unknown key", "SELECT :a", []any{sqlite.Named{"a": int64(1), "zzz": 2}}, true, int64(1)},
		{"missing positional", "SELECT ?, ?", []any{int64(1)}, true, int64(1)},
		{"nothing given binds NULL when loose", "SELECT :a", nil, true, nil},
		{"struct lacking a field", "SELECT :a, :nope", []any{struct{ A int64 }{1}}, true, int64(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := strict.Values(ctxT(t), tt.query, tt.args...)
			if tt.strictErr {
				wantCode(t, err, arsenal.InvalidArgument)
			} else if err != nil {
				t.Fatalf("strict: %v", err)
			}
			rows, err := loose.Values(ctxT(t), tt.query, tt.args...)
			require.NoError(t, err, "loose")
			assert.Equal(t, tt.looseValue, rows[0][0], "loose first column")
			for i := 1; i < len(rows[0]); i++ {
				if rows[0][i] != nil {
					t.Errorf("loose column %d = %#v, want NULL", i, rows[0][i])
				}
			}
		})
	}
	// Too many positional arguments is an error either way.
	_, err := loose.Values(ctxT(t), "SELECT ?", 1, 2)
	wantCode(t, err, arsenal.InvalidArgument)
}

type valuer struct{ v any }

func (v valuer) Value() (driver.Value, error) { return v.v, nil }

type myInt int32
type myString string

func TestBindingFollowsTheDocumentedRules(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	str := "p"
	var nilPtr *int
	tests := []struct {
		name     string
		arg      any
		wantType string
		want     any
	}{
		{"nil", nil, "null", nil},
		{"long text", strings.Repeat("long text ", 1000), "text", strings.Repeat("long text ", 1000)},
		{"text above the bind buffer size", strings.Repeat("long text ", 10000), "text", strings.Repeat("long text ", 10000)},
		{"empty string is empty text", "", "text", ""},
		{"text with a NUL byte", "a\x00b", "text", "a\x00b"},
		{"large blob", bytes.Repeat([]byte{7, 0}, 50000), "blob", bytes.Repeat([]byte{7, 0}, 50000)},
		{"nil []byte is NULL", []byte(nil), "null", nil},
		{"empty []byte is an empty blob", []byte{}, "blob", []byte{}},
		{"bytes", []byte{0, 1}, "blob", []byte{0, 1}},
		{"true", true, "integer", int64(1)},
		{"max uint64 that fits", uint64(math.MaxInt64), "integer", int64(math.MaxInt64)},
		{"min int64", int64(math.MinInt64), "integer", int64(math.MinInt64)},
		{"uint8", uint8(200), "integer", int64(200)},
		{"float32", float32(0.5), "real", 0.5},
		{"named int", myInt(-3), "integer", int64(-3)},
		{"named string", myString("s"), "text", "s"},
		{"pointer", &str, "text", "p"},
		{"nil pointer", nilPtr, "null", nil},
		{"time", time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), "text", "2024-01-02T03:04:05.000000006Z"},
		{"driver.Valuer", valuer{int64(9)}, "integer", int64(9)},
		{"sql.NullString invalid", sql.NullString{}, "null", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var typ string
			var v any
			require.NoError(t, db.QueryRow(ctxT(t), "SELECT typeof(?1), ?1", tt.arg).Scan(&typ, &v))
			assert.Equal(t, tt.wantType, typ, "typeof")
			if b, ok := tt.want.([]byte); ok {
				got, _ := v.([]byte)
				if !bytes.Equal(got, b) || got == nil {
					t.Errorf("value = %#v, want %#v", v, tt.want)
				}
			} else if v != tt.want {
				t.Errorf("value = %#v, want %#v", v, tt.want)
			}
		})
	}
}

func TestBindingRefusesValuesSQLiteCannotHold(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	tests := []struct {
		name string
		arg  any
	}{
		{"uint64 above MaxInt64", uint64(math.MaxInt64) + 1},
		{"max uint64", uint64(math.MaxUint64)},
		{"uint above MaxInt64", uint(math.MaxUint64)},
		{"struct", struct{ A, B int }{1, 2}},
		{"slice of ints", []int{1}},
		{"complex", complex(1, 2)},
		{"channel", make(chan int)},
		{"func", func() {}},
		{"map in a positional slot", map[int]int{1: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Values(ctxT(t), "SELECT ?, ?", 1, tt.arg)
			wantCode(t, err, arsenal.InvalidArgument)
		})
	}
}

func TestScanConvertsWithoutSilentLoss(t *testing.T) {
	safe := openMem(t, sqlite.Config{SafeIntegers: true})
	loose := openMem(t, sqlite.Config{})
	big := int64(1)<<53 + 1
	var i8 int8
	var u64 uint64
	var i int
	var f float64
	var s string
	var b []byte
	var tm time.Time
	var ps *string
	var ns sql.NullString
	var bl bool
	tests := []struct {
		name  string
		db    *sqlite.DB
		query string
		dest  any
		ok    bool
		check func() bool
	}{
		{"int into int", loose, "SELECT 42", &i, true, func() bool { return i == 42 }},
		{"overflowing int8", loose, "SELECT 300", &i8, false, nil},
		{"negative into uint64", loose, "SELECT -1", &u64, false, nil},
		{"whole float into int", loose, "SELECT 3.0", &i, true, func() bool { return i == 3 }},
		{"fractional float into int", loose, "SELECT 3.5", &i, false, nil},
		{"text into int", loose, "SELECT 'x'", &i, false, nil},
		{"NULL into int", loose, "SELECT NULL", &i, false, nil},
		{"NULL into *string", loose, "SELECT NULL", &ps, true, func() bool { return ps == nil }},
		{"text into *string", loose, "SELECT 'v'", &ps, true, func() bool { return ps != nil && *ps == "v" }},
		{"NULL into sql.NullString", loose, "SELECT NULL", &ns, true, func() bool { return !ns.Valid }},
		{"int into string", loose, "SELECT 12", &s, true, func() bool { return s == "12" }},
		{"blob into bytes", loose, "SELECT x'0102'", &b, true, func() bool { return bytes.Equal(b, []byte{1, 2}) }},
		{"time text", loose, "SELECT '2024-05-06 07:08:09'", &tm, true, func() bool { return tm.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) }},
		{"bool", loose, "SELECT 1", &bl, true, func() bool { return bl }},
		{"big int into float rounds without SafeIntegers", loose, "SELECT 9007199254740993", &f, true, func() bool { return f == float64(big) }},
		{"big int into float fails with SafeIntegers", safe, "SELECT 9007199254740993", &f, false, nil},
		{"small int into float with SafeIntegers", safe, "SELECT 9007199254740991", &f, true, func() bool { return f == 9007199254740991 }},
		{"big int stays exact in int64 with SafeIntegers", safe, "SELECT 9007199254740993", &u64, true, func() bool { return u64 == uint64(big) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.db.QueryRow(ctxT(t), tt.query).Scan(tt.dest)
			if !tt.ok {
				wantCode(t, err, arsenal.InvalidArgument)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.check(), "wrong value scanned into %T", tt.dest)
		})
	}
}

type user struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Email *string
	Skip  string `db:"-"`
	Audit
}

type Audit struct {
	Created string `db:"created"`
}

func TestAllAsGetAndQueryReadRowsIntoStructs(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, created TEXT, extra TEXT)")
	mustExec(t, db, "INSERT INTO users(name, email, created, extra) VALUES ('ada', 'a@x', 'mon', 'e'), ('bob', NULL, 'tue', 'e')")

	users, err := sqlite.AllAs[user](ctx, db, "SELECT * FROM users ORDER BY id")
	require.NoError(t, err)
	require.Len(t, users, 2, "AllAs = %+v", users)
	require.Equal(t, "ada", users[0].Name, "AllAs = %+v", users)
	require.NotNil(t, users[0].Email, "AllAs = %+v", users)
	require.Equal(t, "a@x", *users[0].Email, "AllAs = %+v", users)
	require.Nil(t, users[1].Email, "AllAs = %+v", users)
	require.Equal(t, "tue", users[1].Created, "AllAs = %+v", users)
	ptrs, err := sqlite.AllAs[*user](ctx, db, "SELECT id, name FROM users WHERE id = ?", 2)
	require.NoError(t, err, "AllAs[*user] = %+v, %v", ptrs, err)
	require.Equal(t, 1, len(ptrs), "AllAs[*user] = %+v, %v", ptrs, err)
	require.Equal(t, "bob", ptrs[0].Name, "AllAs[*user] = %+v, %v", ptrs, err)
	names, err := sqlite.AllAs[string](ctx, db, "SELECT name FROM users ORDER BY id")
	require.NoError(t, err, "AllAs[string] = %v, %v", names, err)
	require.Equal(t, 2, len(names), "AllAs[string] = %v, %v", names, err)
	require.Equal(t, "bob", names[1], "AllAs[string] = %v, %v", names, err)
	var u user
	err = db.Get(ctx, &u, "SELECT * FROM users WHERE name = :n", sqlite.Named{"n": "bob"})
	require.NoError(t, err, "Get = %+v, %v", u, err)
	require.Equal(t, int64(2), u.ID, "Get = %+v, %v", u, err)
	err = db.Get(ctx, &u, "SELECT * FROM users WHERE id = 99")
	wantCode(t, err, arsenal.NotFound)
	assert.ErrorIs(t, err, sqlite.ErrNoRows, "no-row error does not wrap ErrNoRows: %v", err)
	var m map[string]any
	require.NoError(t, db.Get(ctx, &m, "SELECT id, name FROM users WHERE id = 1"), "Get map")
	require.Equal(t, "ada", m["name"], "Get map = %v", m)
	require.Equal(t, int64(1), m["id"], "Get map = %v", m)
	all, err := db.All(ctx, "SELECT id, email FROM users ORDER BY id")
	if err != nil || len(all) != 2 || all[1]["email"] != nil {
		t.Fatalf("All = %v, %v", all, err)
	}
	vals, err := db.Values(ctx, "SELECT id, name FROM users ORDER BY id")
	require.NoError(t, err, "Values")
	require.Len(t, vals, 2, "Values = %v", vals)
	require.Equal(t, "ada", vals[0][1], "Values = %v", vals)
	// Query streams and stops when the loop breaks.
	n := 0
	for row, err := range db.Query(ctx, "SELECT id FROM users ORDER BY id") {
		require.NoError(t, err)
		n++
		assert.Equal(t, int64(1), row.Int64(0), "first id")
		break
	}
	assert.Equal(t, 1, n, "loop ran %d times after break", n)
	// A query error is yielded once.
	var errs int
	for _, err := range db.Query(ctx, "SELECT nope FROM users") {
		wantCode(t, err, arsenal.InvalidArgument)
		errs++
	}
	assert.Equal(t, 1, errs, "%d errors yielded", errs)
}

func TestQueryThatWritesMovesToTheWriter(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	mustExec(t, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
	var ids []int64
	for row, err := range db.Query(ctxT(t), "INSERT INTO t(v) VALUES ('a'), ('b') RETURNING id") {
		require.NoError(t, err)
		ids = append(ids, row.Int64(0))
	}
	require.Equal(t, 2, len(ids), "RETURNING gave %v", ids)
	var n int
	err := db.QueryRow(ctxT(t), "SELECT count(*) FROM t").Scan(&n)
	require.NoError(t, err, "count = %d, %v", n, err)
	require.Equal(t, 2, n, "count = %d, %v", n, err)
}

func TestExecRunsScriptsAndRefusesDanglingTransactions(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	r := mustExec(t, db, `CREATE TABLE t(x); -- a comment
		INSERT INTO t VALUES (1); INSERT INTO t VALUES (2), (3);`)
	assert.Equal(t, int64(2), r.RowsAffected, "RowsAffected of the last statement, want 2")
	_, err := db.Exec(ctxT(t), "INSERT INTO t VALUES (?); INSERT INTO t VALUES (?)", 1, 2)
	wantCode(t, err, arsenal.InvalidArgument)
	_, err = db.Exec(ctxT(t), "BEGIN")
	wantCode(t, err, arsenal.FailedPrecondition)
	// The writer is usable and not stuck in a transaction.
	mustExec(t, db, "INSERT INTO t VALUES (4)")
	var n int
	err = db.QueryRow(ctxT(t), "SELECT count(*) FROM t").Scan(&n)
	require.NoError(t, err, "count = %d, %v", n, err)
	require.Equal(t, 4, n, "count = %d, %v", n, err)
}

func TestStatementCacheIsReusedAndBounded(t *testing.T) {
	db := openMem(t, sqlite.Config{StatementCache: 2})
	for i := 0; i < 5; i++ {
		var n int
		err := db.QueryRow(ctxT(t), "SELECT ?", i).Scan(&n)
		require.NoError(t, err, "%v %v", n, err)
		require.Equal(t, i, n, "%v %v", n, err)
	}
	g := db.DBStats()
	assert.GreaterOrEqual(t, g.StmtCacheHits, uint64(4), "StmtCacheHits = %v after 5 identical queries", g.StmtCacheHits)
	for _, q := range []string{"SELECT 1", "SELECT 2", "SELECT 3", "SELECT ?"} {
		if _, err := db.Values(ctxT(t), q, 1); err != nil && !arsenal.IsCode(err, arsenal.InvalidArgument) {
			t.Fatal(err)
		}
	}
	before := db.DBStats().StmtCacheMisses
	_, err := db.Values(ctxT(t), "SELECT 1")
	require.NoError(t, err)
	assert.Equal(t, before+1, db.DBStats().StmtCacheMisses, "an evicted statement was not prepared again")
	off := openMem(t, sqlite.Config{StatementCache: -1})
	for i := 0; i < 3; i++ {
		_, err := off.Values(ctxT(t), "SELECT 1")
		require.NoError(t, err)
	}
	h := off.DBStats().StmtCacheHits
	assert.Equal(t, uint64(0), h, "cache off but %v hits", h)
}
