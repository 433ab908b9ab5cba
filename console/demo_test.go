package console_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

const xss = `<img src=x onerror=alert(1)>`

func TestRedisCommandsRunUnderTheDemoPrefixOnTheRealServer(t *testing.T) {
	f := newFixture(t, console.Options{})
	ctx := context.Background()
	code, body := f.post(t, "api/redis/set", map[string]string{"key": xss, "value": "v1"})
	require.Equal(t, http.StatusOK, code, body)
	got, err := f.redis.Get(ctx, console.DefaultDemoPrefix+xss)
	require.NoError(t, err)
	assert.Equal(t, "v1", got)
	assert.NotContains(t, body, "<img", "JSON escapes markup")

	code, body = f.post(t, "api/redis/hset", map[string]string{"key": "h", "field": "f", "value": "x"})
	require.Equal(t, http.StatusOK, code, body)
	hv, err := f.redis.HGet(ctx, console.DefaultDemoPrefix+"h", "f")
	require.NoError(t, err)
	assert.Equal(t, "x", hv)

	code, body = f.post(t, "api/redis/subscribe", map[string]string{"channel": "ch"})
	require.Equal(t, http.StatusOK, code, body)
	code, body = f.post(t, "api/redis/publish", map[string]string{"channel": "ch", "value": "hello"})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, "(integer) 1")
	require.Eventually(t, func() bool {
		_, st := f.get(t, "api/redis/state")
		return strings.Contains(st, `"payload":"hello"`)
	}, 5*time.Second, 20*time.Millisecond)

	_, st := f.get(t, "api/redis/state")
	s := decode[struct {
		Connected bool
		History   []struct{ Command string }
		Latency   struct{ Count int }
	}](t, st)
	assert.True(t, s.Connected)
	assert.Len(t, s.History, 4)
	assert.Equal(t, 4, s.Latency.Count)

	// Only the allowlisted commands run.
	code, body = f.post(t, "api/redis/flushall", map[string]string{})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "InvalidArgument")
	code, _ = f.post(t, "api/redis/set", map[string]string{"key": "k", "value": strings.Repeat("v", 5<<10)})
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = f.post(t, "api/redis/set", `{"key":"k","value":"v","extra":1}`)
	assert.Equal(t, http.StatusBadRequest, code, "unknown fields are refused")
}

func TestSQLiteRunsOnADeserializedScratchCopy(t *testing.T) {
	f := newFixture(t, console.Options{})
	code, body := f.post(t, "api/sqlite/run", map[string]any{"query": "users", "safeIntegers": true})
	require.Equal(t, http.StatusOK, code, body)
	v := decode[struct {
		Columns []struct {
			Name, DeclType string
			Types          []string
			Surprise       bool
		}
		RowsJSON string
		Rows     int
	}](t, body)
	assert.Equal(t, 3, v.Rows)
	assert.Contains(t, v.RowsJSON, `"big":"9007199254740993"`, "safeIntegers keeps 2^53+1 exact")
	// The storage classes shown are SQLite's own typeof().
	ref, err := sqlite.Open(context.Background(), sqlite.Config{})
	require.NoError(t, err)
	defer ref.Close()
	_, err = ref.Exec(context.Background(), sampleForTest)
	require.NoError(t, err)
	for _, col := range v.Columns {
		rows, err := ref.Values(context.Background(), `SELECT typeof(`+col.Name+`) FROM users ORDER BY id`)
		require.NoError(t, err)
		for i, r := range rows {
			assert.Equal(t, r[0], col.Types[i], "%s row %d", col.Name, i)
		}
		if col.Name == "joined" {
			assert.Equal(t, "DATETIME", col.DeclType)
			assert.True(t, col.Surprise, "'2020' in a DATETIME column is stored as an integer")
		}
		if col.Name == "name" {
			assert.False(t, col.Surprise)
		}
	}
	code, body = f.post(t, "api/sqlite/run", map[string]any{"query": "users"})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `\"big\":9007199254740993`, "without safeIntegers the digits are a JSON number")

	// readonly refuses the write; without it the write runs on the copy only.
	code, body = f.post(t, "api/sqlite/run", map[string]any{"query": "update", "readonly": true})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"code":"FailedPrecondition"`)
	code, body = f.post(t, "api/sqlite/run", map[string]any{"query": "update"})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `\"score\":10.5`)
	code, body = f.post(t, "api/sqlite/run", map[string]any{"query": "users"})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `\"score\":9.5`, "the scratch image is unchanged")

	// SQL from the page is off by default.
	code, body = f.post(t, "api/sqlite/run", map[string]any{"sql": "DROP TABLE users"})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "PermissionDenied")
}

const sampleForTest = `
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, joined DATETIME, score REAL, big INTEGER, avatar BLOB);
INSERT INTO users VALUES (1, 'Ada', '2020', 9.5, 9007199254740993, x'89504e47');
INSERT INTO users VALUES (2, '<img src=x onerror=alert(1)>', '2021-03-04 05:06:07', 7, 42, NULL);
INSERT INTO users VALUES (3, 'Linus', 1700000000, '12.25', -9007199254740993, 'not a blob');
`

func TestSQLFromThePageRunsReadOnlyWhenAllowed(t *testing.T) {
	f := newFixture(t, console.Options{AllowSQL: true})
	code, body := f.post(t, "api/sqlite/run", map[string]any{"sql": "SELECT count(*) AS n FROM users"})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `\"n\":3`)
	code, body = f.post(t, "api/sqlite/run", map[string]any{"sql": "DELETE FROM users RETURNING id", "readonly": false})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"code":"FailedPrecondition"`, body)
}

func TestS3UploadListDownloadPresignStayUnderThePrefix(t *testing.T) {
	f := newFixture(t, console.Options{MaxUpload: 1 << 20})
	ctx := context.Background()
	data := bytes.Repeat([]byte("arsenal "), 10000)
	req, err := http.NewRequest("POST", f.srv.URL+"/api/s3/upload?key=dir/a.bin&storageClass=STANDARD", bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	got, err := f.s3.GetBytes(ctx, "arsenal-console/dir/a.bin", nil)
	require.NoError(t, err)
	assert.Equal(t, data, got, "the object is in versitygw under the prefix")

	code, body := f.post(t, "api/s3/list", map[string]string{"delimiter": "/"})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"key":"dir/","isPrefix":true`)
	code, body = f.post(t, "api/s3/list", map[string]string{"prefix": "dir/"})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"key":"dir/a.bin"`)
	assert.Contains(t, body, `"size":80000`)

	st, dl := f.get(t, "api/s3/download?key=dir/a.bin")
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, string(data), dl)

	code, body = f.post(t, "api/s3/presign", map[string]string{"key": "dir/a.bin"})
	require.Equal(t, http.StatusOK, code, body)
	url := decode[struct{ URL string }](t, body).URL
	pr, err := http.Get(url)
	require.NoError(t, err)
	pb, _ := io.ReadAll(pr.Body)
	pr.Body.Close()
	assert.Equal(t, http.StatusOK, pr.StatusCode)
	assert.Equal(t, data, pb, "the presigned URL works without credentials")

	code, body = f.get(t, "api/s3/info?key=hello.txt")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"pathUrl":"`+f.s3Conf.Endpoint+"/"+f.s3Conf.Bucket+`/arsenal-console/hello.txt"`)
	assert.Contains(t, body, `"GLACIER"`)

	// Keys outside the prefix, unknown storage classes and PUT presigns
	// are refused.
	for _, k := range []string{"../x", "/abs", "a\\b"} {
		st, _ := f.get(t, "api/s3/download?key="+k)
		assert.Equal(t, http.StatusBadRequest, st, k)
	}
	code, _ = f.post(t, "api/s3/presign", map[string]string{"key": "a", "method": "PUT"})
	assert.Equal(t, http.StatusBadRequest, code)

	// An upload over MaxUpload is refused and leaves no object.
	big := bytes.Repeat([]byte("x"), 2<<20)
	// Chunked, so the size is found while streaming, not from Content-Length.
	req, _ = http.NewRequest("POST", f.srv.URL+"/api/s3/upload?key=big.bin", io.MultiReader(bytes.NewReader(big)))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	exists, err := f.s3.Exists(ctx, "arsenal-console/big.bin")
	require.NoError(t, err)
	assert.False(t, exists)
}

func TestWebSocketConnectNegotiatesWithTheEchoServer(t *testing.T) {
	f := newFixture(t, console.Options{})
	code, body := f.post(t, "api/websocket/connect", map[string]any{
		"subprotocols": []string{"chat.unknown", "arsenal.json.v2"}, "headers": [][2]string{{"X-Demo", xss}}, "compression": true, "messages": 5})
	require.Equal(t, http.StatusOK, code, body)
	v := decode[struct {
		Subprotocol, Extensions string
		RTTs                    []int64 `json:"rttsNs"`
		Ratio                   float64
		Log                     []struct{ Text string }
	}](t, body)
	assert.Equal(t, "arsenal.json.v2", v.Subprotocol)
	assert.Contains(t, v.Extensions, "permessage-deflate")
	assert.Len(t, v.RTTs, 5)
	assert.Greater(t, v.Ratio, 0.0)
	assert.Less(t, v.Ratio, 1.0, "similar JSON messages compress")
	require.NotEmpty(t, v.Log)
	hello := decode[struct{ HeadersSeen map[string]string }](t, v.Log[0].Text)
	assert.Equal(t, xss, hello.HeadersSeen["X-Demo"], "the echo server saw the header")

	code, body = f.post(t, "api/websocket/connect", map[string]any{"compression": false, "messages": 2})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"ratio":1.`)
	assert.Contains(t, body, `"subprotocol":""`)

	code, body = f.post(t, "api/websocket/connect", map[string]any{"url": "ws://203.0.113.9/"})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "PermissionDenied")
	code, _ = f.post(t, "api/websocket/connect", map[string]any{"headers": [][2]string{{"Bad Name", "x"}}})
	assert.Equal(t, http.StatusBadRequest, code)
}

func TestGeneratedCodeFollowsTheForm(t *testing.T) {
	f := newFixture(t, console.Options{})
	code, body := f.get(t, "api/config/redis")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"name":"DB"`)
	assert.NotContains(t, body, "Password", "credential fields are not in the form")
	assert.Contains(t, body, f.rdAddr, "the form starts from the live component")
	_, a := f.post(t, "api/codegen", map[string]any{"domain": "redis", "values": map[string]string{"DB": "0"}, "language": "go"})
	_, b := f.post(t, "api/codegen", map[string]any{"domain": "redis", "values": map[string]string{"DB": "7"}, "language": "go"})
	ga, gb := decode[struct{ Source string }](t, a), decode[struct{ Source string }](t, b)
	assert.NotEqual(t, ga.Source, gb.Source)
	assert.Contains(t, gb.Source, "DB:")
	_, ts := f.post(t, "api/codegen", map[string]any{"domain": "s3", "values": map[string]string{"StorageClass": "GLACIER"}, "language": "typescript", "framework": "bun", "complexity": "production"})
	assert.Contains(t, ts, "GLACIER")
	assert.Contains(t, ts, `"ok":true`)
	code, body = f.post(t, "api/codegen", map[string]any{"domain": "s3", "values": map[string]string{"StorageClass": "DIAMOND"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "InvalidArgument")
	code, _ = f.post(t, "api/codegen", map[string]any{"domain": "s3", "values": map[string]string{"SecretAccessKey": "x"}})
	assert.Equal(t, http.StatusBadRequest, code, "secret fields cannot be set from the page")
}

func TestPerformanceRunsAndCancels(t *testing.T) {
	f := newFixture(t, console.Options{})
	code, body := f.post(t, "api/perf/run", map[string]any{"component": "redis", "levels": []int{1, 2}, "durationMs": 200})
	require.Equal(t, http.StatusOK, code, body)
	var st string
	require.Eventually(t, func() bool { _, st = f.get(t, "api/perf/status"); return strings.Contains(st, `"running":false`) }, 20*time.Second, 50*time.Millisecond)
	v := decode[struct {
		Result struct {
			Levels []struct {
				Concurrency int
				Ops         uint64
				OpsPerSec   float64
			}
			Resources struct{ Samples []struct{ RSS uint64 } }
		}
		Error string
	}](t, st)
	require.Empty(t, v.Error)
	require.Len(t, v.Result.Levels, 2)
	assert.Positive(t, v.Result.Levels[1].Ops)
	assert.NotEmpty(t, v.Result.Resources.Samples)

	code, body = f.post(t, "api/perf/run", map[string]any{"component": "sqlite", "levels": []int{1}, "durationMs": 10000})
	require.Equal(t, http.StatusOK, code, body)
	code, _ = f.post(t, "api/perf/run", map[string]any{"component": "sqlite"})
	assert.Equal(t, http.StatusConflict, code, "one run at a time")
	start := time.Now()
	code, body = f.post(t, "api/perf/cancel", map[string]any{})
	require.Equal(t, http.StatusOK, code, body)
	require.Eventually(t, func() bool { _, st = f.get(t, "api/perf/status"); return strings.Contains(st, `"running":false`) }, 5*time.Second, 20*time.Millisecond)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, st, "Canceled")

	code, _ = f.post(t, "api/perf/run", map[string]any{"component": "redis", "scaling": true})
	assert.Equal(t, http.StatusForbidden, code, "scaling needs Options.AllowScaling")
	_, res := f.get(t, "api/perf/results")
	assert.Contains(t, res, `"domains":["sqlite"`)
	assert.Contains(t, res, `"Impls":["arsenal"`)
}

func TestNoSecretReachesAnyResponse(t *testing.T) {
	f := newFixture(t, console.Options{})
	var bodies []string
	for _, p := range []string{"", "app.js", "api/state", "api/config/sqlite", "api/config/redis", "api/config/s3", "api/config/websocket",
		"api/redis/state", "api/s3/info", "api/perf/status", "api/events?since=0"} {
		code, b := f.get(t, p)
		require.Equal(t, http.StatusOK, code, p)
		bodies = append(bodies, b)
	}
	for _, d := range []string{"sqlite", "redis", "s3", "websocket"} {
		for _, lang := range []string{"go", "typescript"} {
			_, b := f.post(t, "api/codegen", map[string]any{"domain": d, "language": lang, "complexity": "production"})
			bodies = append(bodies, b)
		}
	}
	_, b := f.post(t, "api/redis/get", map[string]string{"key": "k"})
	bodies = append(bodies, b)
	_, b = f.post(t, "api/s3/presign", map[string]string{"key": "k"})
	bodies = append(bodies, b)
	for _, body := range bodies {
		for _, s := range f.secrets {
			assert.NotContains(t, body, s)
		}
	}
	assert.Contains(t, bodies[2], `"kind":"s3"`)
}

func TestWebSocketDialsOnlyTheAllowedURLs(t *testing.T) {
	peer, err := websocket.NewServer(websocket.ServerConfig{Subprotocols: []string{"peer.v1"},
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) { _ = c.Send(typ, data) }})
	require.NoError(t, err)
	hs := httptest.NewServer(peer)
	defer hs.Close()
	defer peer.Close()
	allowed := "ws://demo:peer-pw-31337@" + strings.TrimPrefix(hs.URL, "http://") + "/"
	f := newFixture(t, console.Options{DialURLs: []string{allowed}})
	_, st := f.get(t, "api/state")
	assert.NotContains(t, st, "peer-pw-31337")
	redacted := decode[struct{ Options struct{ DialURLs []string } }](t, st).Options.DialURLs
	require.Len(t, redacted, 1)
	code, body := f.post(t, "api/websocket/connect", map[string]any{"url": redacted[0], "subprotocols": []string{"peer.v1"}, "messages": 3})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"subprotocol":"peer.v1"`)
	assert.NotContains(t, body, "peer-pw-31337")
	code, _ = f.post(t, "api/websocket/connect", map[string]any{"url": "ws://" + strings.TrimPrefix(hs.URL, "http://") + "/other"})
	assert.Equal(t, http.StatusForbidden, code)
}
