package websocket_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/websocket"
)

// An Upgrade hook's coded error becomes the matching HTTP status, which the
// dialling client sees in its HandshakeError; its headers are sent along.
func TestUpgradeHookErrorsMapToHTTPStatuses(t *testing.T) {
	codes := map[string]arsenal.Code{}
	_, url := startServer(t, websocket.ServerConfig{
		OnMessage: echo,
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			code, ok := codes[r.URL.Query().Get("c")]
			if !ok {
				return nil, nil, nil
			}
			return nil, http.Header{"X-Refused": {"yes"}}, arsenal.Errorf(code, "test", "upgrade", "refused")
		},
	})
	tests := []struct {
		name   string
		code   arsenal.Code
		status int
	}{
		{"unauthenticated", arsenal.Unauthenticated, http.StatusUnauthorized},
		{"denied", arsenal.PermissionDenied, http.StatusForbidden},
		{"notfound", arsenal.NotFound, http.StatusNotFound},
		{"invalid", arsenal.InvalidArgument, http.StatusBadRequest},
		{"exhausted", arsenal.ResourceExhausted, http.StatusTooManyRequests},
		{"unavailable", arsenal.Unavailable, http.StatusServiceUnavailable},
		{"internal", arsenal.Internal, http.StatusInternalServerError},
	}
	for _, tc := range tests {
		codes[tc.name] = tc.code
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := websocket.Dial(ctxT(t, 10*time.Second), url+"/?c="+tc.name, nil)
			if c != nil {
				_ = c.Close()
			}
			require.Error(t, err)
			var he *websocket.HandshakeError
			require.True(t, errors.As(err, &he), "got %T %v", err, err)
			assert.Equal(t, tc.status, he.StatusCode)
			assert.Equal(t, "yes", he.Header.Get("X-Refused"))
		})
	}
	t.Run("no error upgrades", func(t *testing.T) {
		c, err := websocket.Dial(ctxT(t, 10*time.Second), url+"/?c=none", nil)
		require.NoError(t, err)
		_ = c.Close()
	})
}

func TestConnAccessorsDescribeBothEnds(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	ctx := ctxT(t, 10*time.Second)
	c, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer c.Close()

	require.NotNil(t, c.LocalAddr())
	require.NotNil(t, c.RemoteAddr())
	assert.Contains(t, url, c.RemoteAddr().String())
	assert.NotEqual(t, c.LocalAddr().String(), c.RemoteAddr().String())

	assert.Nil(t, c.Data())
	c.SetData(map[string]int{"n": 1})
	assert.Equal(t, map[string]int{"n": 1}, c.Data())

	assert.Equal(t, websocket.Kind, c.Kind())
	assert.Equal(t, "websocket "+url, c.Describe())
	assert.Equal(t, "websocket.Conn("+url+")", c.String())
	assert.Equal(t, c.String(), fmt.Sprintf("%#v", c))
}

func TestMessageTypeAndPolicyNames(t *testing.T) {
	assert.Equal(t, "text", websocket.Text.String())
	assert.Equal(t, "binary", websocket.Binary.String())
	assert.Equal(t, "MessageType(7)", websocket.MessageType(7).String())
	assert.Equal(t, "drop", websocket.BackpressureDrop.String())
	assert.Equal(t, "close", websocket.BackpressureClose.String())
}

func TestServerHealthKindAndRules(t *testing.T) {
	srv, err := websocket.NewServer(websocket.ServerConfig{OnMessage: echo})
	require.NoError(t, err)
	assert.Equal(t, websocket.Kind, srv.Kind())
	assert.Equal(t, "websocket.Server", srv.String())
	assert.Equal(t, "websocket.Server", fmt.Sprintf("%#v", srv))
	assert.Equal(t, websocket.DegradationRules(), srv.ServerStats().DegradationRules())

	require.NoError(t, srv.Health(context.Background()))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	err = srv.Health(cancelled)
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.Canceled), "got %v", err)

	require.NoError(t, srv.Close())
	err = srv.Health(context.Background())
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "got %v", err)
	assert.True(t, errors.Is(err, arsenal.ErrClosed), "got %v", err)
}

func TestConnStatsIsARuleSource(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	c, err := websocket.Dial(ctxT(t, 10*time.Second), url, nil)
	require.NoError(t, err)
	defer c.Close()
	rules := c.ConnStats().DegradationRules()
	assert.Equal(t, websocket.DegradationRules(), rules)
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
	}
	assert.Contains(t, names, "websocket backpressure drops")
	assert.Contains(t, names, "websocket pong delay")
}

// Writer and Reader refuse bad input, cancelled contexts and closed
// connections with coded errors.
func TestStreamingWriterAndReaderErrors(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	ctx := ctxT(t, 10*time.Second)
	c, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)

	_, err = c.Writer(ctx, websocket.MessageType(9))
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "got %v", err)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Writer(cancelled, websocket.Text)
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.Canceled), "got %v", err)
	_, _, err = c.Reader(cancelled)
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.Canceled), "got %v", err)

	// After the failed attempts the connection still works.
	w, err := c.Writer(ctx, websocket.Text)
	require.NoError(t, err)
	_, err = w.Write([]byte("still "))
	require.NoError(t, err)
	_, err = w.Write([]byte("open"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	typ, data, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, websocket.Text, typ)
	assert.Equal(t, "still open", string(data))

	require.NoError(t, c.Close())
	_, err = c.Writer(ctx, websocket.Text)
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "got %v", err)
	assert.True(t, errors.Is(err, arsenal.ErrClosed), "got %v", err)
}

func TestReconnectingSurfaceHidesThePassword(t *testing.T) {
	_, url := startServer(t, websocket.ServerConfig{OnMessage: echo})
	withPass := "ws://user:hunter2secret@" + url[len("ws://"):]
	opened := make(chan struct{}, 4)
	r, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config: websocket.Config{URL: withPass},
		OnOpen: func(*websocket.Conn, bool) { opened <- struct{}{} },
	})
	require.NoError(t, err)
	defer r.Close()
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("never connected")
	}
	assert.Equal(t, websocket.Kind, r.Kind())
	assert.NotContains(t, r.String(), "hunter2secret")
	assert.Contains(t, r.String(), "websocket.Reconnecting(")
	assert.Equal(t, r.String(), fmt.Sprintf("%#v", r))
	require.NoError(t, r.Health(ctxT(t, 10*time.Second)))

	ctx := ctxT(t, 10*time.Second)
	require.NoError(t, r.Send(ctx, websocket.Text, []byte("hi")))
	st := r.Stats()
	assert.Equal(t, websocket.Kind, st.Kind)
	assert.True(t, st.Connected)
	assert.NotContains(t, st.Target, "hunter2secret")
	rs, ok := st.Detail.(websocket.ReconnectingStats)
	require.True(t, ok, "detail %T", st.Detail)
	assert.True(t, rs.Connected)
	assert.Equal(t, uint64(1), rs.Connects)
	var names []string
	for _, rule := range rs.DegradationRules() {
		names = append(names, rule.Name)
	}
	assert.Contains(t, names, "websocket reconnects")
	assert.Contains(t, names, "websocket backpressure drops")

	require.NoError(t, r.Close())
	err = r.Health(ctx)
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "got %v", err)
}

// ReconnectConfig.Validate reports the embedded Config's problems by field,
// next to its own.
func TestReconnectConfigValidateCarriesTheConfigFields(t *testing.T) {
	_, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config:     websocket.Config{URL: "http://not-a-websocket"},
		QueueLimit: -1,
	})
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "got %v", err)
	var ce *arsenal.ConfigError
	require.True(t, errors.As(err, &ce), "got %T %v", err, err)
	var fields []string
	for _, f := range ce.Fields {
		fields = append(fields, f.Field)
	}
	assert.Contains(t, fields, "URL")
	assert.Contains(t, fields, "QueueLimit")
}

func TestOptionsStringAndGoStringAreRedacted(t *testing.T) {
	o := websocket.Options{Header: http.Header{"Authorization": {"Bearer topsecret-token"}}}
	for _, s := range []string{o.String(), o.GoString()} {
		assert.NotContains(t, s, "topsecret-token")
		assert.Contains(t, s, "Authorization")
	}
	assert.Contains(t, o.GoString(), "websocket.Options")
	rc := websocket.ReconnectConfig{Config: websocket.Config{URL: "ws://u:pw-secret-1@127.0.0.1:1/", Options: o}}
	for _, s := range []string{rc.String(), rc.GoString()} {
		assert.NotContains(t, s, "topsecret-token")
		assert.NotContains(t, s, "pw-secret-1")
	}
	assert.Contains(t, rc.GoString(), "websocket.ReconnectConfig")
}
