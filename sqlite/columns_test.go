package sqlite_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const introspectionSchema = `
CREATE TABLE t(id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, born DATETIME, score REAL, raw BLOB, nodecl);
CREATE TABLE pets(id INTEGER PRIMARY KEY, owner INT REFERENCES t(id), kind TEXT);
CREATE TABLE s(a INT, b TEXT, c ANY, d REAL) STRICT;
CREATE VIEW v AS SELECT id, name AS who, born, score * 2 AS doubled FROM t;
INSERT INTO t(name, born, score, raw, nodecl) VALUES
	(1, '2020', 1.5, x'00', 'x'),          -- 1 into VARCHAR is TEXT; '2020' into DATETIME is INTEGER
	('bob', '2020-01-02', 2, 'text', 3),   -- 2 into REAL is FLOAT; text into BLOB stays TEXT
	('cy', 3.25, NULL, NULL, x'01');       -- 3.25 into DATETIME is FLOAT
INSERT INTO pets(owner, kind) VALUES (1, 'cat'), (2, 'dog');
INSERT INTO s VALUES (1, 'x', '1', 2);        -- ANY keeps '1' as TEXT; STRICT REAL stores 2 as FLOAT
`

type wantCol struct {
	name, decl string
	hasDecl    bool
	table      string
	origin     string
}

func TestColumnIntrospectionMatchesDecltypeTypeofAndTableXinfo(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, introspectionSchema)
	tests := []struct {
		name  string
		query string
		cols  []wantCol
	}{
		{"table columns", "SELECT id, name, born, score, raw, nodecl FROM t ORDER BY id", []wantCol{
			{"id", "INTEGER", true, "t", "id"}, {"name", "VARCHAR(40)", true, "t", "name"},
			{"born", "DATETIME", true, "t", "born"}, {"score", "REAL", true, "t", "score"},
			{"raw", "BLOB", true, "t", "raw"}, {"nodecl", "", false, "t", "nodecl"}}}, // no type in CREATE TABLE: decltype is NULL
		{"aliases keep the origin", "SELECT name AS n, born AS b FROM t ORDER BY id", []wantCol{
			{"n", "VARCHAR(40)", true, "t", "name"}, {"b", "DATETIME", true, "t", "born"}}},
		{"expressions have no declared type", "SELECT id + 1 AS next, upper(name), 42, typeof(born) FROM t ORDER BY id", []wantCol{
			{"next", "", false, "", ""}, {"upper(name)", "", false, "", ""}, {"42", "", false, "", ""}, {"typeof(born)", "", false, "", ""}}},
		{"views resolve to the base table", "SELECT id, who, born, doubled FROM v ORDER BY id", []wantCol{
			{"id", "INTEGER", true, "t", "id"}, {"who", "VARCHAR(40)", true, "t", "name"},
			{"born", "DATETIME", true, "t", "born"}, {"doubled", "", false, "", ""}}},
		{"joins name each table", "SELECT t.name, p.kind, p.owner FROM pets p JOIN t ON t.id = p.owner ORDER BY p.id", []wantCol{
			{"name", "VARCHAR(40)", true, "t", "name"}, {"kind", "TEXT", true, "pets", "kind"}, {"owner", "INT", true, "pets", "owner"}}},
		{"subqueries pass through", "SELECT x FROM (SELECT born AS x FROM t) ORDER BY 1", []wantCol{
			{"x", "DATETIME", true, "t", "born"}}},
		{"strict table", "SELECT a, b, c, d FROM s", []wantCol{
			{"a", "INT", true, "s", "a"}, {"b", "TEXT", true, "s", "b"}, {"c", "ANY", true, "s", "c"}, {"d", "REAL", true, "s", "d"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := db.Inspect(ctx, tt.query)
			require.NoError(t, err)
			require.Equal(t, len(tt.cols), len(st.Columns), "%d columns, want %d", len(st.Columns), len(tt.cols))
			for i, w := range tt.cols {
				c := st.Columns[i]
				assert.Equal(t, w.name, c.Name, "column %d = %+v, want %+v", i, c, w)
				assert.Equal(t, w.decl, c.DeclType, "column %d = %+v, want %+v", i, c, w)
				assert.Equal(t, w.hasDecl, c.HasDeclType, "column %d = %+v, want %+v", i, c, w)
				assert.Equal(t, w.table, c.Table, "column %d = %+v, want %+v", i, c, w)
				assert.Equal(t, w.origin, c.Origin, "column %d = %+v, want %+v", i, c, w)
				if w.table != "" {
					assert.Equal(t, "main", c.Database, "column %d database", i)
					assert.Equal(t, c.DeclType, xinfoType(t, db, w.table, w.origin), "column %d: pragma table_xinfo(%s) vs decltype", i, w.table)
				}
			}
			// The storage class of every row agrees with typeof().
			checkTypeof(t, db, tt.query, len(tt.cols))
		})
	}
}

// checkTypeof runs query and, for every row, compares Row.Columns types
// with typeof() of the same expressions, and Inspect's types with row one.
func checkTypeof(t *testing.T, db *sqlite.DB, query string, n int) {
	t.Helper()
	ctx := ctxT(t)
	var exprs []string
	for i := 1; i <= n; i++ {
		exprs = append(exprs, fmt.Sprintf("typeof(q.c%d)", i))
	}
	var cols []string
	for i := 1; i <= n; i++ {
		cols = append(cols, fmt.Sprintf("c%d", i))
	}
	typeofQ := fmt.Sprintf("WITH q(%s) AS (%s) SELECT %s FROM q", strings.Join(cols, ","), query, strings.Join(exprs, ","))
	want, err := db.Values(ctx, typeofQ)
	require.NoError(t, err, "%s", typeofQ)
	var got [][]string
	for row, err := range db.Query(ctx, query) {
		require.NoError(t, err)
		var r []string
		for _, c := range row.Columns() {
			r = append(r, c.Type.TypeOf())
		}
		got = append(got, r)
	}
	require.Equal(t, len(want), len(got), "%d rows vs %d typeof rows", len(got), len(want))
	require.NotEqual(t, 0, len(got), "%d rows vs %d typeof rows", len(got), len(want))
	for i := range got {
		for j := range got[i] {
			assert.Equal(t, want[i][j], got[i][j], "row %d column %d: storage class vs typeof()", i, j)
		}
	}
	st, err := db.Inspect(ctx, query)
	require.NoError(t, err)
	for j, c := range st.Columns {
		assert.Equal(t, want[0][j], c.Type.TypeOf(), "Inspect column %d: %s vs first row typeof", j, c.Type)
	}
}

func xinfoType(t *testing.T, db *sqlite.DB, table, col string) string {
	t.Helper()
	var typ string
	err := db.QueryRow(ctxT(t), "SELECT type FROM pragma_table_xinfo(?) WHERE name = ?", table, col).Scan(&typ)
	require.NoError(t, err, "table_xinfo(%s).%s", table, col)
	return typ
}

func TestAffinityDecidesTheStorageClass(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	mustExec(t, db, introspectionSchema)
	tests := []struct {
		name, query string
		want        sqlite.StorageClass
		wantText    string
	}{
		{"'2020' into DATETIME is INTEGER", "SELECT born FROM t WHERE id = 1", sqlite.Integer, "INTEGER"},
		{"1 into VARCHAR is TEXT", "SELECT name FROM t WHERE id = 1", sqlite.Text, "TEXT"},
		{"'2020-01-02' into DATETIME stays TEXT", "SELECT born FROM t WHERE id = 2", sqlite.Text, "TEXT"},
		{"3.25 into DATETIME is FLOAT", "SELECT born FROM t WHERE id = 3", sqlite.Float, "FLOAT"},
		{"2 into REAL is FLOAT", "SELECT score FROM t WHERE id = 2", sqlite.Float, "FLOAT"},
		{"text into BLOB stays TEXT", "SELECT raw FROM t WHERE id = 2", sqlite.Text, "TEXT"},
		{"no declared type keeps the blob", "SELECT nodecl FROM t WHERE id = 3", sqlite.Blob, "BLOB"},
		{"ANY in a STRICT table keeps text", "SELECT c FROM s", sqlite.Text, "TEXT"},
		{"STRICT REAL stores an integer as FLOAT", "SELECT d FROM s", sqlite.Float, "FLOAT"},
		{"NULL", "SELECT score FROM t WHERE id = 3", sqlite.Null, "NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := db.Inspect(ctxT(t), tt.query)
			require.NoError(t, err)
			assert.True(t, st.HasRow, "storage class %v (row %v), want %v", st.Columns[0].Type, st.HasRow, tt.want)
			assert.Equal(t, tt.want, st.Columns[0].Type, "storage class %v (row %v), want %v", st.Columns[0].Type, st.HasRow, tt.want)
			assert.Equal(t, tt.wantText, st.Columns[0].Type.String(), "storage class %v (row %v), want %v", st.Columns[0].Type, st.HasRow, tt.want)
		})
	}
}

func TestInspectReportsParametersAndExpandedSQL(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	mustExec(t, db, introspectionSchema)
	st, err := db.Inspect(ctxT(t), "SELECT name FROM t WHERE id = :id AND name <> ?", sqlite.Named{"id": 2})
	require.NoError(t, err)
	require.Equal(t, 2, len(st.Params), "Params = %q", st.Params)
	assert.Equal(t, ":id", st.Params[0], "Params = %q", st.Params)
	assert.Equal(t, "", st.Params[1], "Params = %q", st.Params)
	assert.Equal(t, "SELECT name FROM t WHERE id = 2 AND name <> NULL", st.ExpandedSQL, "ExpandedSQL")
	assert.True(t, st.ReadOnly, "a SELECT is not ReadOnly")
	w, err := db.Inspect(ctxT(t), "INSERT INTO pets(kind) VALUES (?) RETURNING id, kind", "fish")
	require.NoError(t, err)
	assert.False(t, w.ReadOnly, "Inspect of a write = %+v", w)
	assert.False(t, w.HasRow, "Inspect of a write = %+v", w)
	require.Equal(t, 2, len(w.Columns), "Inspect of a write = %+v", w)
	assert.Equal(t, "TEXT", w.Columns[1].DeclType, "Inspect of a write = %+v", w)
	var n int
	err = db.QueryRow(ctxT(t), "SELECT count(*) FROM pets WHERE kind = 'fish'").Scan(&n)
	require.NoError(t, err, "Inspect ran the INSERT: %d rows, %v", n, err)
	assert.Equal(t, 0, n, "Inspect ran the INSERT: %d rows, %v", n, err)
	empty, err := db.Inspect(ctxT(t), "SELECT id FROM t WHERE 0")
	require.NoError(t, err, "Inspect with no row = %+v, %v", empty, err)
	assert.False(t, empty.HasRow, "Inspect with no row = %+v, %v", empty, err)
	assert.Equal(t, sqlite.Null, empty.Columns[0].Type, "Inspect with no row = %+v, %v", empty, err)
	assert.Equal(t, "INTEGER", empty.Columns[0].DeclType, "Inspect with no row = %+v, %v", empty, err)
}
