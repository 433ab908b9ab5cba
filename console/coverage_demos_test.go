package console_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/console"
)

// apiErr is the body of an error response.
type apiErr struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// perfStatus is the subset of api/perf/status the tests read.
type perfStatus struct {
	Running   bool
	Component string
	Result    *struct {
		Levels []struct {
			Concurrency int
			Ops         uint64
			Errors      uint64
		}
	}
	Error string
	Code  string
}

// runPerf starts a run and waits for it to end, returning its status.
func (f *fixture) runPerf(t *testing.T, body map[string]any) perfStatus {
	t.Helper()
	code, b := f.post(t, "api/perf/run", body)
	require.Equal(t, http.StatusOK, code, b)
	var st perfStatus
	require.Eventually(t, func() bool {
		_, s := f.get(t, "api/perf/status")
		st = decode[perfStatus](t, s)
		return !st.Running
	}, 30*time.Second, 50*time.Millisecond)
	return st
}

// upload posts data as an upload to the S3 demo.
func (f *fixture) upload(t *testing.T, query string, data []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/api/s3/upload?"+query, bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b.String()
}

func TestPerformanceMeasuresTheS3AndWebSocketWorkloads(t *testing.T) {
	f := newFixture(t, console.Options{})
	for _, comp := range []string{"s3", "websocket"} {
		st := f.runPerf(t, map[string]any{"component": comp, "levels": []int{1, 2}, "durationMs": 200})
		require.Empty(t, st.Error, comp)
		assert.Equal(t, comp, st.Component)
		require.NotNil(t, st.Result, comp)
		require.Len(t, st.Result.Levels, 2, comp)
		for _, l := range st.Result.Levels {
			assert.Positive(t, l.Ops, "%s at %d callers", comp, l.Concurrency)
			assert.Zero(t, l.Errors, "%s at %d callers", comp, l.Concurrency)
		}
	}
	// The S3 workload's object is under the demo prefix.
	exists, err := f.s3.Exists(t.Context(), "arsenal-console/bench.txt")
	require.NoError(t, err)
	assert.True(t, exists)

	st := f.runPerf(t, map[string]any{"component": "mongodb", "levels": []int{1}, "durationMs": 100})
	assert.Equal(t, "InvalidArgument", st.Code)
	assert.Contains(t, st.Error, `no workload for "mongodb"`)
	assert.Nil(t, st.Result)
}

func TestPerformanceRefusesBadLevelsAndBodies(t *testing.T) {
	f := newFixture(t, console.Options{})
	for name, body := range map[string]any{
		"zero callers":   map[string]any{"component": "redis", "levels": []int{0}},
		"too many":       map[string]any{"component": "redis", "levels": []int{257}},
		"nine levels":    map[string]any{"component": "redis", "levels": []int{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		"not JSON":       "{levels",
		"unknown fields": `{"component":"redis","levelz":[1]}`,
	} {
		code, b := f.post(t, "api/perf/run", body)
		assert.Equal(t, http.StatusBadRequest, code, name)
		assert.Equal(t, "InvalidArgument", decode[apiErr](t, b).Code, name)
	}
	_, st := f.get(t, "api/perf/status")
	assert.Contains(t, st, `"running":false`, "a refused run never starts")
	code, b := f.post(t, "api/perf/cancel", map[string]any{})
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"cancelled":false}`, b, "nothing to cancel")
}

func TestDemosOnAHubWithoutTheirComponentAreFailedPrecondition(t *testing.T) {
	hub := arsenal.NewHub()
	t.Cleanup(func() { _ = hub.Close() })
	c, err := console.New(hub, console.Options{Results: []bench.Line{}, DemoPrefix: "mine"})
	require.NoError(t, err)
	srv := httptest.NewServer(c)
	t.Cleanup(func() { srv.Close(); _ = c.Close() })
	f := &fixture{hub: hub, c: c, srv: srv}

	check := func(what string, code int, body, wantText string) {
		t.Helper()
		assert.Equal(t, http.StatusConflict, code, what)
		e := decode[apiErr](t, body)
		assert.Equal(t, "FailedPrecondition", e.Code, what)
		assert.Contains(t, e.Error, wantText, what)
	}
	code, b := f.get(t, "api/s3/info")
	check("s3 info", code, b, "no s3 component")
	code, b = f.post(t, "api/s3/list", map[string]string{})
	check("s3 list", code, b, "no s3 component")
	code, b = f.upload(t, "key=a.txt", []byte("x"))
	check("s3 upload", code, b, "no s3 component")
	code, b = f.get(t, "api/s3/download?key=a.txt")
	check("s3 download", code, b, "no s3 component")
	code, b = f.post(t, "api/s3/presign", map[string]string{"key": "a.txt"})
	check("s3 presign", code, b, "no s3 component")
	code, b = f.get(t, "api/redis/state")
	check("redis state", code, b, "no redis component")

	for _, comp := range []string{"redis", "s3"} {
		st := f.runPerf(t, map[string]any{"component": comp, "levels": []int{1}, "durationMs": 100})
		assert.Equal(t, "FailedPrecondition", st.Code, comp)
		assert.Contains(t, st.Error, "no "+comp+" component", comp)
	}

	// With no committed results the results table is empty, not null.
	code, b = f.get(t, "api/perf/results")
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"domains":[],"tables":{}}`, b)

	// The built-in SQLite demo needs no component: it runs on its own
	// scratch database.
	code, b = f.post(t, "api/sqlite/run", map[string]any{"query": "nope"})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, decode[apiErr](t, b).Error, `no built-in query "nope"`)
}

func TestS3DemoRefusesBadInputAndReportsMissingObjects(t *testing.T) {
	f := newFixture(t, console.Options{DemoPrefix: "demo-s3"})
	code, b := f.get(t, "api/s3/info")
	require.Equal(t, http.StatusOK, code, b)
	info := decode[struct{ Prefix, Key, PathURL, VirtualURL string }](t, b)
	assert.Equal(t, "demo-s3/", info.Prefix, "a prefix without a separator gets a slash")
	assert.Equal(t, "demo-s3/hello.txt", info.Key, "the default key")
	assert.Equal(t, f.s3Conf.Endpoint+"/"+f.s3Conf.Bucket+"/demo-s3/hello.txt", info.PathURL)
	assert.Equal(t, info.PathURL, info.VirtualURL, "virtual-hosted style falls back to path style on an IP endpoint")

	bad := func(what string, code int, body string) {
		t.Helper()
		assert.Equal(t, http.StatusBadRequest, code, what)
		assert.Equal(t, "InvalidArgument", decode[apiErr](t, body).Code, what)
	}
	code, b = f.get(t, "api/s3/info?key=../etc")
	bad("info key with ..", code, b)
	code, b = f.post(t, "api/s3/list", map[string]string{"prefix": strings.Repeat("p", 513)})
	bad("long list prefix", code, b)
	code, b = f.post(t, "api/s3/list", map[string]string{"delimiter": "/////////"})
	bad("long delimiter", code, b)
	code, b = f.post(t, "api/s3/list", "[1,2]")
	bad("list body not an object", code, b)
	code, b = f.upload(t, "key=", []byte("x"))
	bad("upload without key", code, b)
	code, b = f.upload(t, "key=a.txt&storageClass=DIAMOND", []byte("x"))
	bad("upload with an unknown storage class", code, b)
	assert.Contains(t, decode[apiErr](t, b).Error, `storage class "DIAMOND"`)
	code, b = f.post(t, "api/s3/presign", "not json")
	bad("presign body not JSON", code, b)
	code, b = f.post(t, "api/s3/presign", map[string]string{"key": "a\nb"})
	bad("presign key with a newline", code, b)

	exists, err := f.s3.Exists(t.Context(), "demo-s3/a.txt")
	require.NoError(t, err)
	assert.False(t, exists, "a refused upload writes nothing")

	code, b = f.get(t, "api/s3/download?key=missing.txt")
	assert.Equal(t, http.StatusNotFound, code, b)
	assert.Equal(t, "NotFound", decode[apiErr](t, b).Code)

	// An empty list under the prefix is an empty array.
	code, b = f.post(t, "api/s3/list", map[string]string{"prefix": "nothing-here/"})
	require.Equal(t, http.StatusOK, code, b)
	assert.Contains(t, b, `"objects":[]`)
	assert.Contains(t, b, `"prefix":"demo-s3/nothing-here/"`)

	// HEAD presigns keep the asked expiry up to an hour, and fall back to
	// 15 minutes beyond it.
	code, b = f.post(t, "api/s3/presign", map[string]any{"key": "a.txt", "method": "HEAD", "expiresSeconds": 60})
	require.Equal(t, http.StatusOK, code, b)
	p := decode[struct{ URL, Method, ExpiresIn string }](t, b)
	assert.Equal(t, "HEAD", p.Method)
	assert.Equal(t, "60s", p.ExpiresIn)
	assert.Contains(t, p.URL, "demo-s3/a.txt")
	code, b = f.post(t, "api/s3/presign", map[string]any{"key": "a.txt", "expiresSeconds": 7200})
	require.Equal(t, http.StatusOK, code, b)
	assert.Equal(t, "900s", decode[struct{ ExpiresIn string }](t, b).ExpiresIn)

	// An upload with an HTML content type is stored as an octet stream.
	code, b = f.upload(t, "key=page.html", []byte("<b>x</b>"))
	require.Equal(t, http.StatusOK, code, b)
	st, err := f.s3.Stat(t.Context(), "demo-s3/page.html")
	require.NoError(t, err)
	assert.Equal(t, "application/octet-stream", st.ContentType)
}
