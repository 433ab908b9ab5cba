package codegen

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// GoString returns s as a Go interpreted string literal, ASCII only:
// quotes, backslashes, control characters, bidirectional overrides and
// every non-ASCII rune are escaped, and bytes that are not valid UTF-8
// become \x escapes, so the literal's value is s byte for byte. It costs
// one pass over s.
func GoString(s string) string { return strconv.QuoteToASCII(s) }

// JSString returns s as a JavaScript (and TypeScript) double-quoted string
// literal, ASCII only: printable ASCII other than the quote and backslash
// is kept, and everything else is written as \n, \r, \t or \uXXXX (UTF-16
// surrogate pairs above U+FFFF). The literal is safe in any expression
// position, including inside template-literal substitutions. JavaScript
// strings hold UTF-16 text, so s must be valid UTF-8; JSString reports an
// error otherwise.
func JSString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("value %s is not valid UTF-8, which a JavaScript string cannot hold", strconv.QuoteToASCII(s))
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// maxSafeJS is Number.MAX_SAFE_INTEGER: integers beyond it lose precision
// as JavaScript numbers.
const maxSafeJS = 1<<53 - 1

// JSInt returns n as a JavaScript number literal, or an error when n is
// beyond ±(2^53-1), where a JavaScript number would silently round it.
func JSInt(n int64) (string, error) {
	if n > maxSafeJS || n < -maxSafeJS {
		return "", fmt.Errorf("integer %d is beyond JavaScript's safe integer range (2^53-1)", n)
	}
	return strconv.FormatInt(n, 10), nil
}

// GoDuration returns d as a Go expression of type time.Duration that
// reads naturally: "5 * time.Second", "250 * time.Millisecond", or
// "time.Duration(n)" for odd values.
func GoDuration(d time.Duration) string {
	units := []struct {
		unit time.Duration
		name string
	}{
		{time.Hour, "time.Hour"}, {time.Minute, "time.Minute"}, {time.Second, "time.Second"},
		{time.Millisecond, "time.Millisecond"}, {time.Microsecond, "time.Microsecond"},
	}
	if d == 0 {
		return "0"
	}
	for _, u := range units {
		if d%u.unit == 0 {
			n := int64(d / u.unit)
			if n == 1 {
				return u.name
			}
			if n < 0 {
				return fmt.Sprintf("(%d * %s)", n, u.name)
			}
			return fmt.Sprintf("%d * %s", n, u.name)
		}
	}
	return fmt.Sprintf("time.Duration(%d)", int64(d))
}

// JSMillis returns d in whole milliseconds as a JavaScript number literal
// (JavaScript timers and client options count milliseconds). A nonzero d
// under a millisecond rounds up to 1 so it never turns into "no timeout".
func JSMillis(d time.Duration) string {
	ms := d.Milliseconds()
	if d > 0 && ms == 0 {
		ms = 1
	}
	if ms > maxSafeJS {
		ms = maxSafeJS
	}
	return strconv.FormatInt(ms, 10)
}

// GoFloat returns f as a Go floating-point literal that parses back to
// exactly f; NaN and infinities, which have no literal, are an error.
func GoFloat(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("%v has no Go literal", f)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s, nil
}
