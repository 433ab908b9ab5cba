package arsenal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
)

func TestHTTPStatusMapsEveryCode(t *testing.T) {
	tests := []struct {
		code arsenal.Code
		want int
	}{
		{arsenal.OK, 200}, {arsenal.Unknown, 500}, {arsenal.InvalidArgument, 400}, {arsenal.NotFound, 404},
		{arsenal.AlreadyExists, 409}, {arsenal.PermissionDenied, 403}, {arsenal.Unauthenticated, 401},
		{arsenal.ResourceExhausted, 429}, {arsenal.FailedPrecondition, 412}, {arsenal.Aborted, 409},
		{arsenal.Unavailable, 503}, {arsenal.DeadlineExceeded, 504}, {arsenal.Canceled, 499},
		{arsenal.DataLoss, 500}, {arsenal.Unimplemented, 501}, {arsenal.Internal, 500}, {arsenal.Code(99), 500},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			assert.Equal(t, tt.want, arsenal.HTTPStatus(tt.code))
		})
	}
	assert.Equal(t, 200, arsenal.ErrorStatus(nil))
	assert.Equal(t, 404, arsenal.ErrorStatus(arsenal.E(arsenal.NotFound, "s3", "get", nil)))
	assert.Equal(t, 504, arsenal.ErrorStatus(context.DeadlineExceeded))
}

func healthHub(t *testing.T) *arsenal.Hub {
	t.Helper()
	h := arsenal.NewHub()
	h.HealthTimeout = 2 * time.Second
	require.NoError(t, h.Add("db", &fake{kind: "sqlite"}))
	require.NoError(t, h.Add("cache", &fake{kind: "redis", health: func(ctx context.Context) error {
		return arsenal.E(arsenal.Unavailable, "redis", "health", nil)
	}}))
	require.NoError(t, h.Add("slow", &fake{kind: "s3", health: func(ctx context.Context) error {
		<-ctx.Done()
		return arsenal.Wrap("s3", "health", ctx.Err())
	}}))
	h.SetHealthTimeout("slow", 50*time.Millisecond)
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func get(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHubHandlerReadyzFailsWhileAComponentIsDownAndNamesIt(t *testing.T) {
	h := healthHub(t)
	start := time.Now()
	w := get(t, h.Handler(), "/readyz")
	assert.Less(t, time.Since(start), time.Second, "the slow component's own 50 ms timeout bounds the check")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	body := w.Body.String()
	assert.Contains(t, body, "[+]db ok\n")
	assert.Contains(t, body, "[-]cache failed: Unavailable\n")
	assert.Contains(t, body, "[-]slow failed: DeadlineExceeded\n")
	assert.True(t, strings.HasSuffix(body, "readyz failed\n"), body)
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
}

func TestHubHandlerReadyzExcludesComponentsAndPassesWhenTheRestAreHealthy(t *testing.T) {
	h := healthHub(t)
	w := get(t, h.Handler(), "/readyz?exclude=cache&exclude=slow")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "readyz ok\n", w.Body.String())
	w = get(t, h.Handler(), "/readyz?verbose&exclude=cache&exclude=slow")
	assert.Equal(t, "[+]db ok\nreadyz ok\n", w.Body.String())
}

func TestHubHandlerReadyzAnswersJSONWithCodesAndLatencies(t *testing.T) {
	h := healthHub(t)
	for _, w := range []*httptest.ResponseRecorder{
		get(t, h.Handler(), "/readyz?format=json"),
		get(t, h.Handler(), "/readyz", "Accept", "application/json"),
		get(t, h.HealthHandler(), "/"),
	} {
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.Equal(t, "application/json", w.Header().Get("Content-Type"))
		var body arsenal.HealthJSON
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
		assert.Equal(t, "failed", body.Status)
		require.Len(t, body.Components, 3)
		assert.Equal(t, arsenal.ComponentHealthJSON{Name: "db", Kind: "sqlite", Healthy: true, LatencyMS: body.Components[0].LatencyMS}, body.Components[0])
		assert.Equal(t, "cache", body.Components[1].Name)
		assert.False(t, body.Components[1].Healthy)
		assert.Equal(t, "Unavailable", body.Components[1].Code)
		assert.Contains(t, body.Components[1].Error, "redis: health: Unavailable")
		assert.Equal(t, "DeadlineExceeded", body.Components[2].Code)
		assert.GreaterOrEqual(t, body.Components[2].LatencyMS, 40.0)
	}
}

func TestHubHandlerLivezIgnoresComponentsUntilTheHubCloses(t *testing.T) {
	h := healthHub(t)
	w := get(t, h.Handler(), "/livez")
	assert.Equal(t, http.StatusOK, w.Code, "a dependency that is down does not make the process dead")
	assert.Equal(t, "livez ok\n", w.Body.String())
	require.NoError(t, h.Close())
	w = get(t, h.Handler(), "/livez")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	w = get(t, h.Handler(), "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), "[-]hub failed: closed")
}

func TestHubHandlerRefusesOtherMethodsAndPaths(t *testing.T) {
	h := healthHub(t)
	r := httptest.NewRequest(http.MethodPost, "/readyz", nil)
	w := httptest.NewRecorder()
	h.Handler().ServeHTTP(w, r)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, "GET, HEAD", w.Header().Get("Allow"))
	assert.Equal(t, http.StatusNotFound, get(t, h.Handler(), "/metricsz").Code)
}

type otherFake struct{ fake }

func TestOpenAsReturnsTheConcreteTypeOrClosesAMismatch(t *testing.T) {
	var opened []*fake
	arsenal.Register("testopenas", func(ctx context.Context, u *url.URL) (arsenal.Component, error) {
		f := &fake{kind: "fake"}
		opened = append(opened, f)
		return f, nil
	})
	f, err := arsenal.OpenAs[*fake](context.Background(), "testopenas://x")
	require.NoError(t, err)
	assert.Same(t, opened[0], f)

	_, err = arsenal.OpenAs[*otherFake](context.Background(), "testopenas://user:hunter2@x")
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "*arsenal_test.fake, not a *arsenal_test.otherFake")
	assert.NotContains(t, err.Error(), "hunter2")
	require.Len(t, opened, 2)
	assert.True(t, opened[1].closed, "a component of the wrong type is closed")

	_, err = arsenal.OpenAs[*fake](context.Background(), "nosuchscheme://x")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
}

func TestOpenReturnsANilComponentWhenTheOpenerFails(t *testing.T) {
	arsenal.Register("testtypednil", func(ctx context.Context, u *url.URL) (arsenal.Component, error) {
		var f *fake // the mistake `return Open(ctx, cfg)` makes with a typed pointer
		if u.Host == "fail" {
			return f, arsenal.E(arsenal.Unavailable, "fake", "open", nil)
		}
		return f, nil
	})
	c, err := arsenal.Open(context.Background(), "testtypednil://fail")
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(err))
	assert.True(t, c == nil, "Open returned a non-nil Component (%#v) with its error", c)

	c, err = arsenal.Open(context.Background(), "testtypednil://ok")
	assert.Equal(t, arsenal.Internal, arsenal.CodeOf(err))
	assert.True(t, c == nil, "a typed nil with no error is reported, not handed back")
}

func TestGetAsFindsTheConcreteTypeByName(t *testing.T) {
	h := arsenal.NewHub()
	defer h.Close()
	f := &fake{kind: "fake"}
	require.NoError(t, h.Add("one", f))
	got, err := arsenal.GetAs[*fake](h, "one")
	require.NoError(t, err)
	assert.Same(t, f, got)
	_, err = arsenal.GetAs[*otherFake](h, "one")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	_, err = arsenal.GetAs[*fake](h, "two")
	assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err))
}

func TestStatsGaugeLooksUpByName(t *testing.T) {
	s := arsenal.Stats{Gauges: []arsenal.Gauge{{Name: "reconnects", Value: 3, Unit: arsenal.UnitCount, Counter: true}}}
	v, ok := s.Gauge("reconnects")
	assert.True(t, ok)
	assert.Equal(t, 3.0, v)
	_, ok = s.Gauge("nope")
	assert.False(t, ok)
}
