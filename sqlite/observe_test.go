package sqlite_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

type ctxMark struct{}

// recorder is an Observer and ConnObserver that keeps every event.
type recorder struct {
	mu     sync.Mutex
	starts []arsenal.OpStart
	ends   []arsenal.OpEnd
	conns  []arsenal.ConnEvent
	marked int // OpEnds whose context carried the mark OpStart set
}

func (r *recorder) OpStart(ctx context.Context, op arsenal.OpStart) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, op)
	return context.WithValue(ctx, ctxMark{}, op.Op)
}

func (r *recorder) OpEnd(ctx context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ends = append(r.ends, end)
	if ctx.Value(ctxMark{}) == op.Op {
		r.marked++
	}
}

func (r *recorder) ConnEvent(_ context.Context, ev arsenal.ConnEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns = append(r.conns, ev)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts, r.ends, r.conns, r.marked = nil, nil, nil, 0
}

func (r *recorder) connKinds() map[arsenal.ConnEventKind]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[arsenal.ConnEventKind]int{}
	for _, ev := range r.conns {
		m[ev.Kind]++
	}
	return m
}

// TestObserverSeesEveryOperation runs a few operations against a real
// file and checks the events: op names, statements without arguments,
// rows, an error with its code, the context handed from OpStart to OpEnd,
// and connection events.
func TestObserverSeesEveryOperation(t *testing.T) {
	rec := &recorder{}
	db := openFile(t, sqlite.Config{Observer: rec})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE)")
	kinds := rec.connKinds()
	assert.Positive(t, kinds[arsenal.ConnConnect], "no connect event")
	assert.Positive(t, kinds[arsenal.ConnPoolAcquire], "no pool acquire event")
	rec.reset()

	const insert = "INSERT INTO users(email) VALUES (?)"
	for _, e := range []string{"secret-a@x", "secret-b@x", "secret-c@x"} {
		_, err := db.Exec(ctx, insert, e)
		require.NoError(t, err)
	}
	_, err := db.Exec(ctx, insert, "secret-a@x")
	wantCode(t, err, arsenal.AlreadyExists)
	n := 0
	for _, err := range db.Query(ctx, "SELECT email FROM users") {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, 3, n)
	var id int64
	require.NoError(t, db.QueryRow(ctx, "SELECT id FROM users WHERE email = ?", "secret-b@x").Scan(&id))
	require.NoError(t, db.Tx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE users SET email = email || '.org'")
		return err
	}))

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.starts, 8)
	require.Len(t, rec.ends, 8)
	wantOps := []string{"exec", "exec", "exec", "exec", "query", "get", "tx", "exec"}
	for i, st := range rec.starts {
		assert.Equal(t, sqlite.Kind, st.Component)
		assert.Equal(t, wantOps[i], st.Op, "start %d", i)
		assert.NotContains(t, st.Statement, "secret", "OpStart carries an argument")
		assert.False(t, st.Time.IsZero())
	}
	assert.Equal(t, insert, rec.starts[0].Statement)
	assert.Equal(t, rec.starts[0].Target, db.Config().Path)
	assert.Equal(t, "test.db", rec.starts[0].Namespace)
	for i := range 3 {
		assert.EqualValues(t, 1, rec.ends[i].Rows)
		assert.NoError(t, rec.ends[i].Err)
		assert.Equal(t, arsenal.OK, rec.ends[i].Code)
	}
	assert.Equal(t, arsenal.AlreadyExists, rec.ends[3].Code)
	assert.Error(t, rec.ends[3].Err)
	assert.EqualValues(t, 3, rec.ends[4].Rows, "query rows")
	assert.EqualValues(t, 1, rec.ends[5].Rows, "get rows")
	// The Tx's Exec ends before the Tx.
	assert.EqualValues(t, 3, rec.ends[6].Rows, "tx exec rows")
	assert.Equal(t, 8, rec.marked, "OpEnd did not get the context OpStart returned")
	for _, e := range rec.ends {
		assert.Positive(t, e.Duration)
	}
}

// TestSlowOperationsAreLoggedWithoutArguments sets a tiny SlowThreshold
// and checks the Warn record names the statement but no argument.
func TestSlowOperationsAreLoggedWithoutArguments(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	h := slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelInfo})
	db := openFile(t, sqlite.Config{Logger: slog.New(h), SlowThreshold: time.Nanosecond})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(v TEXT)")
	_, err := db.Exec(ctx, "INSERT INTO t VALUES (?)", "hunter2-secret")
	require.NoError(t, err)
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "sqlite: slow operation")
	assert.Contains(t, out, `statement="INSERT INTO t VALUES (?)"`)
	assert.NotContains(t, out, "hunter2")

	// Without a threshold nothing is logged.
	buf.Reset()
	quiet := openFile(t, sqlite.Config{Logger: slog.New(h)})
	mustExec(t, quiet, "CREATE TABLE t(v TEXT)")
	mu.Lock()
	assert.Empty(t, buf.String())
	mu.Unlock()
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestEveryCallIsCounted: calls that fail early (bad arguments, a closed
// database, a cancelled context) are counted in Stats with their errors.
func TestEveryCallIsCounted(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(a INT)")
	base := db.Stats().Ops["exec"]

	_, err := db.Exec(ctx, "INSERT INTO t VALUES (?)", 1, 2) // too many arguments
	wantCode(t, err, arsenal.InvalidArgument)
	_, err = db.Exec(ctx, "INSERT INTO t VALUES (?)", struct{ A int }{1})
	wantCode(t, err, arsenal.InvalidArgument)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = db.Exec(cctx, "INSERT INTO t VALUES (1)")
	wantCode(t, err, arsenal.Canceled)
	getErr := db.QueryRow(cctx, "SELECT a FROM t").Scan(new(int64))
	wantCode(t, getErr, arsenal.Canceled)
	require.NoError(t, db.Close())
	_, err = db.Exec(ctx, "INSERT INTO t VALUES (1)")
	require.ErrorIs(t, err, arsenal.ErrClosed)
	_, err = db.Values(ctx, "SELECT a FROM t")
	require.ErrorIs(t, err, arsenal.ErrClosed)

	st := db.Stats()
	exec := st.Ops["exec"]
	assert.Equal(t, base.Count+4, exec.Count, "exec calls")
	assert.Equal(t, base.Errors+4, exec.Errors, "exec errors")
	assert.EqualValues(t, 1, st.Ops["get"].Errors)
	assert.EqualValues(t, 1, st.Ops["query"].Errors)
	assert.False(t, strings.Contains(st.Target, "hunter2"))
}

// TestInspectAndMaintenanceAreObserved covers the operations beside the
// statement calls.
func TestInspectAndMaintenanceAreObserved(t *testing.T) {
	rec := &recorder{}
	db := openFile(t, sqlite.Config{Observer: rec})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(x)")
	rec.reset()
	_, err := db.Inspect(ctx, "SELECT x FROM t WHERE x = ?", 1)
	require.NoError(t, err)
	require.NoError(t, db.Health(ctx))
	_, err = db.Serialize(ctx, "")
	require.NoError(t, err)
	require.NoError(t, db.Backup(ctx, t.TempDir()+"/b.db"))
	_, err = db.Inspect(ctx, "SELEKT")
	wantCode(t, err, arsenal.InvalidArgument)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var ops []string
	for _, st := range rec.starts {
		ops = append(ops, st.Op)
	}
	assert.Equal(t, []string{"inspect", "health", "serialize", "backup", "inspect"}, ops)
	require.Len(t, rec.ends, 5)
	assert.Equal(t, arsenal.InvalidArgument, rec.ends[4].Code)
	assert.EqualValues(t, 2, db.Stats().Ops["inspect"].Count)
}

// TestOpenFailuresAreLoggedAndReported: a connection that cannot open is
// a Warn log and a dial_error event with its code.
func TestOpenFailuresAreLoggedAndReported(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	rec := &recorder{}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	missing := t.TempDir() + "/missing.db"
	_, err := sqlite.Open(ctxT(t), sqlite.Config{Path: missing, Observer: rec, Logger: logger})
	wantCode(t, err, arsenal.NotFound)
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "opening a connection failed")
	assert.Contains(t, out, "code=NotFound")
	assert.Contains(t, out, "target="+missing)
	assert.Equal(t, 1, rec.connKinds()[arsenal.ConnDialError])
}
