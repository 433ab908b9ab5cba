package security

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a Secret prints instead of its value.
const Redacted = "[REDACTED]"

// Secret holds a password, a secret key, a session token or a credential
// header value so that it never prints: String, GoString, every fmt verb
// (%v, %+v, %#v, %s, %q, %x, %d ...), slog (LogValue), JSON and text
// marshalling all give Redacted (or "" for the zero Secret). Reveal is the
// one way to read the value, and is what a client calls when it sends it.
//
// The value sits in a closure behind a pointer, so even a Secret held in
// an unexported field of another struct, which fmt prints by reflection
// without calling its methods, shows only an address.
//
// The zero Secret is empty. A Secret is immutable and safe for concurrent
// use; copies share the value.
type Secret struct {
	v *secretValue
}

// secretValue keeps the value in a closure: fmt prints a func as an
// address, whatever path (a bad verb, an unexported field) leads it there.
type secretValue struct{ reveal func() string }

// NewSecret wraps s; an empty s gives the zero (empty) Secret.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{v: &secretValue{reveal: func() string { return s }}}
}

// Reveal returns the value, for the code that sends it on the wire. Never
// log or print what it returns.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return s.v.reveal()
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == nil }

// Equal reports whether s and o hold the same value, in time independent
// of where they differ.
func (s Secret) Equal(o Secret) bool {
	a, b := s.Reveal(), o.Reveal()
	if len(a) != len(b) {
		return false
	}
	var d byte
	for i := 0; i < len(a); i++ {
		d |= a[i] ^ b[i]
	}
	return d == 0
}

func (s Secret) shown() string {
	if s.IsZero() {
		return ""
	}
	return Redacted
}

// String returns Redacted, or "" for an empty secret.
func (s Secret) String() string { return s.shown() }

// GoString returns Redacted as a quoted string, for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.shown()) }

// Format prints Redacted for every verb, so that no width, flag or verb
// (%x of the bytes, %d of a string) can show the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.shown())
	default:
		if verb == 'v' && f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.shown())
	}
}

// LogValue makes slog print Redacted.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

// MarshalJSON writes Redacted (or "" when empty): a Config marshalled for
// a log, a console or a report never carries the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.shown()) }

// UnmarshalJSON reads a plain JSON string as the value, so that a Config
// can be loaded from a file. Reading back Redacted is refused: it is what
// MarshalJSON wrote, not a secret.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("security: a secret must be a JSON string")
	}
	return s.UnmarshalText([]byte(v))
}

// MarshalText writes Redacted (or nothing when empty).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// UnmarshalText reads the text as the value (environment variables, flag
// values, YAML). Reading back Redacted is refused.
func (s *Secret) UnmarshalText(b []byte) error {
	if string(b) == Redacted {
		return fmt.Errorf("security: %s is a redacted placeholder, not a secret", Redacted)
	}
	*s = NewSecret(string(b))
	return nil
}

var (
	_ fmt.Formatter  = Secret{}
	_ fmt.Stringer   = Secret{}
	_ fmt.GoStringer = Secret{}
	_ slog.LogValuer = Secret{}
	_ json.Marshaler = Secret{}
)
