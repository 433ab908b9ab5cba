package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	zs "zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal/sqlite"
)

// TestCloseCheckpointsTheWAL opens a WAL file, writes, reads on a reader
// (so reader connections exist and are idle at Close) and closes: the main
// file must then hold every row and no -wal file remain, as with a plain
// SQLite connection, so a user who copies the .db file gets the data.
func TestCloseCheckpointsTheWAL(t *testing.T) {
	ctx := ctxT(t)
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
	require.NoError(t, err)
	_, err = db.Exec(ctx, "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT)")
	require.NoError(t, err)
	for i := range 50 {
		_, err = db.Exec(ctx, "INSERT INTO users(email) VALUES (?)", strings.Repeat("x", 100)+string(rune('a'+i%26)))
		require.NoError(t, err)
	}
	var n int64
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n))
	require.EqualValues(t, 50, n)
	// A cancellable context that is cancelled after the call: its late
	// interrupt must not abort the checkpoint either.
	cctx, cancel := context.WithCancel(ctx)
	require.NoError(t, db.QueryRow(cctx, "SELECT count(*) FROM users").Scan(&n))
	cancel()
	require.NoError(t, db.Close())

	_, err = os.Stat(path + "-wal")
	assert.True(t, os.IsNotExist(err), "the -wal file remains after Close (stat err %v)", err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Greater(t, fi.Size(), int64(4096), "the main file holds only the header page")

	// A fresh connection on a copy of the main file alone sees the rows.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	cp := filepath.Join(t.TempDir(), "copy.db")
	require.NoError(t, os.WriteFile(cp, data, 0o644))
	c, err := zs.OpenConn(cp, zs.OpenReadOnly)
	require.NoError(t, err)
	defer c.Close()
	s, _, err := c.PrepareTransient("SELECT count(*) FROM users")
	require.NoError(t, err)
	ok, err := s.Step()
	require.NoError(t, err)
	require.True(t, ok)
	assert.EqualValues(t, 50, s.ColumnInt64(0))
	require.NoError(t, s.Finalize())

	// And so does the sqlite3 CLI where it is installed.
	if cli, err := exec.LookPath("sqlite3"); err == nil {
		out, err := exec.Command(cli, cp, "SELECT count(*) FROM users").CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Equal(t, "50", strings.TrimSpace(string(out)))
	}
}
