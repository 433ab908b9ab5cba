package codegen

import (
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/evanw/esbuild/pkg/api"
)

// parsed is what a syntax check learns about a program.
type parsed struct {
	source  string   // the program, formatted where the language has a formatter
	strings []string // the value of every string literal, in source order
	shape   string   // the program's structure with literal values blanked
}

// parseGo parses src as a Go file and formats it with go/format. It
// returns the formatted source, the value of every string literal and the
// AST shape.
func parseGo(src string) (parsed, error) {
	formatted, err := format.Source([]byte(src))
	if err != nil {
		return parsed{}, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", formatted, parser.ParseComments)
	if err != nil {
		return parsed{}, err
	}
	p := parsed{source: string(formatted)}
	var shape strings.Builder
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			shape.WriteString(")")
			return false
		}
		fmt.Fprintf(&shape, "(%T", n)
		switch n := n.(type) {
		case *ast.Ident:
			shape.WriteString(" " + n.Name)
		case *ast.BasicLit:
			shape.WriteString(" " + n.Kind.String())
			if n.Kind == token.STRING {
				v, err := strconv.Unquote(n.Value)
				if err == nil {
					p.strings = append(p.strings, v)
				}
			}
		case *ast.Comment:
			// Comments carry no config values; their text is structure.
			shape.WriteString(" " + strconv.Quote(n.Text))
		}
		// ast.Inspect calls the function with nil after the children.
		return true
	})
	p.shape = shape.String()
	return p, nil
}

// parseJS parses src with esbuild (as TypeScript when ts is set) and
// returns src unchanged, the value of every string literal and the shape
// of esbuild's normalised output (types stripped, literals blanked).
func parseJS(src string, ts bool) (parsed, error) {
	loader := api.LoaderJS
	if ts {
		loader = api.LoaderTS
	}
	res := api.Transform(src, api.TransformOptions{
		Loader:   loader,
		Format:   api.FormatESModule,
		Target:   api.ES2022,
		Charset:  api.CharsetASCII,
		LogLevel: api.LogLevelSilent,
		// Keep imports that only TypeScript would drop, so the check sees
		// the whole program.
		TsconfigRaw: `{"compilerOptions":{"verbatimModuleSyntax":true}}`,
	})
	if len(res.Errors) > 0 {
		msgs := make([]string, len(res.Errors))
		for i, m := range res.Errors {
			if m.Location != nil {
				msgs[i] = fmt.Sprintf("%d:%d: %s", m.Location.Line, m.Location.Column, m.Text)
			} else {
				msgs[i] = m.Text
			}
		}
		return parsed{}, fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	toks, err := lexJS(string(res.Code))
	if err != nil {
		return parsed{}, fmt.Errorf("esbuild output: %w", err)
	}
	p := parsed{source: src}
	var shape strings.Builder
	for _, t := range toks {
		switch t.kind {
		case jsString, jsTemplate:
			p.strings = append(p.strings, t.value)
			shape.WriteString(map[jsKind]string{jsString: "S", jsTemplate: "T"}[t.kind])
		case jsNumber:
			shape.WriteString("N")
		default:
			shape.WriteString(t.text)
		}
		shape.WriteByte(' ')
	}
	p.shape = shape.String()
	return p, nil
}

type jsKind int

const (
	jsPunct jsKind = iota
	jsIdent
	jsNumber
	jsString
	jsTemplate // one cooked chunk of a template literal
	jsRegExp
)

type jsToken struct {
	kind  jsKind
	text  string // source text (punctuation, identifiers, numbers)
	value string // decoded value of strings and template chunks
}

// lexJS splits JavaScript into tokens, decoding string literals. It is
// written for esbuild's printed output (ASCII, no unusual constructs) and
// reports an error for anything it does not understand rather than
// guessing.
func lexJS(src string) ([]jsToken, error) {
	var toks []jsToken
	var braces []bool // for each open '{': true when it opened a template substitution
	i := 0
	regexAllowed := func() bool {
		if len(toks) == 0 {
			return true
		}
		last := toks[len(toks)-1]
		switch last.kind {
		case jsNumber, jsString, jsTemplate, jsRegExp:
			return false
		case jsIdent:
			switch last.text {
			case "return", "typeof", "case", "do", "else", "in", "instanceof", "new", "delete", "void", "throw", "yield", "await", "of":
				return true
			}
			return false
		}
		return last.text != ")" && last.text != "]" && last.text != "}"
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += end + 4
		case c == '"' || c == '\'':
			v, n, err := decodeJSString(src[i:], c)
			if err != nil {
				return nil, err
			}
			toks = append(toks, jsToken{kind: jsString, value: v})
			i += n
		case c == '`':
			v, n, sub, err := decodeJSTemplate(src[i+1:])
			if err != nil {
				return nil, err
			}
			// esbuild prints a string holding both quote characters as a
			// template literal; without substitutions it is just a string.
			kind := jsString
			if sub {
				kind = jsTemplate
				braces = append(braces, true)
			}
			toks = append(toks, jsToken{kind: kind, value: v})
			i += 1 + n
		case c == '}' && len(braces) > 0 && braces[len(braces)-1]:
			braces = braces[:len(braces)-1]
			v, n, sub, err := decodeJSTemplate(src[i+1:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, jsToken{kind: jsTemplate, value: v})
			i += 1 + n
			if sub {
				braces = append(braces, true)
			}
		case c == '/' && regexAllowed():
			n, err := scanRegExp(src[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, jsToken{kind: jsRegExp, text: src[i : i+n]})
			i += n
		case isIdentStart(c):
			j := i
			for j < len(src) && (isIdentStart(src[j]) || (src[j] >= '0' && src[j] <= '9')) {
				j++
			}
			toks = append(toks, jsToken{kind: jsIdent, text: src[i:j]})
			i = j
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9'):
			j := i
			for j < len(src) && (isIdentStart(src[j]) || (src[j] >= '0' && src[j] <= '9') || src[j] == '.' ||
				((src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, jsToken{kind: jsNumber, text: src[i:j]})
			i = j
		case c < 0x20 || c >= 0x7f:
			return nil, fmt.Errorf("unexpected byte %#x at offset %d", c, i)
		default:
			if c == '{' {
				braces = append(braces, false)
			} else if c == '}' && len(braces) > 0 {
				braces = braces[:len(braces)-1]
			}
			toks = append(toks, jsToken{kind: jsPunct, text: string(c)})
			i++
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c == '\\' || c == '#' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func scanRegExp(s string) (int, error) {
	inClass := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			inClass = true
		case ']':
			inClass = false
		case '\n':
			return 0, fmt.Errorf("unterminated regular expression")
		case '/':
			if !inClass {
				j := i + 1
				for j < len(s) && isIdentStart(s[j]) {
					j++
				}
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unterminated regular expression")
}

// decodeJSString decodes the quoted literal at the start of s and returns
// its value and length.
func decodeJSString(s string, quote byte) (string, int, error) {
	var units []uint16
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == quote:
			return string(utf16.Decode(units)), i + 1, nil
		case c == '\n' || c == '\r':
			return "", 0, fmt.Errorf("newline in string literal")
		case c == '\\':
			u, n, err := decodeEscape(s[i:])
			if err != nil {
				return "", 0, err
			}
			units = append(units, u...)
			i += n
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			units = append(units, utf16.Encode([]rune{r})...)
			i += n
		default:
			units = append(units, uint16(c))
			i++
		}
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}

// decodeJSTemplate decodes a template chunk up to the closing backquote or
// a "${"; s starts just after the opening backquote or closing brace. It
// returns the chunk's cooked value, the bytes consumed (including the
// terminator) and whether a substitution follows.
func decodeJSTemplate(s string) (string, int, bool, error) {
	var units []uint16
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '`':
			return string(utf16.Decode(units)), i + 1, false, nil
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			return string(utf16.Decode(units)), i + 2, true, nil
		case c == '\\':
			u, n, err := decodeEscape(s[i:])
			if err != nil {
				return "", 0, false, err
			}
			units = append(units, u...)
			i += n
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			units = append(units, utf16.Encode([]rune{r})...)
			i += n
		default:
			units = append(units, uint16(c))
			i++
		}
	}
	return "", 0, false, fmt.Errorf("unterminated template literal")
}

// decodeEscape decodes the escape sequence at the start of s (which begins
// with a backslash) into UTF-16 code units.
func decodeEscape(s string) ([]uint16, int, error) {
	if len(s) < 2 {
		return nil, 0, fmt.Errorf("dangling backslash")
	}
	switch c := s[1]; c {
	case 'n':
		return []uint16{'\n'}, 2, nil
	case 'r':
		return []uint16{'\r'}, 2, nil
	case 't':
		return []uint16{'\t'}, 2, nil
	case 'b':
		return []uint16{'\b'}, 2, nil
	case 'f':
		return []uint16{'\f'}, 2, nil
	case 'v':
		return []uint16{'\v'}, 2, nil
	case '0':
		if len(s) > 2 && s[2] >= '0' && s[2] <= '9' {
			return nil, 0, fmt.Errorf("legacy octal escape")
		}
		return []uint16{0}, 2, nil
	case '\n':
		return nil, 2, nil
	case '\r':
		if len(s) > 2 && s[2] == '\n' {
			return nil, 3, nil
		}
		return nil, 2, nil
	case 'x':
		if len(s) < 4 {
			return nil, 0, fmt.Errorf("short \\x escape")
		}
		v, err := strconv.ParseUint(s[2:4], 16, 8)
		if err != nil {
			return nil, 0, fmt.Errorf("bad \\x escape %q", s[:4])
		}
		return []uint16{uint16(v)}, 4, nil
	case 'u':
		if len(s) > 2 && s[2] == '{' {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return nil, 0, fmt.Errorf("unterminated \\u{} escape")
			}
			v, err := strconv.ParseUint(s[3:end], 16, 32)
			if err != nil || v > 0x10ffff {
				return nil, 0, fmt.Errorf("bad \\u{} escape %q", s[:end+1])
			}
			return utf16.Encode([]rune{rune(v)}), end + 1, nil
		}
		if len(s) < 6 {
			return nil, 0, fmt.Errorf("short \\u escape")
		}
		v, err := strconv.ParseUint(s[2:6], 16, 16)
		if err != nil {
			return nil, 0, fmt.Errorf("bad \\u escape %q", s[:6])
		}
		return []uint16{uint16(v)}, 6, nil
	default:
		if c >= '1' && c <= '9' {
			return nil, 0, fmt.Errorf("legacy octal escape")
		}
		return []uint16{uint16(c)}, 2, nil
	}
}
