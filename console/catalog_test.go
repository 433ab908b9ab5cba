package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/examples/library"
)

type exampleList struct {
	Examples []struct {
		Name       string   `json:"name"`
		Title      string   `json:"title"`
		Complexity string   `json:"complexity"`
		Database   string   `json:"database"`
		Tags       []string `json:"tags"`
	} `json:"examples"`
	Total  int `json:"total"`
	Facets struct {
		Tags         []string `json:"tags"`
		Databases    []string `json:"databases"`
		Complexities []string `json:"complexities"`
		Features     []string `json:"features"`
	} `json:"facets"`
}

func names(l exampleList) []string {
	out := []string{}
	for _, e := range l.Examples {
		out = append(out, e.Name)
	}
	return out
}

func libNames(q library.Query) []string {
	out := []string{}
	for _, e := range library.Filter(q) {
		out = append(out, e.Name)
	}
	return out
}

func newBareConsole(t *testing.T, opts console.Options) *console.Console {
	t.Helper()
	c, err := console.New(arsenal.NewHub(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestExamplesAPIFiltersLikeTheCatalog(t *testing.T) {
	c := newBareConsole(t, console.Options{})
	list := func(query string) exampleList {
		t.Helper()
		w := serve(c, "GET", "/api/examples?"+query, "127.0.0.1:1", "localhost", nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		return decode[exampleList](t, w.Body.String())
	}
	all := list("")
	require.GreaterOrEqual(t, len(all.Examples), 30)
	assert.Equal(t, libNames(library.Query{}), names(all), "the same catalog as go run ./examples/catalog")
	assert.Equal(t, len(library.All()), all.Total)
	assert.Equal(t, library.Databases, all.Facets.Databases)
	assert.Equal(t, library.Complexities, all.Facets.Complexities)
	assert.Contains(t, all.Facets.Tags, "cache")
	assert.NotEmpty(t, all.Facets.Features)

	for _, tc := range []struct {
		query string
		q     library.Query
	}{
		{"database=redis", library.Query{Database: "redis"}},
		{"database=redis&complexity=advanced", library.Query{Database: "redis", Complexity: "advanced"}},
		{"complexity=beginner", library.Query{Complexity: "beginner"}},
		{"tag=cache", library.Query{Tag: "cache"}},
		{"feature=" + url.QueryEscape(all.Facets.Features[0]), library.Query{Feature: all.Facets.Features[0]}},
		{"q=" + url.QueryEscape("rate limiter"), library.Query{Text: "rate limiter"}},
		{"q=upload&database=s3", library.Query{Text: "upload", Database: "s3"}},
	} {
		got := names(list(tc.query))
		assert.Equal(t, libNames(tc.q), got, tc.query)
		assert.NotEmpty(t, got, "%s matches something", tc.query)
		assert.Less(t, len(got), len(all.Examples), "%s narrows the list", tc.query)
	}
	assert.Empty(t, list("q=no-such-word-anywhere").Examples)

	w := serve(c, "GET", "/api/examples?q="+strings.Repeat("a", 201), "127.0.0.1:1", "localhost", nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), `"code":"InvalidArgument"`)
}

func TestExamplesAPIServesOneExampleWithItsSource(t *testing.T) {
	c := newBareConsole(t, console.Options{})
	want, ok := library.Get("redis-rate-limiter")
	require.True(t, ok)
	src, err := library.Source(want.Name)
	require.NoError(t, err)

	w := serve(c, "GET", "/api/examples/redis-rate-limiter", "127.0.0.1:1", "localhost", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := decode[struct {
		library.Example
		Run   string `json:"run"`
		Files []struct{ Name, Code string }
	}](t, w.Body.String())
	assert.Equal(t, want, got.Example)
	assert.Equal(t, "go run ./examples/library/redis-rate-limiter", got.Run)
	require.NotEmpty(t, got.Files)
	assert.Equal(t, "main.go", got.Files[0].Name)
	files := map[string]string{}
	for _, f := range got.Files {
		files[f.Name] = f.Code
	}
	assert.Equal(t, src, files)
}

func TestExamplesAPIMissingExampleIsACoded404(t *testing.T) {
	c := newBareConsole(t, console.Options{})
	w := serve(c, "GET", "/api/examples/no-such-example", "127.0.0.1:1", "localhost", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	e := decode[struct{ Error, Code string }](t, w.Body.String())
	assert.Equal(t, "NotFound", e.Code)
	assert.Contains(t, e.Error, `no example called "no-such-example"`)
}

func TestExamplesAndTutorialsAPIEscapeMarkupInTheRequest(t *testing.T) {
	c := newBareConsole(t, console.Options{})
	payload := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	for _, target := range []string{
		"/api/examples?q=" + url.QueryEscape(payload),
		"/api/examples?tag=" + url.QueryEscape(payload) + "&feature=" + url.QueryEscape(payload),
		"/api/examples/" + url.PathEscape(payload),
		"/api/tutorials/" + url.PathEscape(payload),
	} {
		w := serve(c, "GET", target, "127.0.0.1:1", "localhost", nil)
		assert.Contains(t, []int{http.StatusOK, http.StatusNotFound}, w.Code, target)
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"), target)
		assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), target)
		body := w.Body.String()
		assert.NotContains(t, body, "<script", target)
		assert.NotContains(t, body, "<img", target)
	}
	// The payload comes back only JSON-escaped, as data.
	w := serve(c, "GET", "/api/examples/"+url.PathEscape(payload), "127.0.0.1:1", "localhost", nil)
	assert.Contains(t, decode[struct{ Error string }](t, w.Body.String()).Error, payload)
}

func TestTutorialStateChangesArePOSTOnlyAndSameOrigin(t *testing.T) {
	c := newBareConsole(t, console.Options{AllowTutorialSolutions: true})
	for _, path := range []string{"/api/tutorials/redis/check", "/api/tutorials/redis/apply"} {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			w := serve(c, m, path, "127.0.0.1:1", "127.0.0.1:8080", nil)
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code, m+" "+path)
		}
		for _, hdr := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}} {
			w := serve(c, "POST", path, "127.0.0.1:1", "127.0.0.1:8080", hdr)
			assert.Equal(t, http.StatusForbidden, w.Code, "%s %v", path, hdr)
		}
	}
	// From the page itself they get through: a check of every step fails
	// on the empty hub, an apply without a step is refused.
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}
	w := serve(c, "POST", "/api/tutorials/redis/check", "127.0.0.1:1", "127.0.0.1:8080", same)
	assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), "the hub has no redis component")
	w = serve(c, "POST", "/api/tutorials/redis/apply", "127.0.0.1:1", "127.0.0.1:8080", same)
	assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"code":"InvalidArgument"`)
	w = serve(c, "POST", "/api/tutorials/nope/check", "127.0.0.1:1", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "same-origin"})
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, w.Body.String(), `"code":"NotFound"`)
}
