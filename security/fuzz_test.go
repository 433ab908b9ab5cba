package security_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/infra-arsenal/arsenal/security"
)

// seed adds every line of the testdata corpora, and extra, to f.
func seed(f *testing.F, extra ...string) {
	for _, name := range []string{"sqli.txt", "sql_benign.txt", "xss.txt", "xss_urls.txt", "nosql.jsonl", "nosql_benign.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for l := range strings.SplitSeq(string(b), "\n") {
			f.Add(l)
		}
	}
	for _, e := range extra {
		f.Add(e)
	}
}

// validate runs Validate and checks what holds in every context.
func validate(t *testing.T, in string, c security.Context) security.Result {
	r := security.Validate(in, c)
	if r.Safe != (len(r.Warnings) == 0) {
		t.Fatalf("%v %q: Safe=%v with %d warnings", c, in, r.Safe, len(r.Warnings))
	}
	// Warnings never quote the input: a marker in it never shows.
	for _, w := range security.Validate(in+" zqxjmarker", c).Warnings {
		if strings.Contains(w.String(), "zqxjmarker") {
			t.Fatalf("%v: a warning quotes the input: %v", c, w)
		}
	}
	return r
}

func unescape(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 == len(s) {
				return "", false
			}
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

func FuzzSQLIdent(f *testing.F) {
	seed(f, `a"b`, "a\x00b", "users")
	f.Fuzz(func(t *testing.T, in string) {
		r := validate(t, in, security.SQLIdent)
		s := r.Sanitized
		if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' || strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("bad quoting %q", s)
		}
		inner := s[1 : len(s)-1]
		if strings.ReplaceAll(inner, `""`, "") != strings.ReplaceAll(strings.ReplaceAll(in, "\x00", ""), `"`, "") {
			t.Fatalf("quoting changed the name: %q -> %q", in, s)
		}
		if strings.Count(strings.ReplaceAll(inner, `""`, ""), `"`) != 0 {
			t.Fatalf("an undoubled quote in %q", s)
		}
	})
}

func FuzzSQLString(f *testing.F) {
	seed(f, "it's", "''''")
	f.Fuzz(func(t *testing.T, in string) {
		s := validate(t, in, security.SQLString).Sanitized
		if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
			t.Fatalf("bad literal %q", s)
		}
		if got := strings.ReplaceAll(s[1:len(s)-1], "''", "'"); got != strings.ReplaceAll(in, "\x00", "") {
			t.Fatalf("literal does not read back: %q -> %q", in, got)
		}
		if strings.Contains(strings.ReplaceAll(s[1:len(s)-1], "''", ""), "'") {
			t.Fatalf("an undoubled quote in %q", s)
		}
	})
}

func FuzzSQLLike(f *testing.F) {
	seed(f, `50%_\`)
	f.Fuzz(func(t *testing.T, in string) {
		s := validate(t, in, security.SQLLike).Sanitized
		if got, ok := unescape(s); !ok || got != in {
			t.Fatalf("escape does not read back: %q -> %q", in, s)
		}
	})
}

// unionSelect is UNION SELECT as two whole words.
var unionSelect = regexp.MustCompile(`(^|[^a-z_])union select([^a-z0-9_]|$)`)

func FuzzSQLText(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, in string) {
		r := validate(t, in, security.SQLText)
		if r.Sanitized != in {
			t.Fatalf("SQLText changed the text")
		}
		if l := strings.ToLower(in); !strings.Contains(l, "/*") && unionSelect.MatchString(l) && !r.Has("sql.union") {
			t.Fatalf("UNION SELECT not reported in %q", in)
		}
	})
}

func FuzzSQLOrderBy(f *testing.F) {
	seed(f, "a, b DESC", "a asc")
	allow := security.NewAllowlist("a", "b")
	f.Fuzz(func(t *testing.T, in string) {
		r := validate(t, in, security.SQLOrderBy)
		if r.Safe && strings.ContainsAny(r.Sanitized, ";()'-/") {
			t.Fatalf("unsafe ORDER BY accepted: %q -> %q", in, r.Sanitized)
		}
		if out, err := allow.OrderBy(in); err == nil {
			for _, term := range strings.Split(out, ", ") {
				if !strings.HasPrefix(term, `"a"`) && !strings.HasPrefix(term, `"b"`) {
					t.Fatalf("allowlist let %q through", term)
				}
			}
		}
	})
}

func FuzzRedisPattern(f *testing.F) {
	seed(f, `user:*?[a]\`)
	f.Fuzz(func(t *testing.T, in string) {
		s := validate(t, in, security.RedisPattern).Sanitized
		if got, ok := unescape(s); !ok || got != in {
			t.Fatalf("escape does not read back: %q -> %q", in, s)
		}
	})
}

func FuzzRedisInline(f *testing.F) {
	seed(f, "a\r\nFLUSHALL\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := validate(t, in, security.RedisInline)
		if strings.ContainsAny(r.Sanitized, "\r\n\x00") {
			t.Fatalf("CR/LF/NUL left in %q", r.Sanitized)
		}
	})
}

func FuzzLua(f *testing.F) {
	seed(f, "redis.call('FLUSHALL')", "return os.exit()")
	f.Fuzz(func(t *testing.T, in string) {
		if r := validate(t, in, security.Lua); r.Sanitized != in {
			t.Fatalf("Lua changed the script")
		}
	})
}

func FuzzJSONDoc(f *testing.F) {
	seed(f, `{"a":{"$ne":1}}`, `{"__proto__":{}}`)
	f.Fuzz(func(t *testing.T, in string) {
		r := validate(t, in, security.JSONDoc)
		if r.Sanitized == "" {
			return
		}
		if !json.Valid([]byte(r.Sanitized)) {
			t.Fatalf("sanitized JSON is invalid: %q", r.Sanitized)
		}
		if again := security.Validate(r.Sanitized, security.JSONDoc); !again.Safe {
			t.Fatalf("sanitized JSON still unsafe: %q %v", r.Sanitized, again.Warnings)
		}
	})
}

// activeURL finds a script URL inside a tag.
var activeURL = regexp.MustCompile(`<[^>]*(javascript|vbscript|data):`)

func FuzzHTML(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, in string) {
		if s := validate(t, in, security.HTML).Sanitized; strings.Contains(s, "<") {
			t.Fatalf("strict policy left a tag: %q", s)
		}
		s := strings.ToLower(validate(t, in, security.HTMLUGC).Sanitized)
		for _, bad := range []string{"<script", "<iframe", "<style"} {
			if strings.Contains(s, bad) {
				t.Fatalf("UGC policy left %s: %q", bad, s)
			}
		}
		if activeURL.MatchString(s) {
			t.Fatalf("UGC policy left a script URL in a tag: %q", s)
		}
	})
}

func FuzzAttrAndJS(f *testing.F) {
	seed(f, `" onclick="x`, `';alert(1)//`)
	f.Fuzz(func(t *testing.T, in string) {
		if s := validate(t, in, security.HTMLAttr).Sanitized; strings.ContainsAny(s, `"'<>`) {
			t.Fatalf("attribute escape left a quote or bracket: %q", s)
		}
		s := validate(t, in, security.JSString).Sanitized
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if strings.IndexByte("\"'<>\n\r", s[i]) >= 0 {
				t.Fatalf("JS escape left a quote, bracket or line end: %q", s)
			}
		}
	})
}

func FuzzURL(f *testing.F) {
	seed(f, "javascript:alert(1)", "https://example.com")
	f.Fuzz(func(t *testing.T, in string) {
		r := validate(t, in, security.URL)
		if !r.Safe {
			if r.Sanitized != "" {
				t.Fatalf("refused URL kept: %q", r.Sanitized)
			}
			return
		}
		var b strings.Builder
		for _, c := range strings.ToLower(in) {
			if c > ' ' && c != 0x7f {
				b.WriteRune(c)
			}
		}
		l := b.String()
		for _, bad := range []string{"javascript:", "vbscript:", "data:"} {
			if strings.HasPrefix(l, bad) {
				t.Fatalf("accepted %q", in)
			}
		}
	})
}

func FuzzS3Key(f *testing.F) {
	seed(f, "a/../b", "photos/a.jpg")
	f.Fuzz(func(t *testing.T, in string) {
		r := validate(t, in, security.S3Key)
		if !r.Safe {
			return
		}
		if in == "" || len(in) > 1024 || !utf8.ValidString(in) || strings.ContainsAny(in, "\x00\r\n") {
			t.Fatalf("accepted %q", in)
		}
		for seg := range strings.SplitSeq(in, "/") {
			if seg == ".." {
				t.Fatalf("accepted a .. segment in %q", in)
			}
		}
	})
}

func FuzzWSOrigin(f *testing.F) {
	seed(f, "https://a.example.com", "null", "http://[::1]:80")
	f.Fuzz(func(t *testing.T, in string) {
		r := validate(t, in, security.WSOrigin)
		if r.Sanitized == "" {
			return
		}
		if o, ok := security.ParseOrigin(r.Sanitized); !ok || o != r.Sanitized {
			t.Fatalf("normalized origin %q does not parse back (%q)", r.Sanitized, o)
		}
	})
}
