package websocket_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/websocket"
)

// recorder is an arsenal.Observer and ConnObserver that keeps every
// event.
type recorder struct {
	mu     sync.Mutex
	starts []arsenal.OpStart
	ends   []recEnd
	conns  []arsenal.ConnEvent
}

type recEnd struct {
	op  arsenal.OpStart
	end arsenal.OpEnd
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
	if got, _ := ctx.Value(recKey{}).(string); got != op.Op {
		panic("OpEnd did not get the context OpStart returned for " + op.Op)
	}
	r.ends = append(r.ends, recEnd{op, end})
}

func (r *recorder) ConnEvent(_ context.Context, ev arsenal.ConnEvent) {
	r.mu.Lock()
	r.conns = append(r.conns, ev)
	r.mu.Unlock()
}

// end returns the last OpEnd of op.
func (r *recorder) end(t *testing.T, op string) arsenal.OpEnd {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.ends) - 1; i >= 0; i-- {
		if r.ends[i].op.Op == op {
			return r.ends[i].end
		}
	}
	t.Fatalf("no OpEnd for %q (have %v)", op, r.ends)
	return arsenal.OpEnd{}
}

// all returns every OpEnd of op, in order.
func (r *recorder) all(op string) []arsenal.OpEnd {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []arsenal.OpEnd
	for _, e := range r.ends {
		if e.op.Op == op {
			out = append(out, e.end)
		}
	}
	return out
}

func (r *recorder) connKinds() []arsenal.ConnEventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []arsenal.ConnEventKind
	for _, e := range r.conns {
		out = append(out, e.Kind)
	}
	return out
}

// logBuffer is a slog handler target safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestObserverSeesEveryClientOperationWithItsCode(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	rec := &recorder{}
	ctx := ctxT(t, 10*time.Second)
	c, err := websocket.Dial(ctx, url+"?x=1", &websocket.Options{Observer: rec})
	require.NoError(t, err)
	require.NoError(t, c.WriteText(ctx, "hello"))
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello", string(data))
	require.NoError(t, c.Ping(ctx))
	require.NoError(t, c.Send(websocket.Binary, []byte("abc")))
	_, _, err = c.Read(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	err = c.WriteText(ctx, "after close")
	require.Error(t, err)

	assert.NoError(t, rec.end(t, "dial").Err)
	writes := rec.all("write")
	require.Len(t, writes, 2)
	assert.Equal(t, int64(5), writes[0].BytesOut)
	assert.NoError(t, writes[0].Err)
	assert.Equal(t, int64(3), rec.end(t, "read").BytesIn, "the last read got the 3-byte echo")
	assert.NoError(t, rec.end(t, "ping").Err)
	assert.Equal(t, int64(3), rec.end(t, "send").BytesOut)
	assert.NoError(t, rec.end(t, "close").Err)
	last := rec.end(t, "write")
	assert.Equal(t, arsenal.FailedPrecondition, last.Code, "a write after Close: %v", last.Err)
	assert.Error(t, last.Err)
	rec.mu.Lock()
	for _, st := range rec.starts {
		assert.Equal(t, websocket.Kind, st.Component)
		assert.NotEmpty(t, st.Target)
		assert.False(t, st.Time.IsZero())
	}
	assert.Equal(t, len(rec.starts), len(rec.ends), "every OpStart has its OpEnd")
	rec.mu.Unlock()
	assert.Eventually(t, func() bool {
		k := rec.connKinds()
		return len(k) == 2 && k[0] == arsenal.ConnConnect && k[1] == arsenal.ConnDisconnect
	}, 5*time.Second, 10*time.Millisecond, "connection events %v", rec.connKinds())
}

func TestObserverSeesDialErrorsAndLogsCarryNoSecret(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens: the dial is refused
	rec := &recorder{}
	logs := &logBuffer{}
	cfg, err := websocket.ParseURL("ws://alice:URLPASS@" + addr + "/ws?token=QUERYTOKEN&handshake_timeout=2s")
	require.NoError(t, err)
	cfg.Observer = rec
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err = websocket.Open(ctxT(t, 5*time.Second), cfg)
	require.Error(t, err)
	end := rec.end(t, "dial")
	assert.Equal(t, arsenal.Unavailable, end.Code)
	assert.Equal(t, []arsenal.ConnEventKind{arsenal.ConnDialError}, rec.connKinds())
	out := logs.String()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "dial failed")
	assert.Contains(t, out, addr)
	for _, secret := range []string{"URLPASS", "QUERYTOKEN"} {
		assert.NotContains(t, out, secret)
		rec.mu.Lock()
		for _, st := range rec.starts {
			assert.NotContains(t, st.Target, secret)
		}
		rec.mu.Unlock()
	}
}

func TestSlowOperationsAndDisconnectsAreLogged(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	logs := &logBuffer{}
	ctx := ctxT(t, 10*time.Second)
	c, err := websocket.Dial(ctx, url, &websocket.Options{
		Logger: slog.New(slog.NewTextHandler(logs, nil)), SlowThreshold: time.Nanosecond,
	})
	require.NoError(t, err)
	require.NoError(t, c.WriteText(ctx, "x"))
	require.NoError(t, c.Close())
	out := logs.String()
	assert.Contains(t, out, "level=WARN msg=\"websocket: slow operation\" op=write")
	assert.Contains(t, out, "level=INFO msg=\"websocket: connection ended\"")
	assert.Contains(t, out, "code=1000")
}

func TestServerObserverSeesUpgradesAndPublishes(t *testing.T) {
	rec := &recorder{}
	logs := &logBuffer{}
	joined := make(chan *websocket.Conn, 2)
	srv, url := startServer(t, websocket.ServerConfig{
		Observer: rec, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		OnOpen: func(c *websocket.Conn) {
			_ = c.Subscribe("room")
			joined <- c
		},
		OnMessage: echo,
	})
	ctx := ctxT(t, 10*time.Second)
	cl, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })
	<-joined
	n, err := srv.Publish("room", websocket.Text, []byte("hi all"))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	end := rec.end(t, "publish")
	assert.Equal(t, int64(1), end.Messages)
	assert.Equal(t, int64(6), end.BytesOut)
	rec.mu.Lock()
	var topics []string
	for _, st := range rec.starts {
		if st.Op == "publish" {
			topics = append(topics, st.Resource)
		}
	}
	rec.mu.Unlock()
	assert.Equal(t, []string{"room"}, topics)
	assert.NoError(t, rec.end(t, "upgrade").Err)
	assert.Contains(t, rec.connKinds(), arsenal.ConnConnect)

	// A refused upgrade is an OpEnd with its code and an Info log.
	_, err = websocket.Dial(ctx, url, &websocket.Options{Header: map[string][]string{"Origin": {"https://evil.example"}}})
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, rec.end(t, "upgrade").Code)
	assert.Contains(t, logs.String(), "upgrade refused")
	require.NoError(t, srv.Close())
	_, err = srv.Publish("room", websocket.Text, []byte("late"))
	require.Error(t, err)
	assert.Equal(t, arsenal.FailedPrecondition, rec.end(t, "publish").Code)
}

// Every call is counted in Stats, those that fail at once (on a closed
// connection, on bad input) included (issue 14 #2).
func TestEveryCallIsCountedEvenWhenItFailsEarly(t *testing.T) {
	srv, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	ctx := ctxT(t, 10*time.Second)
	c, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	require.NoError(t, c.WriteText(ctx, "ok"))
	_, _, err = c.Read(ctx)
	require.NoError(t, err)
	assert.Error(t, c.Write(ctx, websocket.MessageType(9), []byte("bad type")))
	assert.Error(t, c.Send(websocket.MessageType(9), []byte("bad type")))
	require.NoError(t, c.Close())
	for i := 0; i < 3; i++ {
		assert.Error(t, c.WriteText(ctx, "closed"))
		assert.Error(t, c.Send(websocket.Text, []byte("closed")))
		assert.Error(t, c.Ping(ctx))
		_, _, err := c.Read(ctx)
		assert.Error(t, err)
	}
	ops := c.Stats().Ops
	assert.Equal(t, uint64(5), ops["write"].Count, "write: 1 ok, 1 bad type, 3 closed")
	assert.Equal(t, uint64(4), ops["write"].Errors)
	assert.Equal(t, uint64(4), ops["send"].Count)
	assert.Equal(t, uint64(4), ops["send"].Errors)
	assert.Equal(t, uint64(3), ops["ping"].Count)
	assert.Equal(t, uint64(3), ops["ping"].Errors)
	assert.Equal(t, uint64(4), ops["read"].Count)
	assert.Equal(t, uint64(3), ops["read"].Errors)

	_, err = srv.Publish("t", websocket.MessageType(9), nil)
	assert.Error(t, err)
	require.NoError(t, srv.Close())
	_, err = srv.Publish("t", websocket.Text, []byte("x"))
	assert.Error(t, err)
	pub := srv.Stats().Ops["publish"]
	assert.Equal(t, uint64(2), pub.Count)
	assert.Equal(t, uint64(2), pub.Errors)
}

// A message dropped at the backpressure limit is logged at Warn.
func TestDroppedMessagesAreLogged(t *testing.T) {
	leave := make(chan struct{})
	t.Cleanup(func() { close(leave) })
	url := handshakeServer(t, func(nc net.Conn, key string) {
		_, _ = nc.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n\r\n"))
		<-leave // and never read
	})
	logs := &logBuffer{}
	c, err := websocket.Dial(ctxT(t, 10*time.Second), url, &websocket.Options{
		DisableCompression: true, PingInterval: -1, BackpressureLimit: 64 << 10, CloseTimeout: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	msg := make([]byte, 1<<20)
	var sendErr error
	for i := 0; i < 64 && sendErr == nil; i++ {
		sendErr = c.Send(websocket.Binary, msg)
	}
	require.Error(t, sendErr, "64 MiB sent to a peer that never reads without reaching the limit")
	assert.Equal(t, arsenal.ResourceExhausted, arsenal.CodeOf(sendErr))
	assert.Contains(t, logs.String(), "level=WARN msg=\"websocket: message dropped at the backpressure limit\"")
	assert.Equal(t, uint64(1), c.ConnStats().BackpressureDrops)
}

// A reconnect is a ConnReconnect event, a Warn per attempt and an Info
// once back, with the URL's secrets redacted.
func TestReconnectsAreObservedAndLogged(t *testing.T) {
	r := newRestartable(t, websocket.ServerConfig{OnMessage: echo})
	rec := &recorder{}
	logs := &logBuffer{}
	url := strings.Replace(r.url(), "ws://", "ws://u:URLPASS@", 1) + "?token=QUERYTOKEN"
	rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config: websocket.Config{URL: url, Options: websocket.Options{
			Observer: rec, Logger: slog.New(slog.NewTextHandler(logs, nil)), PingInterval: -1,
		}},
		Retry: websocket.RetryPolicy{InitialBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	require.NoError(t, rc.WaitConnected(ctxT(t, 5*time.Second)))
	r.stop()
	waitFor(t, "a reconnect attempt", 5*time.Second, func() bool { return strings.Contains(logs.String(), "reconnecting") })
	r.start()
	waitFor(t, "the reconnect", 10*time.Second, func() bool { return rc.Reconnects() >= 1 })
	waitFor(t, "the reconnect log", 5*time.Second, func() bool { return strings.Contains(logs.String(), "websocket: reconnected") })
	assert.Contains(t, rec.connKinds(), arsenal.ConnReconnect)
	out := logs.String()
	assert.Contains(t, out, "level=WARN msg=\"websocket: reconnecting\"")
	assert.NotContains(t, out, "URLPASS")
	assert.NotContains(t, out, "QUERYTOKEN")
}

func TestNegativeSlowThresholdIsInvalid(t *testing.T) {
	err := websocket.Config{URL: "ws://127.0.0.1/", Options: websocket.Options{SlowThreshold: -time.Second}}.Validate()
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "SlowThreshold")
	_, err = websocket.NewServer(websocket.ServerConfig{SlowThreshold: -time.Second})
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
}
