package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/require"
)

var scratch string // a directory for databases the conformance suite opens

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runCrashChild() // never returns
	}
	dir, err := os.MkdirTemp("", "arsenal-sqlite-test")
	if err != nil {
		panic(err)
	}
	scratch = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openFile opens a new file database in t's temp dir.
func openFile(t testing.TB, cfg sqlite.Config) *sqlite.DB {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "test.db")
		cfg.Create = true
	}
	db, err := sqlite.Open(ctxT(t), cfg)
	require.NoError(t, err, "Open(%+v)", cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

func openMem(t testing.TB, cfg sqlite.Config) *sqlite.DB {
	t.Helper()
	cfg.Path = sqlite.Memory
	db, err := sqlite.Open(ctxT(t), cfg)
	require.NoError(t, err, "Open")
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t testing.TB, db *sqlite.DB, q string, args ...any) sqlite.Result {
	t.Helper()
	r, err := db.Exec(ctxT(t), q, args...)
	require.NoError(t, err, "Exec(%q)", q)
	return r
}

func wantCode(t testing.TB, err error, code arsenal.Code) {
	t.Helper()
	require.Error(t, err, "got nil error, want %v", code)
	require.Equal(t, code, arsenal.CodeOf(err), "code (err: %v)", err)
	var ae *arsenal.Error
	require.ErrorAs(t, err, &ae, "error is not an *arsenal.Error of component sqlite: %#v", err)
	require.Equal(t, sqlite.Kind, ae.Component, "error is not an *arsenal.Error of component sqlite: %#v", err)
}
