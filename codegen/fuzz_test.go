package codegen

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/stretchr/testify/require"
)

// fuzzTarget puts an arbitrary string into one free-text field of a
// config that is otherwise fixed.
type fuzzTarget struct {
	name   string
	config func(v string) any
	// literal is the literal the value must come back as, when the config
	// wraps or normalises it; nil means the value itself.
	literal func(v string) string
}

var fuzzTargets = []fuzzTarget{
	{"redis Username", func(v string) any {
		return redis.Config{Addrs: []string{"127.0.0.1:6379"}, Username: v, Password: security.NewSecret("pw"), DB: 1}
	}, nil},
	{"redis Addrs host", func(v string) any {
		return redis.Config{Addrs: []string{"[" + v + "]:6379"}}
	}, func(v string) string { return "[" + v + "]:6379" }},
	{"s3 Prefix", func(v string) any {
		return s3.Config{Bucket: "bucket", Prefix: v, Endpoint: "http://127.0.0.1:9000", AccessKeyID: "AK", SecretAccessKey: security.NewSecret("SK")}
	}, nil},
	{"sqlite Path", func(v string) any {
		return sqlite.Config{Path: v, Create: true, Pragmas: []string{"foreign_keys=on"}}
	}, nil},
	{"websocket URL path and query", func(v string) any {
		return websocket.Config{URL: "ws://127.0.0.1:8080/" + v, Options: websocket.Options{Subprotocols: []string{"chat"}}}
	}, func(v string) string {
		// The URL is written as net/url serialises it (userinfo removed).
		u, err := url.Parse("ws://127.0.0.1:8080/" + v)
		if err != nil {
			return "\x00unparsable"
		}
		return u.String()
	}},
	{"websocket Header value", func(v string) any {
		return websocket.Config{URL: "ws://127.0.0.1:8080/", Options: websocket.Options{Header: http.Header{"X-Client": {v}}}}
	}, nil},
	{"websocket Subprotocols", func(v string) any {
		return websocket.Config{URL: "ws://127.0.0.1:8080/", Options: websocket.Options{Subprotocols: []string{v}}}
	}, nil},
}

// fuzzTemplates are the renderings every value goes through: each
// language, with every feature.
var fuzzTemplates = []Template{
	{Language: Go, Complexity: Production},
	{Language: TypeScript, Framework: Bun, Complexity: Production},
	{Language: JavaScript, Framework: Node, Complexity: Production},
	{Language: TypeScript, Framework: Deno, Complexity: Advanced},
}

// FuzzConfigValuesCannotChangeProgramStructure proves that no config value
// changes what a generated program does: rendered with an arbitrary string
// in a free-text field, the program parses to the same syntax tree shape
// (literal values blanked) as with a plain value, and the string comes
// back unchanged as one of its string literals.
func FuzzConfigValuesCannotChangeProgramStructure(f *testing.F) {
	for _, s := range []string{
		`plain`, `"`, `'`, "`", `\`, `\"`, "${process.exit(1)}", `"); process.exit(1); ("`,
		"\"+os.Exit(1)+\"", "line\nbreak", "\r\n", "\u2028\u2029", "*/ evil() /*", "// comment",
		"</script>", "\x00\x01\x7f", "é漢字🙂", "\u202e\u2066", "\\u0022", "a\\", "x\"\"\"y",
		"\xff\xfe", "{{.V}}", "\ue000\ue001\ue002", "chat.v2", "a?b=c&d=%22e%22", "%0d%0aX-Injected: 1",
		"/tmp/app.db", ":memory:", "file:x.db?mode=ro",
	} {
		f.Add(s)
	}
	baseline := map[string]map[int]parsed{}
	for _, tg := range fuzzTargets {
		baseline[tg.name] = map[int]parsed{}
		for i, tm := range fuzzTemplates {
			p, err := renderParsed(tg.config("baseline"), tm)
			require.NoError(f, err, "%s %s: baseline render", tg.name, tm)
			baseline[tg.name][i] = p
		}
	}
	f.Fuzz(func(t *testing.T, v string) {
		if v == "" {
			t.Skip("an empty value leaves the field unset, which is a different program by design")
		}
		for _, tg := range fuzzTargets {
			for i, tm := range fuzzTemplates {
				p, err := renderParsed(tg.config(v), tm)
				if err != nil {
					var ae *arsenal.Error
					if errors.As(err, &ae) && ae.Code == arsenal.InvalidArgument {
						continue // the config (or the target language) rejects the value: nothing is generated
					}
					t.Fatalf("%s %s with %q: %v", tg.name, tm, v, err)
				}
				require.Equal(t, baseline[tg.name][i].shape, p.shape, "%s %s: the value %q changed the program's structure", tg.name, tm, v)
				want := v
				if tg.literal != nil {
					want = tg.literal(v)
				}
				require.Contains(t, p.strings, want, "%s %s: the value %q does not come back as a string literal", tg.name, tm, v)
			}
		}
	})
}

func renderParsed(config any, t Template) (parsed, error) {
	code, err := Render(config, t)
	if err != nil {
		return parsed{}, err
	}
	if t.Language == Go {
		return parseGo(code.Source)
	}
	return parseJS(code.Source, t.Language == TypeScript)
}
