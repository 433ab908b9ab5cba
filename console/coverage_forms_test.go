package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/websocket"
)

func TestCodegenFormParsesDurationsIntegersAndHeaders(t *testing.T) {
	f := newFixture(t, console.Options{})
	code, b := f.get(t, "api/config/mongodb")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "NotFound", decode[apiErr](t, b).Code)
	assert.Contains(t, b, `no domain \"mongodb\"`)

	code, b = f.get(t, "api/config/redis")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, b, `"name":"ConnectTimeout"`)

	_, b = f.post(t, "api/codegen", map[string]any{"domain": "redis", "values": map[string]string{"ConnectTimeout": "2s", "DB": "3"}, "language": "go"})
	src := decode[struct {
		Source string
		OK     bool
	}](t, b)
	require.True(t, src.OK, b)
	assert.Contains(t, src.Source, "ConnectTimeout: 2 * time.Second")
	assert.Contains(t, src.Source, "DB:")

	// Empty values mean the zero value (the documented default).
	_, b = f.post(t, "api/codegen", map[string]any{"domain": "redis", "values": map[string]string{"ConnectTimeout": "", "DB": ""}, "language": "go"})
	src = decode[struct {
		Source string
		OK     bool
	}](t, b)
	require.True(t, src.OK, b)
	assert.NotContains(t, src.Source, "ConnectTimeout:")

	for name, values := range map[string]map[string]string{
		"bad duration":      {"ConnectTimeout": "soon"},
		"not an integer":    {"DB": "three"},
		"integer too large": {"DB": "99999999999999999999"},
		"no such field":     {"Nope": "1"},
	} {
		code, b := f.post(t, "api/codegen", map[string]any{"domain": "redis", "values": values})
		assert.Equal(t, http.StatusBadRequest, code, name)
		assert.Equal(t, "InvalidArgument", decode[apiErr](t, b).Code, name)
	}
	code, _ = f.post(t, "api/codegen", "{")
	assert.Equal(t, http.StatusBadRequest, code, "a body that is not JSON")

	// WebSocket handshake headers: empty rows are skipped, at most 32.
	_, b = f.post(t, "api/codegen", map[string]any{"domain": "websocket", "language": "go", "features": []string{"headers"},
		"headers": [][2]string{{"", "ignored"}, {"X-Trace", "abc123"}}})
	src = decode[struct {
		Source string
		OK     bool
	}](t, b)
	require.True(t, src.OK, b)
	assert.Contains(t, src.Source, "X-Trace")
	assert.Contains(t, src.Source, "abc123")
	assert.NotContains(t, src.Source, "ignored")
	many := make([][2]string, 33)
	for i := range many {
		many[i] = [2]string{"X-H", "v"}
	}
	code, b = f.post(t, "api/codegen", map[string]any{"domain": "websocket", "headers": many})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, decode[apiErr](t, b).Error, "at most 32 headers")
}

func TestSQLiteAndWebSocketDemosRefuseBadRequests(t *testing.T) {
	f := newFixture(t, console.Options{})
	code, b := f.post(t, "api/sqlite/run", "not json")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "InvalidArgument", decode[apiErr](t, b).Code)

	for name, body := range map[string]any{
		"not JSON":           "[",
		"too many messages":  map[string]any{"messages": 101},
		"too many protocols": map[string]any{"subprotocols": strings.Split(strings.Repeat("p,", 17)[:33], ",")},
	} {
		code, b := f.post(t, "api/websocket/connect", body)
		assert.Equal(t, http.StatusBadRequest, code, name)
		assert.Equal(t, "InvalidArgument", decode[apiErr](t, b).Code, name)
	}
}

func TestWebSocketEchoNeverShowsTheAuthorizationHeader(t *testing.T) {
	f := newFixture(t, console.Options{})
	const token = "Bearer tok-never-shown-8812"
	code, b := f.post(t, "api/websocket/connect", map[string]any{"headers": [][2]string{{"Authorization", token}, {"X-Demo", "seen"}}, "messages": 1})
	require.Equal(t, http.StatusOK, code, b)
	assert.NotContains(t, b, "tok-never-shown-8812")
	v := decode[struct{ Log []struct{ Text string } }](t, b)
	require.NotEmpty(t, v.Log)
	hello := decode[struct{ HeadersSeen map[string]string }](t, v.Log[0].Text)
	assert.Equal(t, "(27 bytes, not shown)", hello.HeadersSeen["Authorization"])
	assert.Equal(t, "seen", hello.HeadersSeen["X-Demo"])
}

func TestWebSocketPeerThatHangsUpIsAnErrorNotAHang(t *testing.T) {
	peer, err := websocket.NewServer(websocket.ServerConfig{
		OnOpen: func(c *websocket.Conn) { _ = c.Close() },
	})
	require.NoError(t, err)
	hs := httptest.NewServer(peer)
	t.Cleanup(func() { hs.Close(); peer.Close() })
	u := "ws://" + strings.TrimPrefix(hs.URL, "http://") + "/"
	f := newFixture(t, console.Options{DialURLs: []string{u}})
	code, b := f.post(t, "api/websocket/connect", map[string]any{"url": u, "messages": 3})
	assert.Equal(t, http.StatusServiceUnavailable, code, b)
	e := decode[apiErr](t, b)
	assert.Equal(t, "Unavailable", e.Code)
	assert.Contains(t, e.Error, "closed by peer")
}
