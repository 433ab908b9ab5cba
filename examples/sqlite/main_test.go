package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunPrintsTheTour runs the example against real SQLite files in a
// temporary directory and checks what it prints and leaves behind.
func TestRunPrintsTheTour(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, dir))
	got := out.String()
	for _, want := range []string{
		"opened: sqlite " + filepath.Join(dir, "app.db") + " (read-write, wal, 1 writer + 4 readers)",
		`at     declared "DATETIME"   stored INTEGER`,
		"in Go:   9007199254740993",
		`as JSON: [{"id":1,"n":"9007199254740993"},{"id":2,"n":7}]`,
		"uint64 2^63: InvalidArgument",
		`bare name id -> "x" (<nil>)`,
		"missing $label: InvalidArgument",
		"unknown idd:    InvalidArgument",
		"800 rows from 4 writers, 800 reads",
		"read-only copy: 800 rows; DELETE -> FailedPrecondition; query_only=OFF -> PermissionDenied",
		"garbage bytes: DataLoss",
		"restored image to restored.db",
		"after Close: -wal file left: false",
	} {
		assert.Contains(t, got, want)
	}
	for _, f := range []string{"app.db", "backup.db", "restored.db"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if assert.NoError(t, err, f) {
			assert.Greater(t, fi.Size(), int64(4096), "%s holds only its header page", f)
		}
	}
	_, err := os.Stat(filepath.Join(dir, "app.db-wal"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestRunUsesATemporaryDirectoryByDefault runs it with no directory, as
// `go run ./examples/sqlite` does.
func TestRunUsesATemporaryDirectoryByDefault(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, ""))
	assert.Contains(t, out.String(), "after Close: -wal file left: false")
}
