package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
	"github.com/infra-arsenal/arsenal/security"
)

type ctxMark struct{}

// recorder is an arsenal.Observer and ConnObserver that keeps every event.
type recorder struct {
	mu    sync.Mutex
	start []arsenal.OpStart
	end   []arsenal.OpEnd
	conn  []arsenal.ConnEvent
	// marked counts OpEnds that saw the context OpStart returned.
	marked int
}

func (r *recorder) OpStart(ctx context.Context, op arsenal.OpStart) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start = append(r.start, op)
	return context.WithValue(ctx, ctxMark{}, op.Op)
}

func (r *recorder) OpEnd(ctx context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.end = append(r.end, end)
	if ctx.Value(ctxMark{}) == op.Op {
		r.marked++
	}
}

func (r *recorder) ConnEvent(ctx context.Context, ev arsenal.ConnEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conn = append(r.conn, ev)
}

func (r *recorder) connKinds() map[arsenal.ConnEventKind]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[arsenal.ConnEventKind]int{}
	for _, e := range r.conn {
		m[e.Kind]++
	}
	return m
}

func TestAnObserverSeesEveryOperationWithItsOutcome(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	obs := &recorder{}
	dsn := testenv.Postgres(t)
	db, err := postgres.Open(ctx, postgres.Config{URL: dsn, Observer: obs})
	require.NoError(t, err)
	_, err = db.Exec(ctx, "create table obs (id int primary key)")
	require.NoError(t, err)
	n, err := db.Exec(ctx, "insert into obs values ($1), ($2)", 1, 2)
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	_, err = db.Exec(ctx, "insert into obs values ($1)", 1)
	require.Equal(t, arsenal.AlreadyExists, arsenal.CodeOf(err))
	res, err := db.Query(ctx, "select id from obs order by id")
	require.NoError(t, err)
	require.Len(t, res.Rows, 2)
	rows := 0
	for _, err := range db.Rows(ctx, "select generate_series(1, 5)") {
		require.NoError(t, err)
		rows++
	}
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "delete from obs")
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))

	obs.mu.Lock()
	var ops []string
	for _, s := range obs.start {
		ops = append(ops, s.Op)
		assert.Equal(t, postgres.Kind, s.Component)
		assert.NotContains(t, s.Target, "@", "the target never holds credentials")
		assert.False(t, s.Time.IsZero())
	}
	assert.Equal(t, []string{"exec", "exec", "exec", "query", "rows", "begin", "exec", "rollback"}, ops)
	assert.Equal(t, "insert into obs values ($1), ($2)", obs.start[1].Statement, "the statement text, never its arguments")
	require.Len(t, obs.end, len(obs.start))
	assert.EqualValues(t, 2, obs.end[1].Rows)
	assert.NoError(t, obs.end[1].Err)
	assert.Equal(t, arsenal.AlreadyExists, obs.end[2].Code, "the failed insert ends with its code")
	assert.Error(t, obs.end[2].Err)
	assert.EqualValues(t, 2, obs.end[3].Rows)
	assert.EqualValues(t, 5, obs.end[4].Rows, "streamed rows are counted")
	assert.Equal(t, len(obs.end), obs.marked, "OpEnd runs under the context OpStart returned")
	for _, e := range obs.end {
		assert.Positive(t, e.Duration)
	}
	obs.mu.Unlock()

	assert.Positive(t, obs.connKinds()[arsenal.ConnConnect], "the pool's connections are reported")
	require.NoError(t, db.Close())
	assert.Positive(t, obs.connKinds()[arsenal.ConnDisconnect], "closing the pool reports its connections going")

	// A call on a closed DB still reaches the observer, with its code.
	_, err = db.Exec(ctx, "select 1")
	require.Error(t, err)
	obs.mu.Lock()
	last := obs.end[len(obs.end)-1]
	obs.mu.Unlock()
	assert.Equal(t, arsenal.FailedPrecondition, last.Code)
}

func TestADialErrorIsReportedAndLoggedWithoutTheSecret(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	port, err := testenv.FreePort()
	require.NoError(t, err)
	obs := &recorder{}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err = postgres.Open(ctx, postgres.Config{
		URL:      fmt.Sprintf("postgres://app:hunter2@127.0.0.1:%d/app?sslmode=disable", port),
		Password: security.NewSecret("s3cret-field"), ConnectTimeout: 2 * time.Second, Observer: obs, Logger: log})
	require.Error(t, err)
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(err))
	assert.Equal(t, 1, obs.connKinds()[arsenal.ConnDialError])
	out := buf.String()
	assert.Contains(t, out, "postgres: cannot connect")
	assert.Contains(t, out, `"level":"WARN"`)
	assert.Contains(t, out, fmt.Sprintf("127.0.0.1:%d/app", port))
	assert.NotContains(t, out, "hunter2")
	assert.NotContains(t, out, "s3cret-field")
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestSlowOperationsAreLoggedAtWarn(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	db := openDB(t, ctx, postgres.Config{URL: testenv.Postgres(t), Logger: log, SlowThreshold: 100 * time.Millisecond})
	_, err := db.Exec(ctx, "select 1")
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "a fast call logs nothing")
	_, err = db.Query(ctx, "select pg_sleep(0.2), $1::text", "secret-arg-value")
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "postgres: slow operation")
	assert.Contains(t, out, "op=query")
	assert.NotContains(t, out, "secret-arg-value", "arguments are never logged")
	assert.Equal(t, 1, strings.Count(out, "slow operation"))

	err = postgres.Config{URL: "postgres://x@127.0.0.1/x", SlowThreshold: -time.Second}.Validate()
	var ce *arsenal.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.Has("SlowThreshold"))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
