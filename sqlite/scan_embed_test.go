package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// hidden is unexported: a struct embedding *hidden cannot have the
// pointer allocated by reflection (reflect refuses to set an unexported
// field), so its promoted fields can be set only when the pointer is set.
type hidden struct {
	Note string `db:"note"`
	Rank int64
}

type withHiddenPtr struct {
	ID int64 `db:"id"`
	*hidden
}

type withHiddenValue struct {
	ID int64 `db:"id"`
	hidden
}

type Middle struct {
	*hidden
}

type withMiddle struct {
	ID int64 `db:"id"`
	Middle
}

type withSkippedHiddenPtr struct {
	ID      int64 `db:"id"`
	*hidden `db:"-"`
}

func TestScanThroughNilUnexportedEmbeddedPointerIsAnErrorNotAPanic(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(id INTEGER, note TEXT, rank INTEGER)")
	mustExec(t, db, "INSERT INTO t VALUES (1, 'n1', 7)")
	const q = "SELECT id, note, rank FROM t"

	var v withHiddenPtr
	var err error
	require.NotPanics(t, func() { err = db.Get(ctx, &v, q) })
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), `"note"`, "the error names the column")
	assert.Contains(t, err.Error(), "hidden.Note", "the error names the field")
	assert.Contains(t, err.Error(), "unexported", "the error says why")
	assert.Nil(t, v.hidden, "nothing was allocated")

	// The other entry points that scan into structs say the same.
	require.NotPanics(t, func() { _, err = sqlite.AllAs[withHiddenPtr](ctx, db, q) })
	wantCode(t, err, arsenal.InvalidArgument)
	require.NotPanics(t, func() { _, err = sqlite.AllAs[*withHiddenPtr](ctx, db, q) })
	wantCode(t, err, arsenal.InvalidArgument)
	require.NoError(t, db.Tx(ctx, func(tx *sqlite.Tx) error {
		var v withHiddenPtr
		require.NotPanics(t, func() { err = tx.Get(ctx, &v, q) })
		wantCode(t, err, arsenal.InvalidArgument)
		return nil
	}))

	// Through an exported embedded struct that itself embeds the pointer.
	var m withMiddle
	require.NotPanics(t, func() { err = db.Get(ctx, &m, q) })
	wantCode(t, err, arsenal.InvalidArgument)

	// Columns that reach no such field still scan.
	var only withHiddenPtr
	require.NoError(t, db.Get(ctx, &only, "SELECT id FROM t"))
	assert.Equal(t, int64(1), only.ID)

	// The pool is healthy afterwards: the statement was reset.
	var n int64
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
	assert.Equal(t, int64(1), n)
}

func TestScanThroughSetUnexportedEmbeddedPointerFillsIt(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(id INTEGER, note TEXT, rank INTEGER)")
	mustExec(t, db, "INSERT INTO t VALUES (1, 'n1', 7)")

	// As encoding/json does, a pointer the caller set is followed.
	h := &hidden{}
	v := withHiddenPtr{hidden: h}
	require.NoError(t, db.Get(ctx, &v, "SELECT id, note, rank FROM t"))
	assert.Equal(t, int64(1), v.ID)
	assert.Same(t, h, v.hidden, "the caller's pointer is kept")
	assert.Equal(t, "n1", h.Note)
	assert.Equal(t, int64(7), h.Rank)

	m := withMiddle{Middle: Middle{hidden: &hidden{}}}
	require.NoError(t, db.Get(ctx, &m, "SELECT id, note, rank FROM t"))
	assert.Equal(t, "n1", m.Note)
	assert.Equal(t, int64(7), m.Rank)

	// An unexported embedded value (not a pointer) needs no allocation.
	var hv withHiddenValue
	require.NoError(t, db.Get(ctx, &hv, "SELECT id, note, rank FROM t"))
	assert.Equal(t, withHiddenValue{ID: 1, hidden: hidden{Note: "n1", Rank: 7}}, hv)

	// db:"-" on the embedded pointer skips its fields entirely.
	var sk withSkippedHiddenPtr
	require.NoError(t, db.Get(ctx, &sk, "SELECT id, note, rank FROM t"))
	assert.Equal(t, int64(1), sk.ID)
	assert.Nil(t, sk.hidden)
}

func TestBindFromStructWithNilUnexportedEmbeddedPointerBindsNull(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(id INTEGER, note TEXT)")
	_, err := db.Exec(ctx, "INSERT INTO t VALUES (:id, :note)", withHiddenPtr{ID: 3})
	require.NoError(t, err)
	_, err = db.Exec(ctx, "INSERT INTO t VALUES (:id, :note)", withHiddenPtr{ID: 4, hidden: &hidden{Note: "set"}})
	require.NoError(t, err)
	rows, err := db.Values(ctx, "SELECT id, note FROM t ORDER BY id")
	require.NoError(t, err)
	assert.Equal(t, [][]any{{int64(3), nil}, {int64(4), "set"}}, rows)
}
