package security_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// corpus reads a testdata file: one entry a line, # comments and blank
// lines skipped.
func corpus(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

func TestValidateSQLTextCorpus(t *testing.T) {
	for _, p := range corpus(t, "sqli.txt") {
		r := security.Validate(p, security.SQLText)
		assert.False(t, r.Safe, "no warning for %q", p)
		assert.NotEmpty(t, r.Warnings, p)
		assert.Equal(t, p, r.Sanitized, "SQLText never changes the text")
	}
	for _, p := range corpus(t, "sql_benign.txt") {
		r := security.Validate(p, security.SQLText)
		assert.True(t, r.Safe, "false positive for %q: %v", p, r.Warnings)
	}
}

func TestValidateSQLTextRules(t *testing.T) {
	for _, tc := range []struct{ in, rule string }{
		{"'; DROP TABLE users; --", "sql.stacked"},
		{"x -- y", "sql.comment"},
		{"a /* b */", "sql.comment"},
		{"' OR 'a'='a", "sql.tautology"},
		{"1 or 1=1", "sql.tautology"},
		{"' or true --", "sql.tautology"},
		{"1 UNION/**/SELECT 2", "sql.union"},
		{"1 union all select 2", "sql.union"},
		{"0UNION SELECT 1", "sql.union"},
		{"1or 1=1", "sql.tautology"},
		{"sleep(10)", "sql.delay"},
		{"select * from sqlite_master", "sql.schema"},
		{"it's", "sql.quote"},
		{"a\x00b", "sql.nul"},
		{"load_extension('x')", "sql.dangerous"},
		{`" or "a"="a`, "sql.tautology"},
		{"1 AND (SELECT 1)", "sql.subquery"},
	} {
		r := security.Validate(tc.in, security.SQLText)
		assert.True(t, r.Has(tc.rule), "%q: want %s, got %v", tc.in, tc.rule, r.Warnings)
	}
	long := strings.Repeat("a", 70<<10)
	assert.True(t, security.Validate(long, security.SQLText).Has("sql.long"))
}

func TestValidateSQLIdent(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		safe    bool
	}{
		{"users", `"users"`, true},
		{"_t1", `"_t1"`, true},
		{"1abc", `"1abc"`, false},
		{`a"b`, `"a""b"`, false},
		{`users"; DROP TABLE x; --`, `"users""; DROP TABLE x; --"`, false},
		{"a\x00b", `"ab"`, false},
		{"", `""`, false},
		{strings.Repeat("a", 129), `"` + strings.Repeat("a", 129) + `"`, false},
	} {
		r := security.Validate(tc.in, security.SQLIdent)
		assert.Equal(t, tc.safe, r.Safe, tc.in)
		assert.Equal(t, tc.out, r.Sanitized, tc.in)
	}
}

func TestValidateSQLStringAndLike(t *testing.T) {
	r := security.Validate("it's", security.SQLString)
	assert.False(t, r.Safe)
	assert.Equal(t, `'it''s'`, r.Sanitized)
	assert.Equal(t, `'plain'`, security.Validate("plain", security.SQLString).Sanitized)
	assert.True(t, security.Validate("plain", security.SQLString).Safe)
	assert.True(t, security.Validate("a\xffb", security.SQLString).Has("sql.utf8"))

	r = security.Validate(`50%_off\`, security.SQLLike)
	assert.False(t, r.Safe)
	assert.Equal(t, `50\%\_off\\`, r.Sanitized)
	assert.True(t, r.Has("sql.like.wildcard"))
	assert.True(t, r.Has("sql.like.escape"))
	assert.True(t, security.Validate("plain", security.SQLLike).Safe)
}

func TestAllowlist(t *testing.T) {
	a := security.NewAllowlist("name", "created", "users")
	q, err := a.Ident("users")
	require.NoError(t, err)
	assert.Equal(t, `"users"`, q)
	_, err = a.Ident("secrets")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.NotContains(t, err.Error(), "secrets")

	ob, err := a.OrderBy("name, created desc")
	require.NoError(t, err)
	assert.Equal(t, `"name", "created" DESC`, ob)
	for _, bad := range []string{"", "password", "name; DROP TABLE users", "name ASC, (SELECT 1)", "name sideways", "name,,created", "1"} {
		_, err := a.OrderBy(bad)
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), bad)
	}
	r := security.Validate("name ASC, x", security.SQLOrderBy)
	assert.True(t, r.Safe)
	assert.Equal(t, `"name" ASC, "x"`, r.Sanitized)
	r = security.Validate("name; DROP TABLE users", security.SQLOrderBy)
	assert.False(t, r.Safe)
	assert.Empty(t, r.Sanitized)
	var nilList *security.Allowlist
	assert.False(t, nilList.Allowed("x"))
}

func TestValidateRedis(t *testing.T) {
	r := security.Validate(`user:*?[a]\`, security.RedisPattern)
	assert.False(t, r.Safe)
	assert.Equal(t, `user:\*\?\[a\]\\`, r.Sanitized)
	assert.True(t, security.Validate("user:42", security.RedisPattern).Safe)
	assert.True(t, security.Validate("a\r\nb", security.RedisPattern).Has("redis.crlf"))

	r = security.Validate("v\r\nFLUSHALL\r\n\x00", security.RedisInline)
	assert.False(t, r.Safe)
	assert.True(t, r.Has("redis.crlf"))
	assert.Equal(t, "vFLUSHALL", r.Sanitized)
	assert.True(t, security.Validate("plain value", security.RedisInline).Safe)
}

func TestValidateLua(t *testing.T) {
	for _, tc := range []struct{ in, rule string }{
		{`return loadstring(ARGV[1])()`, "lua.load"},
		{`return os.execute("id")`, "lua.sandbox"},
		{`setmetatable(_G, nil)`, "lua.env"},
		{`redis.call('FLUSHALL')`, "lua.admin"},
		{`redis.pcall("config", "set", "dir", "/tmp")`, "lua.admin"},
		{`while true do end`, "lua.loop"},
		{`return redis.call('GET', 'user:' .. ARGV[1])`, "lua.concat"},
	} {
		r := security.Validate(tc.in, security.Lua)
		assert.True(t, r.Has(tc.rule), "%q: want %s, got %v", tc.in, tc.rule, r.Warnings)
		assert.Equal(t, tc.in, r.Sanitized)
	}
	r := security.Validate(`return redis.call('GET', KEYS[1])`, security.Lua)
	assert.True(t, r.Safe, "%v", r.Warnings)
}

func TestValidateJSONCorpus(t *testing.T) {
	for _, p := range corpus(t, "nosql.jsonl") {
		r := security.Validate(p, security.JSONDoc)
		assert.False(t, r.Safe, p)
		assert.True(t, r.Has("json.operator") || r.Has("json.prototype"), "%s: %v", p, r.Warnings)
		require.NotEmpty(t, r.Sanitized, p)
		again := security.Validate(r.Sanitized, security.JSONDoc)
		assert.True(t, again.Safe, "sanitized %s still unsafe: %v", r.Sanitized, again.Warnings)
		assert.NotContains(t, r.Sanitized, `"$`)
		assert.NotContains(t, r.Sanitized, `__proto__`)
	}
	for _, p := range corpus(t, "nosql_benign.jsonl") {
		r := security.Validate(p, security.JSONDoc)
		assert.True(t, r.Safe, "%s: %v", p, r.Warnings)
		var a, b any
		require.NoError(t, json.Unmarshal([]byte(p), &a))
		require.NoError(t, json.Unmarshal([]byte(r.Sanitized), &b))
		assert.Equal(t, a, b)
	}
	r := security.Validate(`{"user":"a","password":{"$ne":1}}`, security.JSONDoc)
	assert.Equal(t, `{"password":{},"user":"a"}`, r.Sanitized)

	for _, bad := range []string{"", "{", `{"a":1} {"b":2}`, "{'a':1}"} {
		r := security.Validate(bad, security.JSONDoc)
		assert.False(t, r.Safe, bad)
		assert.Empty(t, r.Sanitized, bad)
	}
	deep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	assert.True(t, security.Validate(deep, security.JSONDoc).Has("json.depth"))
	ok := strings.Repeat("[", 64) + strings.Repeat("]", 64)
	assert.True(t, security.Validate(ok, security.JSONDoc).Safe)
}

func TestValidateXSSCorpus(t *testing.T) {
	for _, p := range corpus(t, "xss.txt") {
		for _, c := range []security.Context{security.HTML, security.HTMLUGC} {
			r := security.Validate(p, c)
			assert.False(t, r.Safe, "%v accepted %q", c, p)
			assertNoActiveContent(t, r.Sanitized, p)
		}
	}
	r := security.Validate(`<p><b>bold</b> <em>x</em></p>`, security.HTMLUGC)
	assert.True(t, r.Safe, "%v", r.Warnings)
	r = security.Validate(`<b>bold</b>`, security.HTML)
	assert.False(t, r.Safe)
	assert.Equal(t, "bold", r.Sanitized)
	assert.True(t, security.Validate("plain text", security.HTML).Safe)
	assert.True(t, security.Validate("<script>x</script>", security.HTML).Has("xss.script"))
	assert.True(t, security.Validate("<img src=x onerror=alert(1)>", security.HTMLUGC).Has("xss.handler"))
}

// assertNoActiveContent checks that sanitized HTML carries nothing a
// browser would run.
func assertNoActiveContent(t *testing.T, out, in string) {
	t.Helper()
	l := strings.ToLower(out)
	for _, bad := range []string{"<script", "javascript:", "vbscript:", "data:", "<iframe", "<object", "<embed", "<svg", "<style", "expression(", "<meta", "<base", "<form"} {
		assert.NotContains(t, l, bad, "from %q", in)
	}
	// an event handler survives only as escaped text, never inside a tag
	for i := strings.Index(l, "<"); i >= 0; {
		end := strings.IndexByte(l[i:], '>')
		if end < 0 {
			break
		}
		tag := l[i : i+end]
		assert.NotRegexp(t, `\son\w+\s*=`, tag, "from %q", in)
		next := strings.Index(l[i+end:], "<")
		if next < 0 {
			break
		}
		i += end + next
	}
}

func TestValidateURL(t *testing.T) {
	for _, u := range append(corpus(t, "xss_urls.txt"), "java\nscript:alert(1)", "\x01javascript:alert(1)", "java\u200bscript:x") {
		r := security.Validate(u, security.URL)
		assert.False(t, r.Safe, "accepted %q", u)
		assert.Empty(t, r.Sanitized, u)
	}
	for _, u := range []string{"https://example.com/a?b=c#d", "http://localhost:8080", "/relative/path", "page.html", "mailto:a@example.com", "?q=1", "#top", strings.Repeat("long-file-name", 10) + ".html", "a%62c/x"} {
		r := security.Validate(u, security.URL)
		assert.True(t, r.Safe, "%q: %v", u, r.Warnings)
		assert.Equal(t, u, r.Sanitized)
	}
}

func TestValidateAttrAndJS(t *testing.T) {
	r := security.Validate(`" onmouseover="alert(1)`, security.HTMLAttr)
	assert.False(t, r.Safe)
	assert.Equal(t, `&#34; onmouseover=&#34;alert(1)`, r.Sanitized)
	assert.True(t, security.Validate("plain", security.HTMLAttr).Safe)

	r = security.Validate(`';alert(1);//</script>`, security.JSString)
	assert.False(t, r.Safe)
	assert.Equal(t, `\';alert(1);//\u003C/script\u003E`, r.Sanitized)
	assert.True(t, security.Validate("plain", security.JSString).Safe)
}

func TestValidateS3Key(t *testing.T) {
	for _, tc := range []struct{ in, rule string }{
		{"", "s3.empty"},
		{strings.Repeat("k", 1025), "s3.long"},
		{"a\x00b", "s3.control"},
		{"a\nb", "s3.control"},
		{"a\x7fb", "s3.control"},
		{"a\u0085b", "s3.control"},
		{"a\xffb", "s3.utf8"},
		{"../etc/passwd", "s3.dotsegment"},
		{"a/../../b", "s3.dotsegment"},
		{"a/./b", "s3.dotsegment"},
		{`a\..\b`, "s3.dotsegment"},
		{"..", "s3.dotsegment"},
	} {
		r := security.Validate(tc.in, security.S3Key)
		assert.True(t, r.Has(tc.rule), "%q: want %s, got %v", tc.in, tc.rule, r.Warnings)
		assert.Empty(t, r.Sanitized)
	}
	for _, k := range []string{"photos/2026/a.jpg", "a..b/c", "ünïcode/ключ", strings.Repeat("k", 1024), ".hidden/x"} {
		r := security.Validate(k, security.S3Key)
		assert.True(t, r.Safe, "%q: %v", k, r.Warnings)
		assert.Equal(t, k, r.Sanitized)
	}
}

func TestValidateOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://App.Example.com":     "https://app.example.com",
		"https://app.example.com:443": "https://app.example.com",
		"http://localhost:8080":       "http://localhost:8080",
		"http://[::1]:3000":           "http://[::1]:3000",
		"https://example.com/":        "https://example.com",
	} {
		r := security.Validate(in, security.WSOrigin)
		assert.True(t, r.Safe, "%q: %v", in, r.Warnings)
		assert.Equal(t, want, r.Sanitized)
	}
	assert.True(t, security.Validate("null", security.WSOrigin).Has("origin.null"))
	for _, bad := range []string{"", "example.com", "ftp://example.com", "https://example.com/path", "https://user@example.com", "https://example.com?x", "javascript:alert(1)", "https://", "https://exa mple.com", "https://example.com:99999", "https://example.com:0", "https://example.com:x1"} {
		r := security.Validate(bad, security.WSOrigin)
		assert.True(t, r.Has("origin.invalid"), "%q: %v", bad, r.Warnings)
		assert.Empty(t, r.Sanitized)
	}
}

func TestOriginPolicy(t *testing.T) {
	p, err := security.NewOriginPolicy("https://app.example.com", "https://*.example.org", "http://localhost:8080")
	require.NoError(t, err)
	for o, want := range map[string]bool{
		"https://app.example.com":        true,
		"https://APP.example.com:443":    true,
		"http://app.example.com":         false,
		"https://a.example.org":          true,
		"https://a.b.example.org":        true,
		"https://example.org":            false,
		"https://evilexample.org":        false,
		"https://example.org.evil.com":   false,
		"https://a.example.org:8443":     false,
		"http://localhost:8080":          true,
		"http://localhost:8081":          false,
		"null":                           false,
		"https://app.example.com.evil.x": false,
	} {
		assert.Equal(t, want, p.Allowed(o), o)
	}
	assert.NoError(t, p.Check("https://a.example.org"))
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(p.Check("https://evil.com")))
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(p.Check("")))
	_, err = security.NewOriginPolicy("not an origin")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
}

func TestValidateUnknownContextAndErr(t *testing.T) {
	r := security.Validate("x", security.Context(999))
	assert.False(t, r.Safe)
	assert.True(t, r.Has("context.unknown"))
	assert.Equal(t, "Context(999)", security.Context(999).String())
	assert.Equal(t, "SQLIdent", security.SQLIdent.String())

	err := security.CheckInput("' OR 1=1 -- secretpayload", security.SQLText)
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.NotContains(t, err.Error(), "secretpayload")
	assert.Contains(t, err.Error(), "sql.tautology")
	assert.NoError(t, security.CheckInput("users", security.SQLIdent))
}
