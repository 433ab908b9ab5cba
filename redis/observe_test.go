package redis_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

type ended struct {
	start arsenal.OpStart
	end   arsenal.OpEnd
}

// recorder is an arsenal.Observer and ConnObserver keeping what it saw.
type recorder struct {
	mu     sync.Mutex
	starts []arsenal.OpStart
	ends   []ended
	conns  []arsenal.ConnEvent
}

type recKey struct{}

func (r *recorder) OpStart(ctx context.Context, op arsenal.OpStart) context.Context {
	r.mu.Lock()
	r.starts = append(r.starts, op)
	r.mu.Unlock()
	return context.WithValue(ctx, recKey{}, op.Op)
}

func (r *recorder) OpEnd(ctx context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	if ctx.Value(recKey{}) != op.Op {
		panic("OpEnd did not get the context OpStart returned")
	}
	r.mu.Lock()
	r.ends = append(r.ends, ended{op, end})
	r.mu.Unlock()
}

func (r *recorder) ConnEvent(_ context.Context, ev arsenal.ConnEvent) {
	r.mu.Lock()
	r.conns = append(r.conns, ev)
	r.mu.Unlock()
}

func (r *recorder) endsOf(op string) []ended {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ended
	for _, e := range r.ends {
		if e.start.Op == op {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) sawConn(kind arsenal.ConnEventKind) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.conns {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for a slog handler used concurrently.
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

func TestObserverSeesEveryCallWithItsCode(t *testing.T) {
	rec := &recorder{}
	c, srv := open(t, func(cfg *redis.Config) { cfg.Observer = rec; cfg.DB = 3 })
	ctx := ctxT(t)
	p := prefix(t)
	require.NoError(t, c.Set(ctx, p+"k", "secret-value-1"))
	v, err := c.Get(ctx, p+"k")
	require.NoError(t, err)
	assert.Equal(t, "secret-value-1", v)
	_, err = c.LPush(ctx, p+"k", "x") // WRONGTYPE
	require.Error(t, err)
	require.Error(t, c.SetEx(ctx, p+"k", "v", 0)) // refused before I/O
	pl := c.Pipeline()
	pl.Incr(p + "n")
	require.NoError(t, pl.Exec(ctx))
	sub, err := c.Subscribe(ctx, func(redis.Message) {}, p+"ch")
	require.NoError(t, err)
	require.NoError(t, sub.Unsubscribe(ctx))
	require.NoError(t, c.Watch(ctx, func(tx *redis.Tx) error {
		return tx.Exec(ctx, func(pl *redis.Pipeline) error { pl.Incr(p + "n"); return nil })
	}, p+"n"))

	sets := rec.endsOf("set")
	require.Len(t, sets, 1)
	s := sets[0]
	assert.Equal(t, "redis", s.start.Component)
	assert.Equal(t, srv.Addr+"/3", s.start.Target)
	assert.Equal(t, "3", s.start.Namespace)
	assert.Equal(t, "SET", s.start.Statement)
	assert.Equal(t, p+"k", s.start.Resource)
	assert.False(t, s.start.Time.IsZero())
	assert.NoError(t, s.end.Err)
	assert.Equal(t, arsenal.OK, s.end.Code)
	assert.Positive(t, s.end.Duration)

	gets := rec.endsOf("get")
	require.Len(t, gets, 1)
	assert.Equal(t, "GET", gets[0].start.Statement)

	pushes := rec.endsOf("lpush")
	require.Len(t, pushes, 1)
	assert.Equal(t, arsenal.FailedPrecondition, pushes[0].end.Code)
	assert.Error(t, pushes[0].end.Err)

	refused := rec.endsOf("setex")
	require.Len(t, refused, 1)
	assert.Equal(t, arsenal.InvalidArgument, refused[0].end.Code)

	assert.Len(t, rec.endsOf("pipeline"), 1)
	assert.Len(t, rec.endsOf("subscribe"), 1)
	require.Len(t, rec.endsOf("watch"), 1)
	assert.Equal(t, "WATCH", rec.endsOf("watch")[0].start.Statement)
	assert.Len(t, rec.endsOf("tx"), 1)
	rec.mu.Lock()
	for _, st := range rec.starts {
		assert.NotContains(t, st.Resource+st.Statement+st.Target, "secret-value-1", "OpStart carries a value")
	}
	assert.Len(t, rec.ends, len(rec.starts), "an OpStart without its OpEnd")
	rec.mu.Unlock()
	assert.True(t, rec.sawConn(arsenal.ConnConnect))
}

func TestConnectionEventsAndLogsThroughAnOutage(t *testing.T) {
	const pw = "log-secret-pw-5"
	srv := startReal(t, "--requirepass", pw)
	rec := &recorder{}
	var logs syncBuffer
	c := openAt(t, srv, func(cfg *redis.Config) {
		cfg.Password = security.NewSecret(pw)
		cfg.Observer = rec
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.SlowThreshold = time.Nanosecond
	})
	ctx := ctxT(t)
	require.NoError(t, c.Set(ctx, "k", "v"))
	srv.Kill()
	require.Eventually(t, func() bool { return rec.sawConn(arsenal.ConnDisconnect) }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, srv.Restart())
	require.Eventually(t, func() bool {
		_ = c.Health(ctx)
		return rec.sawConn(arsenal.ConnReconnect)
	}, 10*time.Second, 50*time.Millisecond)
	out := logs.String()
	assert.Contains(t, out, `level=WARN msg="redis: disconnected"`)
	assert.Contains(t, out, `level=INFO msg="redis: reconnected"`)
	assert.Contains(t, out, `level=WARN msg="redis: slow call" op=set`)
	assert.Contains(t, out, srv.Addr)
	assert.NotContains(t, out, pw)
	rec.mu.Lock()
	for _, e := range rec.conns {
		assert.Equal(t, "redis", e.Component)
		assert.Equal(t, srv.Addr, e.Target)
		if e.Err != nil {
			assert.NotContains(t, e.Err.Error(), pw)
		}
	}
	rec.mu.Unlock()
}
