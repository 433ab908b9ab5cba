package security

import (
	"regexp"
	"strings"
)

// The text validators (SQLText, Lua) look for keywords with a substring
// search and run an expression anchored at each occurrence: RE2 stops an
// anchored match as soon as it fails, so the cost is proportional to the
// text plus the keywords found, not to the text times the expressions.

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// atWordStart reports whether s[i:] starts a word (or w does not start
// with a word byte, as ";" or "||"). A digit before it counts as a
// boundary: MySQL reads 1UNION SELECT and 1OR 1=1 as two tokens.
func atWordStart(s string, i int, w string) bool {
	return !isWordByte(w[0]) || i == 0 || !isWordByte(s[i-1]) || s[i-1] >= '0' && s[i-1] <= '9'
}

// eachAt calls f with every offset at which one of words starts in s at
// a word start, until f returns true.
func eachAt(s string, words []string, f func(i int) bool) bool {
	for _, w := range words {
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], w)
			if i < 0 {
				break
			}
			i += off
			if atWordStart(s, i, w) && f(i) {
				return true
			}
			off = i + 1
		}
	}
	return false
}

// window is how far past a keyword an anchored expression may look: the
// regexp package's backtracker costs the length of its input even when
// it fails on the first byte, so the input is bounded. (An expression
// ending in $ may then match at the window's end: a harmless extra
// warning.)
const window = 256

// at returns s from i, at most window bytes.
func at(s string, i int) string {
	if len(s)-i > window {
		return s[i : i+window]
	}
	return s[i:]
}

// matchAt reports whether re, anchored with ^, matches at an occurrence
// of one of words.
func matchAt(s string, words []string, re *regexp.Regexp) bool {
	return eachAt(s, words, func(i int) bool { return re.MatchString(at(s, i)) })
}

// hasWord reports whether one of words occurs in s as a whole word.
func hasWord(s string, words []string) bool {
	for _, w := range words {
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], w)
			if i < 0 {
				break
			}
			i += off
			end := i + len(w)
			if atWordStart(s, i, w) && (end == len(s) || !isWordByte(s[end]) || !isWordByte(w[len(w)-1])) {
				return true
			}
			off = i + 1
		}
	}
	return false
}
