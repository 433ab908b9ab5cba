package s3_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	starts []arsenal.OpStart
	ends   []arsenal.OpEnd
}

type recKey struct{}

func (r *recorder) OpStart(ctx context.Context, op arsenal.OpStart) context.Context {
	r.mu.Lock()
	r.starts = append(r.starts, op)
	r.mu.Unlock()
	return context.WithValue(ctx, recKey{}, op.Op)
}

func (r *recorder) OpEnd(ctx context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Value(recKey{}) != op.Op {
		panic("OpEnd did not get the context OpStart returned")
	}
	r.ends = append(r.ends, end)
}

func TestAnObserverSeesEveryOperation(t *testing.T) {
	rec := &recorder{}
	logs := &capture{}
	c, _ := newClient(t, func(c *s3.Config) {
		c.Observer = rec
		c.Logger = slog.New(logs)
		c.SlowThreshold = time.Nanosecond // every call is "slow"
	})
	ctx := ctxT(t)
	_, err := c.Put(ctx, "dir/k", []byte("hello"), nil)
	require.NoError(t, err)
	b, err := c.GetBytes(ctx, "dir/k", nil)
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))
	_, err = c.Stat(ctx, "missing")
	require.Equal(t, arsenal.NotFound, arsenal.CodeOf(err))
	_, err = c.Put(ctx, "../escape", []byte("x"), nil) // refused before any request, still observed
	require.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	for _, err := range c.List(ctx, &s3.ListOptions{Prefix: "dir/"}) {
		require.NoError(t, err)
	}
	require.NoError(t, c.Delete(ctx, "dir/k"))
	w, err := c.NewWriter(ctx, "dir/streamed", nil)
	require.NoError(t, err)
	_, err = w.Write([]byte("streamed"))
	require.NoError(t, err)
	require.NoError(t, w.Close())

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.starts, 7)
	require.Len(t, rec.ends, 7)
	wantOps := []string{"put", "get", "stat", "put", "list", "delete", "writer_close"}
	wantRes := []string{"dir/k", "dir/k", "missing", "../escape", "dir/", "dir/k", "dir/streamed"}
	wantCodes := []arsenal.Code{arsenal.OK, arsenal.OK, arsenal.NotFound, arsenal.InvalidArgument, arsenal.OK, arsenal.OK, arsenal.OK}
	for i, st := range rec.starts {
		assert.Equal(t, "s3", st.Component)
		assert.Equal(t, wantOps[i], st.Op)
		assert.Equal(t, wantRes[i], st.Resource, st.Op)
		assert.Equal(t, c.Bucket(), st.Namespace)
		assert.Contains(t, st.Target, c.Bucket())
		assert.False(t, st.Time.IsZero())
		end := rec.ends[i]
		assert.Equal(t, wantCodes[i], end.Code, "%s: %v", st.Op, end.Err)
		assert.Equal(t, wantCodes[i] != arsenal.OK, end.Err != nil, st.Op)
		assert.Positive(t, end.Duration, st.Op)
	}
	assert.EqualValues(t, 5, rec.ends[0].BytesOut, "put's bytes sent")
	assert.EqualValues(t, 5, rec.ends[1].BytesIn, "get's bytes received")
	assert.EqualValues(t, 8, rec.ends[6].BytesOut, "the writer's bytes sent")

	all := logs.all()
	assert.Contains(t, all, "WARN s3: slow operation op=put")
	assert.Contains(t, all, "op=stat")
	assert.Contains(t, all, "code=NotFound")
	assert.NotContains(t, all, c.Config().SecretAccessKey.Reveal())
}

// Every call is counted in Stats, also those that fail before any
// request: on a closed client, or on validation.
func TestStatsCountCallsThatFailEarly(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	_, err := c.Put(ctx, "", []byte("x"), nil)
	require.Error(t, err)
	_, err = c.GetBytes(ctx, "a/../b", nil)
	require.Error(t, err)
	_, err = c.ListPage(ctx, &s3.ListOptions{MaxKeys: -1})
	require.Error(t, err)
	require.NoError(t, c.Close())
	_, err = c.Stat(ctx, "k")
	require.ErrorIs(t, err, arsenal.ErrClosed)
	require.Error(t, c.Delete(ctx, "k"))
	require.Error(t, c.Health(ctx))
	for _, err := range c.List(ctx, nil) {
		require.Error(t, err)
	}
	require.Error(t, c.DeleteMany(ctx, []string{"a"}))
	_, err = c.Presign(ctx, "k", nil)
	require.Error(t, err)
	s := c.Stats()
	for op, n := range map[string]uint64{"put": 1, "get": 1, "list": 2, "stat": 1, "delete": 1, "health": 1, "delete_many": 1, "presign": 1} {
		assert.Equal(t, n, s.Ops[op].Count, "%s calls", op)
		assert.Equal(t, n, s.Ops[op].Errors, "%s errors", op)
	}
	var total uint64
	for _, o := range s.Ops {
		total += o.Errors
	}
	assert.EqualValues(t, 9, total, "errors in all: %v", strings.Join(s.OpNames(), ","))
}

type connRecorder struct {
	recorder
	events []arsenal.ConnEvent
}

func (r *connRecorder) ConnEvent(_ context.Context, ev arsenal.ConnEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

// The store going away and coming back is a disconnect and a reconnect
// event, and a warning and a note in the log.
func TestAnObserverSeesTheStoreGoAndComeBack(t *testing.T) {
	needsRealS3(t, "cannot be killed and restarted")
	srv := testenv.StartS3(t)
	rec := &connRecorder{}
	logs := &capture{}
	c := open(t, s3.Config{Bucket: srv.NewBucket(t), Endpoint: srv.Endpoint, Region: srv.Region, AccessKeyID: srv.AccessKey,
		SecretAccessKey: security.NewSecret(srv.SecretKey), MaxRetries: -1, Observer: rec, Logger: slog.New(logs)})
	ctx := ctxT(t)
	_, err := c.Put(ctx, "k", []byte("x"), nil)
	require.NoError(t, err)
	srv.Kill()
	_, err = c.Put(ctx, "k", []byte("x"), nil)
	require.Equal(t, arsenal.Unavailable, arsenal.CodeOf(err), "%v", err)
	require.NoError(t, srv.Restart())
	_, err = c.Put(ctx, "k", []byte("x"), nil)
	require.NoError(t, err)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.events, 2)
	assert.Equal(t, arsenal.ConnDisconnect, rec.events[0].Kind)
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(rec.events[0].Err))
	assert.Equal(t, arsenal.ConnReconnect, rec.events[1].Kind)
	for _, ev := range rec.events {
		assert.Equal(t, "s3", ev.Component)
		assert.Contains(t, ev.Target, srv.Addr)
	}
	all := logs.all()
	assert.Contains(t, all, "WARN s3: store unreachable")
	assert.Contains(t, all, "INFO s3: store reachable again")
	assert.NotContains(t, all, srv.SecretKey)
}

// An upload that does not complete is aborted, and the operator told.
func TestAnAbortedUploadIsAWarning(t *testing.T) {
	logs := &capture{}
	c, _ := newClient(t, func(c *s3.Config) { c.Logger = slog.New(logs); c.PartSize = s3.MinPartSize })
	w, err := c.NewWriter(ctxT(t), "big/aborted.bin", nil)
	require.NoError(t, err)
	_, err = w.Write(make([]byte, s3.MinPartSize+1)) // one part sent: a multipart upload exists
	require.NoError(t, err)
	require.NoError(t, w.CloseWithError(errors.New("the source broke")))
	require.Error(t, w.Close(), "Close after CloseWithError returns the cause")
	assert.Contains(t, logs.all(), "WARN s3: multipart upload did not complete; aborted it, no parts left key=big/aborted.bin")
	assert.NotContains(t, logs.all(), c.Config().SecretAccessKey.Reveal())
}
