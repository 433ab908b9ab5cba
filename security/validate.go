package security

import (
	"fmt"
	"strings"

	"github.com/infra-arsenal/arsenal"
)

// Kind is the component name this package's errors carry.
const Kind = "security"

// Context says where an input is going, and so which rules Validate
// applies to it and how it sanitizes it.
type Context int

// The contexts Validate knows. Each one's doc says what Sanitized is.
const (
	// SQLIdent is a dynamic table or column name. Sanitized is the name
	// quoted with QuoteIdent; Safe means it is a plain identifier
	// ([A-Za-z_][A-Za-z0-9_]*, at most 128 bytes). Check the name against
	// an Allowlist as well: quoting stops injection, not access to
	// another table.
	SQLIdent Context = iota + 1
	// SQLString is a value to be written as a SQL string literal.
	// Sanitized is the quoted literal ('it''s'). Bind it as a parameter
	// instead wherever you can.
	SQLString
	// SQLLike is a value to be matched literally inside a LIKE pattern.
	// Sanitized escapes %, _ and \ with \; use it as
	// "col LIKE ? ESCAPE '\'".
	SQLLike
	// SQLOrderBy is an ORDER BY list ("name, created DESC"). Safe means
	// every term is a plain identifier with an optional ASC or DESC;
	// Sanitized is the list with quoted identifiers. Allowlist.OrderBy
	// also checks the columns.
	SQLOrderBy
	// SQLText is free text that is bound for SQL (a search box, a form
	// field). It is never changed (Sanitized == input); the warnings
	// report the shapes of SQL injection in it: stacked statements,
	// comments, tautologies, UNION SELECT, time delays, a stray quote.
	// They are a signal for logs and audit, not a defence: parameter
	// binding is the defence.
	SQLText
	// RedisPattern is a literal to be matched by a KEYS, SCAN MATCH,
	// PSUBSCRIBE or HSCAN pattern. Sanitized escapes * ? [ ] \ with \.
	RedisPattern
	// RedisInline is an argument that could reach an inline (telnet
	// style) Redis command or a protocol line. CR, LF and NUL are
	// reported and removed in Sanitized.
	RedisInline
	// Lua is the text of a Lua script for EVAL or FUNCTION LOAD. It is
	// never changed; the warnings name what a script should not do
	// (load code at run time, reach os/io/debug, call administrative
	// commands, loop forever).
	Lua
	// JSONDoc is a JSON document headed for a document store or a
	// JavaScript consumer. Keys starting with $ (operator injection) and
	// the prototype-pollution keys __proto__, constructor and prototype
	// are reported and removed in Sanitized (re-encoded, keys sorted).
	// Invalid JSON, or nesting deeper than 64, gives an empty Sanitized.
	JSONDoc
	// HTML is markup from an untrusted source shown as text-level HTML.
	// Sanitized is bluemonday's strict policy output: every tag removed.
	HTML
	// HTMLUGC is user-generated markup (comments, posts). Sanitized is
	// bluemonday's UGC policy output: formatting and links kept, scripts,
	// event handlers, styles and unsafe URLs removed.
	HTMLUGC
	// HTMLAttr is a value written inside a quoted HTML attribute.
	// Sanitized is html/template's HTML escaping of it.
	HTMLAttr
	// URL is a link target (href, src, a redirect). Schemes other than
	// http, https and mailto (javascript:, data:, vbscript:, file: ...)
	// are refused, also when hidden by case, whitespace, control
	// characters or HTML entities; Sanitized is "" when refused and the
	// input otherwise.
	URL
	// JSString is a value written inside a JavaScript string literal.
	// Sanitized is html/template's JS string escaping of it.
	JSString
	// S3Key is an object key. Empty keys, keys over 1024 bytes, control
	// characters, invalid UTF-8 and "." or ".." path segments are
	// refused; Sanitized is "" when refused and the key otherwise.
	S3Key
	// WSOrigin is the Origin header of a WebSocket handshake. It must be
	// scheme://host[:port] with scheme http or https (or ws/wss), no
	// path, query or user info; "null" is refused. Sanitized is the
	// origin lower-cased, "" when refused. OriginPolicy checks it
	// against the trusted origins.
	WSOrigin
)

var contextNames = [...]string{
	SQLIdent: "SQLIdent", SQLString: "SQLString", SQLLike: "SQLLike", SQLOrderBy: "SQLOrderBy",
	SQLText: "SQLText", RedisPattern: "RedisPattern", RedisInline: "RedisInline", Lua: "Lua",
	JSONDoc: "JSONDoc", HTML: "HTML", HTMLUGC: "HTMLUGC", HTMLAttr: "HTMLAttr", URL: "URL",
	JSString: "JSString", S3Key: "S3Key", WSOrigin: "WSOrigin",
}

// String returns the context's name, such as "SQLIdent".
func (c Context) String() string {
	if c > 0 && int(c) < len(contextNames) {
		return contextNames[c]
	}
	return fmt.Sprintf("Context(%d)", int(c))
}

// Warning is one finding of Validate. Rule is stable and machine-readable
// ("sql.union"); Message is for people. Neither quotes the input.
type Warning struct {
	Rule    string
	Message string
}

// String returns "rule: message".
func (w Warning) String() string { return w.Rule + ": " + w.Message }

// Result is what Validate found. Safe means the input can be used as it
// is in that context; Sanitized is what to use instead (see each
// Context's doc); Warnings say why it is not safe.
type Result struct {
	Safe      bool
	Sanitized string
	Warnings  []Warning
}

// Has reports whether the result carries a warning with the rule.
func (r Result) Has(rule string) bool {
	for _, w := range r.Warnings {
		if w.Rule == rule {
			return true
		}
	}
	return false
}

// Err returns nil for a safe result and otherwise an InvalidArgument
// error naming the rules (never the input), with op as its operation.
func (r Result) Err(op string) error {
	if r.Safe {
		return nil
	}
	rules := make([]string, 0, len(r.Warnings))
	for _, w := range r.Warnings {
		rules = append(rules, w.Rule)
	}
	return arsenal.Errorf(arsenal.InvalidArgument, Kind, op, "input refused: %s", strings.Join(rules, ", "))
}

// Validate checks input for the context c and sanitizes it. It never
// panics, and its cost is linear in the input (JSON is bounded in depth).
// An unknown context gives an unsafe result with the rule
// "context.unknown" and an empty Sanitized.
func Validate(input string, c Context) Result {
	var w warnings
	var out string
	switch c {
	case SQLIdent:
		out = validateSQLIdent(input, &w)
	case SQLString:
		out = validateSQLString(input, &w)
	case SQLLike:
		out = validateSQLLike(input, &w)
	case SQLOrderBy:
		out = validateOrderBy(input, &w)
	case SQLText:
		out = validateSQLText(input, &w)
	case RedisPattern:
		out = validateRedisPattern(input, &w)
	case RedisInline:
		out = validateRedisInline(input, &w)
	case Lua:
		out = validateLua(input, &w)
	case JSONDoc:
		out = validateJSON(input, &w)
	case HTML:
		out = validateHTML(input, strictPolicy(), &w)
	case HTMLUGC:
		out = validateHTML(input, ugcPolicy(), &w)
	case HTMLAttr:
		out = validateHTMLAttr(input, &w)
	case URL:
		out = validateURL(input, &w)
	case JSString:
		out = validateJSString(input, &w)
	case S3Key:
		out = validateS3Key(input, &w)
	case WSOrigin:
		out = validateOrigin(input, &w)
	default:
		w.add("context.unknown", "unknown validation context")
	}
	return Result{Safe: len(w) == 0, Sanitized: out, Warnings: w}
}

// CheckInput is Validate(input, c).Err("validate " + c.String()).
func CheckInput(input string, c Context) error {
	r := Validate(input, c)
	if r.Safe {
		return nil
	}
	return r.Err("validate " + c.String())
}

type warnings []Warning

// add appends a warning once per rule.
func (w *warnings) add(rule, msg string) {
	for _, x := range *w {
		if x.Rule == rule {
			return
		}
	}
	*w = append(*w, Warning{Rule: rule, Message: msg})
}
