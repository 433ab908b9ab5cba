package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func TestParseURLHostsAndNumericParameters(t *testing.T) {
	for raw, want := range map[string]sqlite.Config{
		"sqlite://data/app.db":          {Path: "data/app.db", Create: true},
		"sqlite://localhost/var/app.db": {Path: "/var/app.db", Create: true},
		"file:app.db?readonly=true":     {Path: "app.db", ReadOnly: true},
		"file:app.db?readonly":          {Path: "app.db", ReadOnly: true},
	} {
		got, err := sqlite.ParseURL(raw)
		require.NoError(t, err, raw)
		assert.Equal(t, want.Path, got.Path, raw)
		assert.Equal(t, want.ReadOnly, got.ReadOnly, raw)
	}
	got, err := sqlite.ParseURL("sqlite:a.db?mmap_size=268435456&trusted_schema=true")
	require.NoError(t, err)
	assert.Equal(t, int64(268435456), got.MmapSize)
	assert.True(t, got.TrustedSchema)
	for _, raw := range []string{"sqlite:a.db?stmt_cache=lots", "sqlite:a.db?mmap_size=big", "sqlite:a.db?readonly=maybe"} {
		_, err := sqlite.ParseURL(raw)
		wantCode(t, err, arsenal.InvalidArgument)
	}
	_, err = sqlite.ParseURL("sqlite:a.db?stmt_cache=lots")
	assert.Contains(t, err.Error(), `stmt_cache="lots" is not an integer`)
	_, err = sqlite.ParseURL("sqlite:a.db?mmap_size=big")
	assert.Contains(t, err.Error(), `mmap_size="big" is not an integer`)
}

func TestBackupAndVacuumIntoNeedAFilePath(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	for _, p := range []string{"", sqlite.Memory} {
		wantCode(t, db.Backup(ctx, p), arsenal.InvalidArgument)
		wantCode(t, db.VacuumInto(ctx, p), arsenal.InvalidArgument)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	target := filepath.Join(t.TempDir(), "b.db")
	wantCode(t, db.Backup(done, target), arsenal.Canceled)
	_, err := os.Stat(target)
	assert.True(t, errors.Is(err, os.ErrNotExist), "a cancelled backup leaves no file: %v", err)
}

func TestDeserializeRefusesBadOptionsAndEndedContexts(t *testing.T) {
	_, image := seeded(t)
	ctx := ctxT(t)
	_, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{StatementCache: -2})
	wantCode(t, err, arsenal.InvalidArgument)
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = sqlite.Deserialize(done, image, sqlite.DeserializeOptions{})
	wantCode(t, err, arsenal.Canceled)
}

func TestRestoreRefusesUnreadableAndUnsoundImages(t *testing.T) {
	ctx := ctxT(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "r.db")
	broken := errors.New("network gone")
	err := sqlite.Restore(ctx, iotest.ErrReader(broken), target)
	require.ErrorIs(t, err, broken)
	var ae *arsenal.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "restore", ae.Op)

	// An image whose schema reads but whose index disagrees with its
	// table: Deserialize accepts it, integrity_check does not.
	src := openFile(t, sqlite.Config{})
	mustExec(t, src, "CREATE TABLE t(v TEXT); CREATE INDEX t_v ON t(v); INSERT INTO t VALUES ('zebra-unique-text')")
	image, err := src.Serialize(ctx, "")
	require.NoError(t, err)
	// Pages: 1 schema, 2 the table, 3 the index. Change the index's copy.
	pageSize := int(image[16])<<8 | int(image[17])
	require.Greater(t, len(image), 3*pageSize-1)
	index := image[2*pageSize : 3*pageSize]
	i := bytes.Index(index, []byte("zebra-unique-text"))
	require.GreaterOrEqual(t, i, 0, "the index page holds the value")
	require.GreaterOrEqual(t, bytes.Index(image[pageSize:2*pageSize], []byte("zebra-unique-text")), 0, "the table page holds the value")
	index[i] = 'y'
	err = sqlite.Restore(ctx, bytes.NewReader(image), target)
	wantCode(t, err, arsenal.DataLoss)
	assert.Contains(t, err.Error(), "integrity_check")
	_, serr := os.Stat(target)
	assert.True(t, errors.Is(serr, os.ErrNotExist), "nothing written: %v", serr)
}
