package redis

import (
	"bytes"
	"math"
	"strconv"

	"github.com/infra-arsenal/arsenal"
)

// The reply guard. rueidis's RESP reader trusts the lengths a server
// sends: a blob length of -2 or an array length of -3 panics inside its
// reader goroutine (no recover there, so the process dies), and $2000000000
// allocates 2 GB before a byte of the body arrives. Every connection the
// Client dials therefore reads through a respGuard, which follows the RESP2
// and RESP3 framing of the bytes before rueidis sees them and fails the
// connection with a coded error on anything rueidis would mishandle:
//
//   - a negative length other than -1 (null), or -1 where rueidis does not
//     take it as null (maps, attributes, stream chunks);
//   - a length over 64 bits or non-digit bytes, a header line
//     not ended by CRLF, an unknown type byte, a malformed boolean or null;
//   - a reply (a top-level message with everything nested in it) whose
//     declared sizes add up to more than Config.MaxReplyBytes: blob lengths
//     plus 40 bytes for each aggregate element rueidis allocates up front;
//   - a simple string, error or number line longer than maxReplyLine, and
//     aggregates nested deeper than maxReplyDepth (rueidis's reader
//     recurses per level).
//
// The guard only counts: it keeps no bytes, so its memory is constant.

const (
	// DefaultMaxReplyBytes is the default Config.MaxReplyBytes: Redis's
	// own proto-max-bulk-len (512 MiB).
	DefaultMaxReplyBytes = 512 << 20
	maxReplyLine         = 1 << 20
	maxReplyDepth        = 512
	replyElemCost        = 40 // bytes rueidis allocates per aggregate element
	maxLenDigits         = 19
)

// Guard states.
const (
	gType  uint8 = iota // expecting a type byte
	gLine               // inside a header or simple line
	gCR                 // saw '\r' at the end of a line; expecting '\n'
	gBody               // skipping a blob body and its CRLF
	gChunk              // inside a streamed blob: expecting ';'
)

// Line modes.
const (
	lineOther  uint8 = iota // '#', '_', '.': checked byte by byte
	lineNumber              // a length or an integer: digits
	lineText                // '+', '-', ',', '(': any bytes up to CR
)

// guardFrame is an open aggregate.
type guardFrame struct {
	left     int64 // elements still to come; -1 for a streamed aggregate
	attr     bool  // an attribute, which does not count in its parent
	streamed bool
}

// respGuard validates a RESP reply stream as it is read.
type respGuard struct {
	max     int64 // reply budget; <= 0 means no size check
	st      uint8
	typ     byte
	num     int64 // the header number being parsed
	digits  int
	neg     bool
	chunked bool // the header had '?' (a streamed length)
	lineLen int64
	body    int64
	inChunk bool  // within a streamed blob ($?)
	mode    uint8 // how the current line is read (lineText ...)
	used    int64
	stack   []guardFrame
}

func newRespGuard(max int64) *respGuard { return &respGuard{max: max} }

// numeric reports whether typ's line is a length (or an integer).
func lengthType(typ byte) bool {
	switch typ {
	case '$', '!', '=', '*', '~', '>', '%', '|', ';':
		return true
	}
	return false
}

func (g *respGuard) fail(format string, args ...any) error {
	return arsenal.Errorf(arsenal.DataLoss, Kind, "read reply", "malformed reply from the server: "+format+"; connection closed", args...)
}

func (g *respGuard) tooBig(what string, n int64) error {
	return arsenal.Errorf(arsenal.ResourceExhausted, Kind, "read reply",
		"the server's reply declares %s of %d bytes, over Config.MaxReplyBytes (%d); connection closed", what, n, g.max)
}

// spend adds n bytes to the current reply's budget.
func (g *respGuard) spend(n int64, what string) error {
	if g.max <= 0 {
		return nil
	}
	if n > g.max || g.used+n > g.max {
		return g.tooBig(what, g.used+n)
	}
	g.used += n
	return nil
}

// spendAggregate adds an aggregate of n elements to the budget (its
// message built only when it is over).
func (g *respGuard) spendAggregate(n int64) error {
	if g.max <= 0 {
		return nil
	}
	if c := n * replyElemCost; c > g.max || g.used+c > g.max {
		return g.spend(c, "an aggregate of "+strconv.FormatInt(n, 10)+" elements")
	}
	g.used += n * replyElemCost
	return nil
}

// check validates p, the next bytes of the stream.
func (g *respGuard) check(p []byte) error {
	for i := 0; i < len(p); i++ {
		switch g.st {
		case gBody:
			// Skip as much of the body (and its CRLF) as p holds.
			n := min(int64(len(p)-i), g.body)
			g.body -= n
			i += int(n) - 1
			if g.body == 0 {
				g.st = gType
				if g.inChunk {
					g.st = gChunk
				} else if err := g.element(); err != nil {
					return err
				}
			}
		case gChunk:
			if p[i] != ';' {
				return g.fail("a streamed string chunk does not start with ';' (got byte %d)", p[i])
			}
			g.beginLine(';')
		case gType:
			b := p[i]
			switch b {
			case '$', '!', '=', '*', '~', '>', '%', '|', '+', '-', ':', ',', '(', '#', '_', '.':
			default:
				return g.fail("unknown type byte %d", b)
			}
			g.beginLine(b)
		case gLine:
			switch g.mode {
			case lineText:
				// A simple string, error, double or big number: only
				// its length matters, so find its end in bulk.
				j := bytes.IndexByte(p[i:], '\r')
				if j < 0 {
					j = len(p) - i
				}
				g.lineLen += int64(j)
				if g.lineLen > maxReplyLine {
					return g.fail("a %q line is longer than %d bytes", g.typ, maxReplyLine)
				}
				i += j
				if i < len(p) {
					g.st = gCR
				}
			case lineNumber:
				for ; i < len(p); i++ {
					b := p[i]
					if b == '\r' {
						g.st = gCR
						break
					}
					g.lineLen++
					if err := g.digit(b); err != nil {
						return err
					}
				}
			default:
				b := p[i]
				if b == '\r' {
					g.st = gCR
					continue
				}
				g.lineLen++
				if g.lineLen > maxReplyLine {
					return g.fail("a %q line is longer than %d bytes", g.typ, maxReplyLine)
				}
				switch g.typ {
				case '#':
					if g.lineLen > 1 || (b != 't' && b != 'f') {
						return g.fail("a boolean is not #t or #f")
					}
				case '_', '.':
					return g.fail("a null or end marker carries data")
				}
			}
		case gCR:
			if p[i] != '\n' {
				return g.fail("a %q line is not ended by CRLF", g.typ)
			}
			if err := g.endLine(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *respGuard) beginLine(typ byte) {
	g.st, g.typ = gLine, typ
	switch {
	case lengthType(typ) || typ == ':':
		g.mode = lineNumber
	case typ == '+' || typ == '-' || typ == ',' || typ == '(':
		g.mode = lineText
	default:
		g.mode = lineOther
	}
	g.num, g.digits, g.neg, g.chunked, g.lineLen = 0, 0, false, false, 0
}

// digit takes one byte of a length or integer line.
func (g *respGuard) digit(b byte) error {
	switch {
	case g.lineLen == 1 && b == '-':
		g.neg = true
	case g.lineLen == 1 && b == '?' && g.typ != ':' && g.typ != ';':
		g.chunked = true
	case b >= '0' && b <= '9' && !g.chunked:
		g.digits++
		if g.digits > maxLenDigits {
			if g.typ == ':' {
				// rueidis's integer parse wraps silently but never
				// panics; a 19-digit integer is still refused here, as
				// Redis never sends one.
				return g.fail("an integer has more than %d digits", maxLenDigits)
			}
			return g.fail("a %q length has more than %d digits", g.typ, maxLenDigits)
		}
		d := int64(b - '0')
		if g.num > (math.MaxInt64-d)/10 {
			return g.fail("a %q number overflows 64 bits", g.typ)
		}
		g.num = g.num*10 + d
	default:
		return g.fail("byte %d in a %q length", b, g.typ)
	}
	return nil
}

// endLine acts on a complete header line.
func (g *respGuard) endLine() error {
	typ := g.typ
	g.st = gType
	if g.inChunk && typ != ';' {
		return g.fail("a streamed string holds a %q", typ)
	}
	if !lengthType(typ) {
		switch {
		case typ == ':' && (g.digits == 0 && !g.neg):
			return g.fail("an empty integer")
		case typ == '#' && g.lineLen != 1:
			return g.fail("a boolean is not #t or #f")
		}
		if typ == '.' {
			return g.end()
		}
		if err := g.spend(g.lineLen, "a line"); err != nil {
			return err
		}
		return g.element()
	}
	if g.chunked {
		if g.lineLen != 1 {
			return g.fail("bytes after '?' in a %q header", typ)
		}
		switch typ {
		case '$', '!', '=':
			g.inChunk = true
			g.st = gChunk
			return nil
		}
		return g.open(-1, typ == '|', true)
	}
	if g.digits == 0 {
		return g.fail("a %q header without a length", typ)
	}
	n := g.num
	if g.neg {
		if n != 1 {
			return g.fail("length -%d in a %q header", n, typ)
		}
		switch typ {
		case '$', '!', '=', '*', '~', '>':
			return g.element() // a RESP2 null
		}
		return g.fail("length -1 in a %q header", typ)
	}
	switch typ {
	case ';':
		if n == 0 {
			g.inChunk = false
			return g.element()
		}
		if err := g.spend(n, "a string chunk"); err != nil {
			return err
		}
		g.st, g.body = gBody, n+2
		return nil
	case '$', '!', '=':
		if err := g.spend(n, "a string"); err != nil {
			return err
		}
		g.st, g.body = gBody, n+2
		return nil
	case '%', '|':
		if n > (1<<62)/replyElemCost {
			return g.tooBig("a map", n)
		}
		n *= 2
	}
	if n > (1<<62)/replyElemCost {
		return g.tooBig("an aggregate", n)
	}
	if err := g.spendAggregate(n); err != nil {
		return err
	}
	return g.open(n, typ == '|', false)
}

// open starts an aggregate of n elements (-1: streamed).
func (g *respGuard) open(n int64, attr, streamed bool) error {
	if len(g.stack) >= maxReplyDepth {
		return g.fail("aggregates nested deeper than %d", maxReplyDepth)
	}
	if n == 0 {
		if attr {
			return nil
		}
		return g.element()
	}
	g.stack = append(g.stack, guardFrame{left: n, attr: attr, streamed: streamed})
	return nil
}

// element notes that one complete element ended.
func (g *respGuard) element() error {
	for len(g.stack) > 0 {
		f := &g.stack[len(g.stack)-1]
		if f.streamed {
			if err := g.spend(replyElemCost, "a streamed aggregate"); err != nil {
				return err
			}
			return nil
		}
		f.left--
		if f.left > 0 {
			return nil
		}
		attr := f.attr
		g.stack = g.stack[:len(g.stack)-1]
		if attr {
			return nil // the attribute's message follows, in the same place
		}
	}
	g.used = 0 // a top-level reply is complete
	return nil
}

// end handles '.', the end of a streamed aggregate (or, elsewhere, a
// null element, as rueidis reads it).
func (g *respGuard) end() error {
	if n := len(g.stack); n > 0 && g.stack[n-1].streamed {
		attr := g.stack[n-1].attr
		g.stack = g.stack[:n-1]
		if attr {
			return nil
		}
	}
	return g.element()
}
