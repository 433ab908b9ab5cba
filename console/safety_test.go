package console_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/security"
)

func serve(h http.Handler, method, target, remote, host string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader("{}"))
	r.RemoteAddr = remote
	if host != "" {
		r.Host = host
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestOnlyLoopbackClientsAreServedWithoutAToken(t *testing.T) {
	c, err := console.New(arsenal.NewHub(), console.Options{})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, http.StatusOK, serve(c, "GET", "/", "127.0.0.1:5000", "127.0.0.1:8080", nil).Code)
	assert.Equal(t, http.StatusOK, serve(c, "GET", "/", "[::1]:5000", "localhost:8080", nil).Code)
	for _, remote := range []string{"203.0.113.7:5000", "10.0.0.2:1", "[2001:db8::1]:80", "garbage"} {
		w := serve(c, "GET", "/api/state", remote, "127.0.0.1:8080", nil)
		assert.Equal(t, http.StatusForbidden, w.Code, remote)
		assert.NotContains(t, w.Body.String(), "components", remote)
	}
}

func TestATokenIsRequiredOnEveryRequestAndAllowsRemoteClients(t *testing.T) {
	const token = "tok-9f8e7d6c5b4a"
	c, err := console.New(arsenal.NewHub(), console.Options{Token: security.NewSecret(token), AllowedHosts: []string{"console.internal"}})
	require.NoError(t, err)
	defer c.Close()
	remote, host := "203.0.113.7:5000", "console.internal:8080"
	for _, path := range []string{"/", "/app.js", "/api/state", "/live"} {
		assert.Equal(t, http.StatusUnauthorized, serve(c, "GET", path, remote, host, nil).Code, path)
		assert.Equal(t, http.StatusUnauthorized, serve(c, "GET", path, "127.0.0.1:1", "127.0.0.1", nil).Code, "loopback needs it too: "+path)
		assert.Equal(t, http.StatusUnauthorized, serve(c, "GET", path, remote, host, map[string]string{"Authorization": "Bearer wrong"}).Code, path)
	}
	assert.Equal(t, http.StatusOK, serve(c, "GET", "/api/state", remote, host, map[string]string{"Authorization": "Bearer " + token}).Code)

	// Opening the page with ?token= sets an HttpOnly, SameSite=Strict
	// cookie and redirects to the URL without the token.
	w := serve(c, "GET", "/?token="+token, remote, host, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "/", w.Header().Get("Location"))
	cookies := w.Result().Cookies()
	require.Len(t, cookies, 1)
	assert.True(t, cookies[0].HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, cookies[0].SameSite)
	ok := serve(c, "GET", "/api/state", remote, host, map[string]string{"Cookie": cookies[0].Name + "=" + cookies[0].Value})
	assert.Equal(t, http.StatusOK, ok.Code)
	assert.NotContains(t, ok.Body.String(), token, "the token is never echoed")
	assert.Equal(t, http.StatusUnauthorized, serve(c, "GET", "/?token=nope", remote, host, nil).Code)
}

func TestTheHostHeaderMustBeALoopbackNameOrAllowed(t *testing.T) {
	c, err := console.New(arsenal.NewHub(), console.Options{AllowedHosts: []string{"arsenal.test"}})
	require.NoError(t, err)
	defer c.Close()
	for _, host := range []string{"localhost", "localhost:8080", "127.0.0.1:9", "[::1]:9", "app.localhost:3000", "arsenal.test:80"} {
		assert.Equal(t, http.StatusOK, serve(c, "GET", "/api/state", "127.0.0.1:1", host, nil).Code, host)
	}
	// A DNS-rebinding page reaches the loopback port under its own name.
	for _, host := range []string{"evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example"} {
		w := serve(c, "GET", "/api/state", "127.0.0.1:1", host, nil)
		assert.Equal(t, http.StatusMisdirectedRequest, w.Code, host)
		assert.NotContains(t, w.Body.String(), "components")
	}
}

func TestCrossOriginAndNonPOSTStateChangesAreRefused(t *testing.T) {
	c, err := console.New(arsenal.NewHub(), console.Options{})
	require.NoError(t, err)
	defer c.Close()
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost:8080"},
	} {
		w := serve(c, "POST", "/api/redis/set", "127.0.0.1:1", "127.0.0.1:8080", hdr)
		assert.Equal(t, http.StatusForbidden, w.Code, "%v", hdr)
	}
	// The same request from the page itself gets past the check (and fails
	// on the empty hub instead).
	w := serve(c, "POST", "/api/redis/set", "127.0.0.1:1", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "same-origin"})
	assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"code":"FailedPrecondition"`)
	// State changes are POST only.
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		w := serve(c, m, "/api/redis/set", "127.0.0.1:1", "127.0.0.1:8080", nil)
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code, m)
	}
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	c, err := console.New(arsenal.NewHub(), console.Options{})
	require.NoError(t, err)
	defer c.Close()
	for _, path := range []string{"/", "/app.js", "/style.css", "/charts.js", "/api/state", "/api/config/sqlite", "/learn.js", "/api/examples", "/api/examples/nope", "/api/tutorials", "/api/tutorials/redis", "/missing"} {
		w := serve(c, "GET", path, "127.0.0.1:1", "localhost", nil)
		csp := w.Header().Get("Content-Security-Policy")
		assert.Contains(t, csp, "script-src 'self'", path)
		assert.Contains(t, csp, "frame-ancestors 'none'", path)
		assert.NotContains(t, csp, "unsafe-inline", path)
		assert.NotContains(t, csp, "unsafe-eval", path)
		assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), path)
		assert.Equal(t, "DENY", w.Header().Get("X-Frame-Options"), path)
	}
	page := serve(c, "GET", "/", "127.0.0.1:1", "localhost", nil).Body.String()
	assert.Regexp(t, `<script src="app.js"`, page)
	assert.NotRegexp(t, `<script(\s[^>]*)?>[^<]`, page, "no inline script")
	assert.NotRegexp(t, `\son[a-z]+=`, page, "no inline event handlers")
	assert.NotContains(t, page, "style=", "no inline styles")
	js := serve(c, "GET", "/app.js", "127.0.0.1:1", "localhost", nil).Body.String()
	assert.NotRegexp(t, `innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(`, js, "values are rendered as text")
}

func TestJSONBodiesAreBounded(t *testing.T) {
	c, err := console.New(arsenal.NewHub(), console.Options{})
	require.NoError(t, err)
	defer c.Close()
	big := `{"domain":"sqlite","values":{"Path":"` + strings.Repeat("a", 70<<10) + `"}}`
	r := httptest.NewRequest("POST", "/api/codegen", strings.NewReader(big))
	r.RemoteAddr, r.Host = "127.0.0.1:1", "localhost"
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Contains(t, w.Body.String(), "ResourceExhausted")
}

func TestCommittedResultsAreACopyOfTheBenchmarksResults(t *testing.T) {
	want, err := os.ReadFile("../benchmarks/results/all.jsonl")
	require.NoError(t, err)
	got, err := os.ReadFile("assets/results.jsonl")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "run: cp benchmarks/results/all.jsonl console/assets/results.jsonl")
}

func TestInvalidOptionsAreRefused(t *testing.T) {
	_, err := console.New(arsenal.NewHub(), console.Options{DialURLs: []string{"http://user:hunter2@example.com"}})
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.NotContains(t, err.Error(), "hunter2")
	w := serve(console.Handler(nil, console.Options{}), "GET", "/", "127.0.0.1:1", "localhost", nil)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.True(t, regexp.MustCompile(`nil hub`).MatchString(w.Body.String()))
}
