package security

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/infra-arsenal/arsenal"
)

// maxIdent is the longest identifier Validate calls plain.
const maxIdent = 128

// QuoteIdent quotes name as a SQL identifier the way SQLite and
// PostgreSQL read it: in double quotes, with each double quote doubled.
// A NUL byte, which would cut the identifier short in C code, is dropped.
func QuoteIdent(name string) string {
	name = strings.ReplaceAll(name, "\x00", "")
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteLiteral quotes s as a SQL string literal ('it”s'), dropping NUL
// bytes. Prefer a bound parameter.
func QuoteLiteral(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// EscapeLike escapes %, _ and \ in s with \, so that
// "col LIKE ? ESCAPE '\'" bound to EscapeLike(s)+"%" matches s
// literally as a prefix.
func EscapeLike(s string) string {
	if !strings.ContainsAny(s, `%_\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%', '_', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isPlainIdent(s string) bool {
	if s == "" || len(s) > maxIdent {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func validateSQLIdent(s string, w *warnings) string {
	switch {
	case s == "":
		w.add("sql.ident.empty", "an identifier must not be empty")
	case len(s) > maxIdent:
		w.add("sql.ident.long", "an identifier is longer than 128 bytes")
	case strings.IndexByte(s, 0) >= 0:
		w.add("sql.nul", "a NUL byte in an identifier")
	case !isPlainIdent(s):
		w.add("sql.ident.chars", "an identifier holds characters other than letters, digits and _")
	}
	return QuoteIdent(s)
}

func validateSQLString(s string, w *warnings) string {
	if strings.IndexByte(s, 0) >= 0 {
		w.add("sql.nul", "a NUL byte in a string literal")
	}
	if !utf8.ValidString(s) {
		w.add("sql.utf8", "invalid UTF-8 in a string literal")
	}
	if strings.IndexByte(s, '\'') >= 0 {
		w.add("sql.quote", "a single quote, doubled in the literal")
	}
	return QuoteLiteral(s)
}

func validateSQLLike(s string, w *warnings) string {
	if strings.ContainsAny(s, `%_`) {
		w.add("sql.like.wildcard", "LIKE wildcards % or _, escaped")
	}
	if strings.IndexByte(s, '\\') >= 0 {
		w.add("sql.like.escape", "the LIKE escape character \\, escaped")
	}
	return EscapeLike(s)
}

// parseOrderBy splits "a, b DESC" into columns and directions; ok is
// false when a term is not an identifier with an optional ASC or DESC.
func parseOrderBy(s string) (cols, dirs []string, ok bool) {
	if strings.TrimSpace(s) == "" {
		return nil, nil, false
	}
	for term := range strings.SplitSeq(s, ",") {
		f := strings.Fields(term)
		if len(f) == 0 || len(f) > 2 || !isPlainIdent(f[0]) {
			return nil, nil, false
		}
		dir := ""
		if len(f) == 2 {
			dir = strings.ToUpper(f[1])
			if dir != "ASC" && dir != "DESC" {
				return nil, nil, false
			}
		}
		cols = append(cols, f[0])
		dirs = append(dirs, dir)
	}
	return cols, dirs, true
}

func formatOrderBy(cols, dirs []string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteIdent(c))
		if dirs[i] != "" {
			b.WriteString(" " + dirs[i])
		}
	}
	return b.String()
}

func validateOrderBy(s string, w *warnings) string {
	cols, dirs, ok := parseOrderBy(s)
	if !ok {
		w.add("sql.orderby", "ORDER BY must be identifiers, each with an optional ASC or DESC")
		return ""
	}
	return formatOrderBy(cols, dirs)
}

// Allowlist is a set of table or column names a query may name
// dynamically. Build it once with NewAllowlist; it is safe for
// concurrent use. Names compare exactly (case-sensitive).
type Allowlist struct {
	names map[string]struct{}
}

// NewAllowlist returns an allowlist of names.
func NewAllowlist(names ...string) *Allowlist {
	a := &Allowlist{names: make(map[string]struct{}, len(names))}
	for _, n := range names {
		a.names[n] = struct{}{}
	}
	return a
}

// Allowed reports whether name is in the list.
func (a *Allowlist) Allowed(name string) bool {
	if a == nil {
		return false
	}
	_, ok := a.names[name]
	return ok
}

// Ident returns name quoted with QuoteIdent, or an InvalidArgument error
// (that does not quote the name) when it is not in the list.
func (a *Allowlist) Ident(name string) (string, error) {
	if !a.Allowed(name) {
		return "", arsenal.Errorf(arsenal.InvalidArgument, Kind, "allowlist", "identifier is not in the allowlist")
	}
	return QuoteIdent(name), nil
}

// OrderBy checks an ORDER BY list ("name, created DESC") against the
// list and returns it with quoted identifiers, or an InvalidArgument
// error when a term is malformed or names a column not in the list.
func (a *Allowlist) OrderBy(spec string) (string, error) {
	cols, dirs, ok := parseOrderBy(spec)
	if !ok {
		return "", arsenal.Errorf(arsenal.InvalidArgument, Kind, "order by", "ORDER BY must be identifiers, each with an optional ASC or DESC")
	}
	for _, c := range cols {
		if !a.Allowed(c) {
			return "", arsenal.Errorf(arsenal.InvalidArgument, Kind, "order by", "ORDER BY names a column that is not in the allowlist")
		}
	}
	return formatOrderBy(cols, dirs), nil
}

var (
	sqlBlockComment = regexp.MustCompile(`/\*.*?\*/`)
	sqlStacked      = regexp.MustCompile(`^;\s*(select|insert|update|delete|drop|create|alter|truncate|exec|execute|pragma|attach|detach|grant|revoke|shutdown|declare|replace|merge|call|copy|vacuum)\b`)
	sqlUnion        = regexp.MustCompile(`^union\s+(all\s+|distinct\s+)?\(?\s*select\b`)
	sqlOrTrue       = regexp.MustCompile(`^(?:or\s+(true|not\s+false)\b|or\s+\d+\s*(--|#|;|/\*|\)|$)|or\s+\d+\s*[<>]=?\s*\d+)`)
	sqlTautology    = regexp.MustCompile(`^(?:or\b|\|\|)\s*\(?\s*(['"]?)([\w.]+)['"]?\s*(=|<>|!=|like|is)\s*(['"]?)([\w.]+)['"]?`)
	sqlSubquery     = regexp.MustCompile(`^\(\s*select\b`)
	sqlDelay        = regexp.MustCompile(`^(?:(sleep|pg_sleep|benchmark|randomblob)\s*\(|waitfor\s+delay\b)`)
	sqlOutfile      = regexp.MustCompile(`^into\s+outfile\b`)

	sqlSchemaWords = []string{"information_schema", "sqlite_master", "sqlite_schema", "pg_catalog", "pg_shadow", "sysobjects", "mysql.user"}
	sqlFuncWords   = []string{"load_extension", "xp_cmdshell", "load_file"}
)

// maxSQLScan bounds the text SQLText's regular expressions scan: longer
// text is checked on its first 64 KiB, and reported as long.
const maxSQLScan = 64 << 10

func validateSQLText(s string, w *warnings) string {
	t := s
	if len(t) > maxSQLScan {
		t = t[:maxSQLScan]
		w.add("sql.long", "text longer than 64 KiB; only its start was checked")
	}
	if strings.IndexByte(t, 0) >= 0 {
		w.add("sql.nul", "a NUL byte")
	}
	l := strings.ToLower(t)
	if strings.Contains(l, "--") || strings.Contains(l, "/*") || strings.Contains(l, "#") && strings.Contains(l, "'") {
		w.add("sql.comment", "a SQL comment (--, /* */ or #)")
	}
	// Comments are read as spaces, as the SQL parser reads them:
	// UNION/**/SELECT is UNION SELECT.
	n := l
	if strings.Contains(l, "/*") {
		n = sqlBlockComment.ReplaceAllString(l, " ")
	}
	if matchAt(n, []string{";"}, sqlStacked) {
		w.add("sql.stacked", "a stacked statement (; followed by a statement)")
	}
	if matchAt(n, []string{"union"}, sqlUnion) {
		w.add("sql.union", "UNION SELECT")
	}
	if matchAt(n, []string{"or"}, sqlOrTrue) || eachAt(n, []string{"or", "||"}, func(i int) bool {
		m := sqlTautology.FindStringSubmatch(at(n, i))
		return m != nil && m[2] == m[5]
	}) {
		w.add("sql.tautology", "a condition that is always true (OR 1=1, OR 'a'='a', OR TRUE)")
	}
	if matchAt(n, []string{"("}, sqlSubquery) {
		w.add("sql.subquery", "a subquery ((SELECT ...))")
	}
	if matchAt(n, []string{"sleep", "pg_sleep", "benchmark", "randomblob", "waitfor"}, sqlDelay) {
		w.add("sql.delay", "a time delay function (SLEEP, PG_SLEEP, BENCHMARK, WAITFOR)")
	}
	if hasWord(n, sqlSchemaWords) {
		w.add("sql.schema", "a reference to the schema catalogue")
	}
	if hasWord(n, sqlFuncWords) || matchAt(n, []string{"into"}, sqlOutfile) {
		w.add("sql.dangerous", "a file or command function (load_extension, xp_cmdshell, INTO OUTFILE)")
	}
	if strings.Count(t, "'")%2 == 1 {
		w.add("sql.quote", "an unbalanced single quote")
	}
	return s
}
