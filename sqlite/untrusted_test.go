package sqlite_test

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// hostileImage is a database image whose view and trigger call the
// application function "leak", as an attacker's file would.
func hostileImage(t *testing.T) []byte {
	t.Helper()
	src := openFile(t, sqlite.Config{})
	mustExec(t, src, `CREATE TABLE t(x);
		CREATE TABLE log(y);
		INSERT INTO t VALUES (1), (2);
		CREATE VIEW v AS SELECT leak(x) AS y FROM t;
		CREATE TRIGGER tr AFTER INSERT ON log BEGIN SELECT leak(NEW.y); END;`)
	data, err := src.Serialize(ctxT(t), "")
	require.NoError(t, err)
	return data
}

func leakFunc(calls *atomic.Int64, innocuous bool) sqlite.Function {
	return sqlite.Function{NArgs: 1, Innocuous: innocuous, Scalar: func(args []any) (any, error) {
		calls.Add(1)
		return args[0], nil
	}}
}

// TestApplicationFunctionsDoNotRunFromAnUntrustedImage deserializes an
// image whose view and trigger call an application function: neither may
// run it (read-only or not, Innocuous or not), while top-level SQL may.
func TestApplicationFunctionsDoNotRunFromAnUntrustedImage(t *testing.T) {
	data := hostileImage(t)
	for _, tc := range []struct {
		name      string
		readOnly  bool
		innocuous bool
	}{
		{"read-write", false, false},
		{"read-only", true, false},
		{"read-write innocuous", false, true},
		{"read-only innocuous", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			db, err := sqlite.Deserialize(ctx, data, sqlite.DeserializeOptions{ReadOnly: tc.readOnly})
			require.NoError(t, err)
			defer db.Close()
			var calls atomic.Int64
			require.NoError(t, db.CreateFunction("leak", leakFunc(&calls, tc.innocuous)))

			_, err = db.Values(ctx, "SELECT y FROM v")
			wantCode(t, err, arsenal.InvalidArgument)
			assert.Contains(t, err.Error(), "unsafe use of leak()")
			if !tc.readOnly {
				_, err = db.Exec(ctx, "INSERT INTO log VALUES (42)")
				wantCode(t, err, arsenal.InvalidArgument)
				assert.Contains(t, err.Error(), "unsafe use of leak()")
			}
			assert.Zero(t, calls.Load(), "the image's schema ran the application function")

			var v int64
			require.NoError(t, db.QueryRow(ctx, "SELECT leak(7)").Scan(&v))
			assert.EqualValues(t, 7, v)
			assert.EqualValues(t, 1, calls.Load())
		})
	}
}

// TestFilesDoNotTrustTheirSchemaByDefault: a file database opened with
// defaults refuses application functions in its views; with TrustedSchema
// an Innocuous function runs from them and a direct-only one still not.
func TestFilesDoNotTrustTheirSchemaByDefault(t *testing.T) {
	ctx := ctxT(t)
	dir := t.TempDir()
	path := dir + "/app.db"
	db := openFile(t, sqlite.Config{Path: path, Create: true})
	mustExec(t, db, "CREATE TABLE t(x); INSERT INTO t VALUES (1); CREATE VIEW v AS SELECT leak(x) FROM t; CREATE VIEW w AS SELECT direct(x) FROM t")
	var calls atomic.Int64
	require.NoError(t, db.CreateFunction("leak", leakFunc(&calls, true)))
	require.NoError(t, db.CreateFunction("direct", leakFunc(&calls, false)))
	_, err := db.Values(ctx, "SELECT * FROM v")
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Zero(t, calls.Load())
	require.NoError(t, db.Close())

	trusted := openFile(t, sqlite.Config{Path: path, TrustedSchema: true})
	require.NoError(t, trusted.CreateFunction("leak", leakFunc(&calls, true)))
	require.NoError(t, trusted.CreateFunction("direct", leakFunc(&calls, false)))
	rows, err := trusted.Values(ctx, "SELECT * FROM v")
	require.NoError(t, err)
	assert.Equal(t, [][]any{{int64(1)}}, rows)
	assert.EqualValues(t, 1, calls.Load())
	_, err = trusted.Values(ctx, "SELECT * FROM w")
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), "unsafe use of direct()")
	assert.EqualValues(t, 1, calls.Load())

	cfg, err := sqlite.ParseURL("sqlite:app.db?trusted_schema=true")
	require.NoError(t, err)
	assert.True(t, cfg.TrustedSchema)
}
