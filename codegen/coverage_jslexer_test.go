package codegen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The security check compares the string literals of the generated
// program with the config values, so the JavaScript lexer must decode
// every escape esbuild may print exactly, and refuse what it does not
// understand instead of guessing.

func lexStrings(t *testing.T, src string) []string {
	t.Helper()
	toks, err := lexJS(src)
	require.NoError(t, err, "lexJS(%q)", src)
	var out []string
	for _, tk := range toks {
		if tk.kind == jsString || tk.kind == jsTemplate {
			out = append(out, tk.value)
		}
	}
	return out
}

func TestLexJSDecodesEveryStringEscape(t *testing.T) {
	cases := []struct {
		src  string
		want string
	}{
		{`"a\nb\rc\td"`, "a\nb\rc\td"},
		{`"\b\f\v"`, "\b\f\v"},
		{`"nul\0end"`, "nul\x00end"},
		{`"\x41\x7e"`, "A~"},
		{`"\u0042\u00e9"`, "Bé"},
		{`"\u{1F600}"`, "\U0001F600"},
		{`"\ud83d\ude00"`, "\U0001F600"}, // a surrogate pair spelled as two escapes
		{`'it\'s'`, "it's"},
		{`"q\"q"`, `q"q`},
		{`"back\\slash"`, `back\slash`},
		{"\"line\\\ncontinued\"", "linecontinued"},
		{"\"crlf\\\r\ncontinued\"", "crlfcontinued"},
		{"\"cr\\\rcontinued\"", "crcontinued"},
		{`"\q"`, "q"}, // a needless escape is the character itself
		{"\"caf\u00e9\"", "café"},
	}
	for _, c := range cases {
		assert.Equal(t, []string{c.want}, lexStrings(t, c.src), "source %q", c.src)
	}
}

func TestLexJSSplitsTemplateLiteralsAtSubstitutions(t *testing.T) {
	toks, err := lexJS("const t = `x\\u0041${a}y${{b: 1}.b}z\u00e9`;")
	require.NoError(t, err)
	var chunks []string
	for _, tk := range toks {
		if tk.kind == jsTemplate {
			chunks = append(chunks, tk.value)
		}
	}
	assert.Equal(t, []string{"xA", "y", "zé"}, chunks, "the object literal's braces inside a substitution do not end it")

	// Without a substitution a template literal is a plain string.
	toks, err = lexJS("`it's \"q\"`")
	require.NoError(t, err)
	require.Len(t, toks, 1)
	assert.Equal(t, jsString, toks[0].kind)
	assert.Equal(t, `it's "q"`, toks[0].value)
}

func TestLexJSTellsRegularExpressionsFromDivision(t *testing.T) {
	toks, err := lexJS(`const r = /a[/]b\//gi.test(a) ? 1.5e+3 : .5; x = a / b / c; y = (a) / 2; function f() { return /q/; }`)
	require.NoError(t, err)
	var regexps, numbers []string
	divisions := 0
	for _, tk := range toks {
		switch {
		case tk.kind == jsRegExp:
			regexps = append(regexps, tk.text)
		case tk.kind == jsNumber:
			numbers = append(numbers, tk.text)
		case tk.kind == jsPunct && tk.text == "/":
			divisions++
		}
	}
	assert.Equal(t, []string{`/a[/]b\//gi`, `/q/`}, regexps)
	assert.Equal(t, []string{"1.5e+3", ".5", "2"}, numbers)
	assert.Equal(t, 3, divisions)
}

func TestLexJSSkipsComments(t *testing.T) {
	assert.Equal(t, []string{"kept"}, lexStrings(t, "// \"dropped\"\n/* \"also dropped\" */ x = \"kept\";"))
}

func TestLexJSRefusesWhatItDoesNotUnderstand(t *testing.T) {
	cases := map[string]string{
		"/* open":         "unterminated comment",
		`"open`:           "unterminated string literal",
		"\"a\nb\"":        "newline in string literal",
		"`open":           "unterminated template literal",
		"`a${b}open":      "unterminated template literal",
		"x = /open":       "unterminated regular expression",
		"x = /a\nb/":      "unterminated regular expression",
		"x = /[/":         "unterminated regular expression",
		"x = \x01":        "unexpected byte 0x1 at offset 4",
		`"\01"`:           "legacy octal escape",
		`"\7"`:            "legacy octal escape",
		`"\x4"`:           `bad \x escape`, // the closing quote is no hex digit
		`"\x4`:            "short \\x escape",
		`"\xzz"`:          `bad \x escape`,
		`"\u{41"`:         "unterminated \\u{} escape",
		`"\u{110000}"`:    `bad \u{} escape`,
		`"\u{zz}"`:        `bad \u{} escape`,
		`"\u12"`:          "short \\u escape",
		`"\uzzzz"`:        `bad \u escape`,
		"`a\\u{zz}`":      `bad \u{} escape`,
		"`a${b}\\u{zz}`":  `bad \u{} escape`,
		"\"dangling\\":    "dangling backslash",
		"x = `a${b}c\\xq": "short \\x escape",
	}
	for src, want := range cases {
		toks, err := lexJS(src)
		if assert.Error(t, err, "source %q", src) {
			assert.Contains(t, err.Error(), want, "source %q", src)
		}
		assert.Nil(t, toks, "source %q", src)
	}
}

func TestParseJSReportsSyntaxErrorsWithTheirPosition(t *testing.T) {
	_, err := parseJS("const = 1;\n", false)
	require.Error(t, err)
	assert.Regexp(t, `^1:\d+: `, err.Error())

	_, err = parseJS("let x: number = ;\n", true)
	require.Error(t, err)
	assert.Regexp(t, `^1:\d+: `, err.Error())

	// A program that parses gives its literals in source order and a shape
	// without their values.
	p, err := parseJS("const a: string = \"v1\";\nconsole.log(a, `t${a}u`, 42);\n", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"v1", "t", "u"}, p.strings)
	assert.NotContains(t, p.shape, "v1")
	assert.NotContains(t, p.shape, "42")
	assert.Contains(t, p.shape, "N")
}
