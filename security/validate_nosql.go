package security

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// EscapeGlob escapes the Redis glob metacharacters * ? [ ] and \ in s
// with \, so that a KEYS, SCAN MATCH or PSUBSCRIBE pattern built as
// EscapeGlob(prefix)+"*" matches prefix literally.
func EscapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func validateRedisPattern(s string, w *warnings) string {
	if strings.ContainsAny(s, `*?[]`) {
		w.add("redis.glob", "glob metacharacters (* ? [ ]), escaped")
	}
	if strings.IndexByte(s, '\\') >= 0 {
		w.add("redis.glob.escape", "the glob escape character \\, escaped")
	}
	if strings.ContainsAny(s, "\r\n") {
		w.add("redis.crlf", "CR or LF")
	}
	return EscapeGlob(s)
}

func validateRedisInline(s string, w *warnings) string {
	if !strings.ContainsAny(s, "\r\n\x00") {
		return s
	}
	w.add("redis.crlf", "CR, LF or NUL, which would end or split an inline command; removed")
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, s)
}

// luaRules are checked in order: each anchored expression runs at the
// occurrences of its words (see eachAt).
var luaRules = []struct {
	words      []string
	re         *regexp.Regexp // nil: a word alone is the finding
	rule, text string
}{
	{[]string{"loadstring", "load", "dofile", "loadfile", "require"}, nil, "lua.load", "loads code at run time"},
	{[]string{"os", "io", "debug", "package"}, regexp.MustCompile(`^(os|io|debug|package)\s*\.`), "lua.sandbox", "reaches os, io, debug or package"},
	{[]string{"setfenv", "getfenv", "setmetatable", "rawset", "string"}, regexp.MustCompile(`^(?:(setfenv|getfenv|setmetatable|rawset)\s*\(|string\s*\.\s*dump\b)`), "lua.env", "changes environments or metatables"},
	{[]string{"redis"}, regexp.MustCompile(`(?i)^redis\s*\.\s*p?call\s*\(\s*['"](flushall|flushdb|config|shutdown|debug|script|function|keys|acl|module|replicaof|slaveof|migrate)['"]`), "lua.admin", "calls an administrative or whole-keyspace command"},
	{[]string{"while", "repeat"}, regexp.MustCompile(`^(?:while\s+(true|1)\s+do\b|repeat\b[\s\S]*\buntil\s+(false|nil)\b)`), "lua.loop", "a loop that never ends by itself"},
	{[]string{".."}, regexp.MustCompile(`^\.\.\s*(ARGV|KEYS)\s*\[`), "lua.concat", "builds a command or key by concatenating arguments"},
}

func validateLua(s string, w *warnings) string {
	t := s
	if len(t) > maxSQLScan {
		t = t[:maxSQLScan]
		w.add("lua.long", "script longer than 64 KiB; only its start was checked")
	}
	for _, r := range luaRules {
		if r.re == nil && hasWord(t, r.words) || r.re != nil && matchAt(t, r.words, r.re) {
			w.add(r.rule, "the script "+r.text)
		}
	}
	return s
}

// maxJSONDepth bounds the nesting JSONDoc accepts.
const maxJSONDepth = 64

// pollutionKeys are the keys that reach an object's prototype in
// JavaScript when merged or assigned by path.
var pollutionKeys = map[string]bool{"__proto__": true, "constructor": true, "prototype": true}

func validateJSON(s string, w *warnings) string {
	if depthExceeds(s, maxJSONDepth) {
		w.add("json.depth", "nesting deeper than 64")
		return ""
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		w.add("json.invalid", "not a JSON document")
		return ""
	}
	if _, err := d.Token(); err == nil {
		w.add("json.trailing", "data after the JSON document")
		return ""
	}
	v = cleanJSON(v, w)
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		w.add("json.invalid", "not a JSON document")
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// depthExceeds reports whether the JSON text nests deeper than max,
// counting brackets outside strings, before anything is decoded.
func depthExceeds(s string, max int) bool {
	depth, inStr, esc := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

func cleanJSON(v any, w *warnings) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			switch {
			case strings.HasPrefix(k, "$"):
				w.add("json.operator", "a key starting with $ (operator injection); removed")
				delete(x, k)
			case pollutionKeys[k]:
				w.add("json.prototype", "a prototype-pollution key (__proto__, constructor, prototype); removed")
				delete(x, k)
			default:
				x[k] = cleanJSON(val, w)
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = cleanJSON(x[i], w)
		}
		return x
	}
	return v
}
