package security

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
)

// The bluemonday policies are built once, on first use (importing the
// package builds nothing), and are safe for concurrent use afterwards.
var (
	strictPolicy = sync.OnceValue(bluemonday.StrictPolicy)
	ugcPolicy    = sync.OnceValue(bluemonday.UGCPolicy)
)

// SanitizeHTML returns s with every tag removed (bluemonday's strict
// policy), text HTML-escaped.
func SanitizeHTML(s string) string { return strictPolicy().Sanitize(s) }

// SanitizeUGC returns s through bluemonday's user-generated-content
// policy: formatting and safe links kept, scripts, event handlers, styles
// and unsafe URLs removed.
func SanitizeUGC(s string) string { return ugcPolicy().Sanitize(s) }

func validateHTML(s string, p *bluemonday.Policy, w *warnings) string {
	out := p.Sanitize(s)
	if out == s {
		return out
	}
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "<script"):
		w.add("xss.script", "a script element; removed")
	case strings.Contains(l, "javascript:") || strings.Contains(l, "vbscript:") || strings.Contains(l, "data:"):
		w.add("xss.url", "a script or data URL; removed")
	case hasEventHandler(l):
		w.add("xss.handler", "an event handler attribute; removed")
	}
	w.add("xss.html", "markup the policy does not allow; removed or escaped")
	return out
}

// hasEventHandler reports whether l (lower case) holds on...= inside a tag.
func hasEventHandler(l string) bool {
	for i := 0; i+2 < len(l); i++ {
		if l[i] == 'o' && l[i+1] == 'n' && (i == 0 || l[i-1] == ' ' || l[i-1] == '/' || l[i-1] == '\t' || l[i-1] == '\n' || l[i-1] == '"' || l[i-1] == '\'') {
			j := i + 2
			for j < len(l) && l[j] >= 'a' && l[j] <= 'z' {
				j++
			}
			for j < len(l) && (l[j] == ' ' || l[j] == '\t' || l[j] == '\n') {
				j++
			}
			if j > i+2 && j < len(l) && l[j] == '=' && strings.LastIndexByte(l[:i], '<') > strings.LastIndexByte(l[:i], '>') {
				return true
			}
		}
	}
	return false
}

func validateHTMLAttr(s string, w *warnings) string {
	out := template.HTMLEscapeString(s)
	if out != s {
		w.add("xss.attr", "characters that end or change an attribute (quotes, <, >, &); escaped")
	}
	return out
}

func validateJSString(s string, w *warnings) string {
	out := template.JSEscapeString(s)
	if out != s {
		w.add("xss.js", "characters that end a JS string or a script (quotes, \\, <, >, &, =, line ends); escaped")
	}
	return out
}

// safeSchemes are the URL schemes URL accepts; a URL without a scheme
// (relative) is accepted too.
var safeSchemes = map[string]bool{"http": true, "https": true, "mailto": true}

// scheme returns the lower-cased scheme a browser would see in s: HTML
// entities decoded, ASCII white space and control characters dropped
// (more than a browser drops: refusing "java script:" too is the safe
// side), up to the first ':' before any '/', '?' or '#'. It returns ""
// for a relative URL, which includes text before a ':' that is not a
// valid scheme (a browser reads "a%62c:x" as a path).
func scheme(s string) string {
	s = html.UnescapeString(s)
	var b strings.Builder
	for _, r := range s {
		if r <= 0x20 || r == 0x7f || r == 0xfeff || r == 0x200b {
			continue
		}
		if r == ':' {
			return strings.ToLower(b.String())
		}
		if r == '/' || r == '?' || r == '#' {
			return ""
		}
		isScheme := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || b.Len() > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')
		if !isScheme {
			return ""
		}
		b.WriteRune(r)
	}
	return ""
}

func validateURL(s string, w *warnings) string {
	if !utf8.ValidString(s) {
		w.add("url.utf8", "invalid UTF-8")
		return ""
	}
	sc := scheme(s)
	switch {
	case sc == "":
	case sc == "javascript" || sc == "vbscript" || sc == "livescript":
		w.add("url.script", "a script URL")
		return ""
	case sc == "data":
		w.add("url.data", "a data URL")
		return ""
	case !safeSchemes[sc]:
		w.add("url.scheme", "a scheme other than http, https or mailto")
		return ""
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		w.add("url.control", "control characters")
		return ""
	}
	if _, err := url.Parse(s); err != nil {
		w.add("url.invalid", "not a URL")
		return ""
	}
	if strings.HasPrefix(s, "//") || strings.HasPrefix(s, `\\`) || strings.HasPrefix(s, `/\`) {
		w.add("url.protocol-relative", "a protocol-relative URL, which leaves the site")
		return ""
	}
	return s
}

// MaxS3KeyLen is the longest object key S3 accepts, in bytes.
const MaxS3KeyLen = 1024

func validateS3Key(s string, w *warnings) string {
	switch {
	case s == "":
		w.add("s3.empty", "an empty key")
	case len(s) > MaxS3KeyLen:
		w.add("s3.long", "a key longer than 1024 bytes")
	case !utf8.ValidString(s):
		w.add("s3.utf8", "invalid UTF-8")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }) {
		w.add("s3.control", "control characters")
	}
	for seg := range strings.SplitSeq(strings.ReplaceAll(s, `\`, "/"), "/") {
		if seg == ".." || seg == "." {
			w.add("s3.dotsegment", "a . or .. path segment, which a file-backed store or a proxy may resolve")
			break
		}
	}
	if len(*w) > 0 {
		return ""
	}
	return s
}

// ParseOrigin checks an Origin header value and returns it normalized
// (scheme and host lower-cased, default port dropped); ok is false when
// it is not scheme://host[:port] with scheme http, https, ws or wss.
func ParseOrigin(s string) (string, bool) {
	if s == "" || s == "null" || len(s) > 2048 {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return "", false
	}
	sc := strings.ToLower(u.Scheme)
	switch sc {
	case "http", "https", "ws", "wss":
	default:
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsAny(host, " \t\r\n%*\\") {
		return "", false
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", false
		}
	}
	if port == "80" && (sc == "http" || sc == "ws") || port == "443" && (sc == "https" || sc == "wss") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return sc + "://" + host + ":" + port, true
	}
	return sc + "://" + host, true
}

func validateOrigin(s string, w *warnings) string {
	if s == "null" {
		w.add("origin.null", "the opaque origin null (a sandboxed frame, a file, a redirect)")
		return ""
	}
	o, ok := ParseOrigin(s)
	if !ok {
		w.add("origin.invalid", "not scheme://host[:port] with scheme http, https, ws or wss")
		return ""
	}
	return o
}
