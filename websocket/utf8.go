package websocket

import "unicode/utf8"

// utf8Validator checks that a text message is valid UTF-8 as it arrives in
// pieces, carrying an incomplete sequence from one piece to the next, and
// fails as soon as a prefix can never become valid.
type utf8Validator struct {
	carry [4]byte
	n     int
}

func (v *utf8Validator) reset() { v.n = 0 }

// seqLen is the length of the sequence a lead byte starts, or 0 when b
// cannot start one.
func seqLen(b byte) int {
	switch {
	case b < 0x80:
		return 1
	case b >= 0xC2 && b <= 0xDF:
		return 2
	case b >= 0xE0 && b <= 0xEF:
		return 3
	case b >= 0xF0 && b <= 0xF4:
		return 4
	}
	return 0
}

// validPrefix reports whether p (shorter than its sequence) can still be
// completed into valid UTF-8.
func validPrefix(p []byte) bool {
	l := seqLen(p[0])
	if l < 2 || len(p) >= l {
		return false
	}
	if len(p) >= 2 {
		lo, hi := byte(0x80), byte(0xBF)
		switch p[0] {
		case 0xE0:
			lo = 0xA0
		case 0xED:
			hi = 0x9F
		case 0xF0:
			lo = 0x90
		case 0xF4:
			hi = 0x8F
		}
		if p[1] < lo || p[1] > hi {
			return false
		}
	}
	if len(p) >= 3 && p[2]&0xC0 != 0x80 {
		return false
	}
	return true
}

// write validates the next piece; it returns false on invalid UTF-8.
func (v *utf8Validator) write(p []byte) bool {
	if v.n > 0 {
		l := seqLen(v.carry[0])
		take := min(l-v.n, len(p))
		copy(v.carry[v.n:], p[:take])
		v.n += take
		p = p[take:]
		if v.n < l {
			return validPrefix(v.carry[:v.n])
		}
		if !utf8.Valid(v.carry[:v.n]) {
			return false
		}
		v.n = 0
	}
	i, back := len(p)-1, 0
	for i >= 0 && back < 3 && p[i]&0xC0 == 0x80 {
		i--
		back++
	}
	if i >= 0 && p[i] >= 0xC0 {
		if l := seqLen(p[i]); l == 0 {
			return false
		} else if l > len(p)-i {
			tail := p[i:]
			if !validPrefix(tail) {
				return false
			}
			v.n = copy(v.carry[:], tail)
			p = p[:i]
		}
	}
	return utf8.Valid(p)
}

// done reports whether the message ended on a sequence boundary.
func (v *utf8Validator) done() bool { return v.n == 0 }
