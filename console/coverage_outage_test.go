package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
)

type redisOpView struct {
	Command string
	Args    []string
	Result  string
	Error   string
	Code    string
}

type redisStateView struct {
	Connected  bool
	LastError  string
	LastCode   string
	LastAction string
	Subscribed []string
	History    []redisOpView
}

type stateComponents struct {
	Components []struct {
		Name, Kind, Error, Code string
		Healthy                 bool
	}
}

// TestRedisDemoRecordsCommandErrorsAndAnOutage runs the Redis tab against a
// real redis-server, makes a command fail with the server's error, then
// kills the server: the failed call is in the history with its code, and
// the state and health views report the lost connection.
func TestRedisDemoRecordsCommandErrorsAndAnOutage(t *testing.T) {
	rd := testenv.StartRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := redis.Open(ctx, redis.Config{Addrs: []string{rd.Addr}, Mode: redis.ModeStandalone,
		CommandTimeout: time.Second, ConnectTimeout: time.Second})
	require.NoError(t, err)
	hub := arsenal.NewHub()
	t.Cleanup(func() { _ = hub.Close() })
	require.NoError(t, hub.Add("cache", cl))
	c, err := console.New(hub, console.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(c)
	t.Cleanup(func() { srv.Close(); _ = c.Close() })
	f := &fixture{hub: hub, c: c, srv: srv}

	code, b := f.post(t, "api/redis/set", map[string]string{"key": "plain", "value": "v"})
	require.Equal(t, http.StatusOK, code, b)
	code, b = f.post(t, "api/redis/hset", map[string]string{"key": "plain", "field": "f", "value": "v"})
	require.Equal(t, http.StatusOK, code, "a failed command is still a recorded operation")
	op := decode[redisOpView](t, b)
	assert.Equal(t, "HSET", op.Command)
	assert.Contains(t, op.Error, "WRONGTYPE")
	assert.Empty(t, op.Result)
	assert.Equal(t, "FailedPrecondition", op.Code, "WRONGTYPE is the data's state, not the caller's input")

	code, b = f.post(t, "api/redis/hgetall", map[string]string{"key": "nohash"})
	require.Equal(t, http.StatusOK, code, b)
	assert.Empty(t, decode[redisOpView](t, b).Error, "HGETALL of a missing key is an empty hash")

	// Subscribing again keeps the one subscription.
	for range 2 {
		code, b = f.post(t, "api/redis/subscribe", map[string]string{"channel": "news"})
		require.Equal(t, http.StatusOK, code, b)
		assert.Equal(t, "subscribed", decode[redisOpView](t, b).Result)
	}
	_, b = f.get(t, "api/redis/state")
	st := decode[redisStateView](t, b)
	assert.True(t, st.Connected)
	assert.Equal(t, []string{"arsenal-console:news"}, st.Subscribed)
	require.Len(t, st.History, 5)
	assert.Equal(t, []string{"arsenal-console:plain", "f", "v"}, st.History[1].Args)

	code, b = f.post(t, "api/redis/flushall", map[string]string{})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, b, "not an allowed command")
	code, b = f.post(t, "api/redis/get", map[string]string{"key": string(make([]byte, 300))})
	assert.Equal(t, http.StatusBadRequest, code, b)

	rd.Kill()
	start := time.Now()
	code, b = f.post(t, "api/redis/get", map[string]string{"key": "plain"})
	require.Equal(t, http.StatusOK, code, b)
	op = decode[redisOpView](t, b)
	assert.NotEmpty(t, op.Error, "a GET with the server gone fails")
	assert.Contains(t, []string{"Unavailable", "DeadlineExceeded"}, op.Code, op.Error)
	assert.Less(t, time.Since(start), 15*time.Second, "bounded by the command timeout, not a hang")

	require.Eventually(t, func() bool {
		_, b = f.get(t, "api/redis/state")
		st = decode[redisStateView](t, b)
		return !st.Connected && st.LastError != ""
	}, 20*time.Second, 100*time.Millisecond, "the state shows the lost connection: %s", b)
	assert.NotEmpty(t, st.LastCode)
	assert.NotEmpty(t, st.LastAction)

	_, b = f.get(t, "api/state")
	comps := decode[stateComponents](t, b).Components
	require.Len(t, comps, 1)
	assert.Equal(t, "cache", comps[0].Name)
	assert.False(t, comps[0].Healthy)
	assert.NotEmpty(t, comps[0].Error)
	assert.NotEmpty(t, comps[0].Code)
}

// TestTutorialsNeedTheirComponent checks that a tutorial whose component
// the hub lacks says so with FailedPrecondition, and that bad tutorial
// requests are refused with their codes.
func TestTutorialsNeedTheirComponent(t *testing.T) {
	hub := arsenal.NewHub()
	t.Cleanup(func() { _ = hub.Close() })
	c, err := console.New(hub, console.Options{AllowTutorialSolutions: true})
	require.NoError(t, err)
	srv := httptest.NewServer(c)
	t.Cleanup(func() { srv.Close(); _ = c.Close() })
	f := &fixture{hub: hub, c: c, srv: srv}

	for _, name := range []string{"redis", "s3"} {
		for _, action := range []string{"check", "apply", "reset"} {
			code, b := f.post(t, "api/tutorials/"+name+"/"+action, map[string]int{"step": 1})
			assert.Equal(t, http.StatusConflict, code, "%s %s: %s", name, action, b)
			e := decode[apiErr](t, b)
			assert.Equal(t, "FailedPrecondition", e.Code, "%s %s", name, action)
			assert.Contains(t, e.Error, "the hub has no "+name+" component", "%s %s", name, action)
		}
	}

	code, b := f.post(t, "api/tutorials/sqlite/apply", "{")
	assert.Equal(t, http.StatusBadRequest, code, b)
	code, b = f.post(t, "api/tutorials/sqlite/check", "{")
	assert.Equal(t, http.StatusBadRequest, code, b)
	code, b = f.post(t, "api/tutorials/sqlite/apply", map[string]int{"step": 99})
	assert.Equal(t, http.StatusBadRequest, code, b)
	assert.Contains(t, decode[apiErr](t, b).Error, "not 99")
	for _, action := range []string{"apply", "reset"} {
		code, b = f.post(t, "api/tutorials/nosuch/"+action, map[string]int{"step": 1})
		assert.Equal(t, http.StatusNotFound, code, "%s: %s", action, b)
		assert.Equal(t, "NotFound", decode[apiErr](t, b).Code)
	}

	// The SQLite tutorial needs no hub component: its first solution runs on
	// a scratch database and then checks as done.
	code, b = f.post(t, "api/tutorials/sqlite/apply", map[string]int{"step": 1})
	require.Equal(t, http.StatusOK, code, b)
	code, b = f.post(t, "api/tutorials/sqlite/check", map[string]int{"step": 1})
	require.Equal(t, http.StatusOK, code, b)
	assert.Contains(t, b, `"done":true`)
}
