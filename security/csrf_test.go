package security_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// csrfServer serves h behind the middleware over real HTTP, counting the
// requests that reach h.
func csrfServer(t *testing.T, cfg security.CSRFConfig) (*httptest.Server, *security.CSRF, *atomic.Int64) {
	t.Helper()
	m, err := security.NewCSRF(cfg)
	require.NoError(t, err)
	var reached atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.WriteString(w, "ok "+r.FormValue("v"))
	})
	srv := httptest.NewServer(m.Handler(h))
	t.Cleanup(srv.Close)
	return srv, m, &reached
}

func send(t *testing.T, method, u string, hdr map[string]string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestCSRFCrossOrigin(t *testing.T) {
	srv, m, reached := csrfServer(t, security.CSRFConfig{
		TrustedOrigins: []string{"https://partner.example.com"},
		BypassPatterns: []string{"POST /webhook/"},
	})
	self := srv.URL
	for _, tc := range []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		status int
	}{
		{"same origin", "POST", "/x", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"cross site", "POST", "/x", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cross site DELETE", "DELETE", "/x", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"origin mismatch", "POST", "/x", map[string]string{"Origin": "https://evil.example"}, 403},
		{"origin matches host", "POST", "/x", map[string]string{"Origin": self}, 200},
		{"trusted origin", "POST", "/x", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://partner.example.com"}, 200},
		{"GET is safe", "GET", "/x", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
		{"bypass pattern", "POST", "/webhook/stripe", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
		{"bypass is per method", "PUT", "/webhook/stripe", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"no browser headers", "POST", "/x", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := reached.Load()
			status, _ := send(t, tc.method, srv.URL+tc.path, tc.hdr, nil)
			assert.Equal(t, tc.status, status)
			if tc.status == 403 {
				assert.Equal(t, before, reached.Load(), "a refused request reached the handler")
			}
		})
	}
	req := httptest.NewRequest("POST", "/x", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(m.Check(req)))
}

func TestCSRFTokenMode(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cfg := security.CSRFConfig{
		TokenKey: security.NewSecret(strings.Repeat("k", 32)),
		Session:  func(r *http.Request) string { return r.Header.Get("X-Session") },
		TokenTTL: time.Hour,
		Now:      func() time.Time { return clock() },
	}
	srv, m, reached := csrfServer(t, cfg)

	issue := httptest.NewRequest("GET", "/", nil)
	issue.Header.Set("X-Session", "alice")
	tok := m.Token(issue)
	require.NotEmpty(t, tok)
	noSession := httptest.NewRequest("GET", "/", nil)
	assert.Empty(t, m.Token(noSession))

	alice := map[string]string{"X-Session": "alice"}
	status, _ := send(t, "POST", srv.URL, alice, nil)
	assert.Equal(t, 403, status, "no token")
	status, _ = send(t, "POST", srv.URL, map[string]string{"X-Session": "alice", "X-CSRF-Token": tok}, nil)
	assert.Equal(t, 200, status, "token in header")
	status, body := send(t, "POST", srv.URL, alice, url.Values{"csrf_token": {tok}, "v": {"42"}})
	assert.Equal(t, 200, status, "token in form")
	assert.Equal(t, "ok 42", body, "the handler still reads the form")
	status, _ = send(t, "POST", srv.URL, map[string]string{"X-Session": "bob", "X-CSRF-Token": tok}, nil)
	assert.Equal(t, 403, status, "another session's token")
	status, _ = send(t, "POST", srv.URL, map[string]string{"X-CSRF-Token": tok}, nil)
	assert.Equal(t, 403, status, "no session")
	bad := []byte(tok)
	bad[len(bad)-2] ^= 1
	status, _ = send(t, "POST", srv.URL, map[string]string{"X-Session": "alice", "X-CSRF-Token": string(bad)}, nil)
	assert.Equal(t, 403, status, "tampered token")
	status, _ = send(t, "POST", srv.URL, map[string]string{"X-Session": "alice", "X-CSRF-Token": "garbage!"}, nil)
	assert.Equal(t, 403, status, "malformed token")
	status, _ = send(t, "POST", srv.URL, map[string]string{"X-Session": "alice", "Sec-Fetch-Site": "same-origin"}, nil)
	assert.Equal(t, 200, status, "browser headers vouch without a token")

	n := reached.Load()
	later := now.Add(2 * time.Hour)
	clock = func() time.Time { return later }
	status, _ = send(t, "POST", srv.URL, map[string]string{"X-Session": "alice", "X-CSRF-Token": tok}, nil)
	assert.Equal(t, 403, status, "expired token")
	assert.Equal(t, n, reached.Load())

	req := httptest.NewRequest("POST", "/", nil)
	req.Header.Set("X-Session", "alice")
	err := m.Check(req)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.NotContains(t, err.Error(), strings.Repeat("k", 32))
}

func TestCSRFAlwaysRequireTokenAndDenyHandler(t *testing.T) {
	srv, m, _ := csrfServer(t, security.CSRFConfig{
		TokenKey:           security.NewSecret(strings.Repeat("z", 40)),
		Session:            func(r *http.Request) string { return "s" },
		AlwaysRequireToken: true,
		DenyHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		}),
	})
	status, _ := send(t, "POST", srv.URL, map[string]string{"Sec-Fetch-Site": "same-origin"}, nil)
	assert.Equal(t, http.StatusTeapot, status)
	tok := m.Token(httptest.NewRequest("GET", "/", nil))
	status, _ = send(t, "POST", srv.URL, map[string]string{"Sec-Fetch-Site": "same-origin", "X-CSRF-Token": tok}, nil)
	assert.Equal(t, 200, status)
}

func TestNewCSRFRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]security.CSRFConfig{
		"bad origin":       {TrustedOrigins: []string{"not a url/"}},
		"bad pattern":      {BypassPatterns: []string{"/a/{bad"}},
		"dup pattern":      {BypassPatterns: []string{"/a", "/a"}},
		"short key":        {TokenKey: security.NewSecret("short"), Session: func(*http.Request) string { return "" }},
		"key, no session":  {TokenKey: security.NewSecret(strings.Repeat("k", 32))},
		"always, no token": {AlwaysRequireToken: true},
	} {
		_, err := security.NewCSRF(cfg)
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), name)
	}
}

func FuzzCSRFToken(f *testing.F) {
	m, err := security.NewCSRF(security.CSRFConfig{
		TokenKey: security.NewSecret(strings.Repeat("f", 32)),
		Session:  func(r *http.Request) string { return "s" },
		// A fixed clock: every fuzz worker issues the same token.
		Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
	require.NoError(f, err)
	good := m.Token(httptest.NewRequest("GET", "/", nil))
	f.Add(good)
	f.Add(good[:len(good)-1] + "A")
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		req := httptest.NewRequest("POST", "/", nil)
		req.Header.Set("X-CSRF-Token", tok)
		err := m.Check(req)
		if tok == good {
			if err != nil {
				t.Fatalf("the issued token was refused: %v", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("a forged token %q was accepted", tok)
		}
	})
}
