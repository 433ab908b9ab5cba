package codegen

import (
	"errors"
	"slices"
	"testing"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
)

// fuzzTarget puts an arbitrary string into one free-text field of a
// config that is otherwise fixed.
type fuzzTarget struct {
	name   string
	config func(v string) any
}

var fuzzTargets = []fuzzTarget{
	{"redis Username", func(v string) any {
		return redis.Config{Addrs: []string{"127.0.0.1:6379"}, Username: v, Password: "pw", DB: 1}
	}},
	{"redis Addrs host", func(v string) any {
		return redis.Config{Addrs: []string{"[" + v + "]:6379"}}
	}},
	{"s3 Prefix", func(v string) any {
		return s3.Config{Bucket: "bucket", Prefix: v, Endpoint: "http://127.0.0.1:9000", AccessKeyID: "AK", SecretAccessKey: "SK"}
	}},
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
		"\xff\xfe", "{{.V}}", "\ue000\ue001\ue002",
	} {
		f.Add(s)
	}
	baseline := map[string]map[int]parsed{}
	for _, tg := range fuzzTargets {
		baseline[tg.name] = map[int]parsed{}
		for i, tm := range fuzzTemplates {
			p, err := renderParsed(tg.config("baseline"), tm)
			if err != nil {
				f.Fatalf("%s %s: baseline render: %v", tg.name, tm, err)
			}
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
				if p.shape != baseline[tg.name][i].shape {
					t.Fatalf("%s %s: the value %q changed the program's structure", tg.name, tm, v)
				}
				if !slices.Contains(p.strings, v) && !containsWrapped(p.strings, v) {
					t.Fatalf("%s %s: the value %q does not come back as a string literal", tg.name, tm, v)
				}
			}
		}
	})
}

// containsWrapped accepts the value inside a literal built around it (the
// Redis address target wraps the host as "[host]:6379").
func containsWrapped(lits []string, v string) bool {
	return slices.Contains(lits, "["+v+"]:6379")
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
