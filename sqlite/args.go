package sqlite

import (
	"context"
)

// Arg is one parameter value for ExecArgs: an integer, float, text, blob
// or NULL, made by IntArg, FloatArg, TextArg, BlobArg, BoolArg or NullArg. ExecArgs binds
// Args by position without boxing them into interfaces, so a call
// allocates nothing: Exec's ...any arguments cost an allocation for each
// value that does not fit an interface word (a float64, an int64 above
// 255), a visible share of a fast insert.
type Arg struct {
	kind argKind
	i    int64
	f    float64
	s    string
	b    []byte
}

type argKind uint8

const (
	argNull argKind = iota
	argInt
	argFloat
	argText
	argBlob
)

// IntArg is an INTEGER parameter.
func IntArg(v int64) Arg { return Arg{kind: argInt, i: v} }

// FloatArg is a FLOAT parameter.
func FloatArg(v float64) Arg { return Arg{kind: argFloat, f: v} }

// TextArg is a TEXT parameter.
func TextArg(v string) Arg { return Arg{kind: argText, s: v} }

// BlobArg is a BLOB parameter; a nil slice is NULL and an empty one a
// zero-length blob, as with Exec.
func BlobArg(v []byte) Arg {
	if v == nil {
		return Arg{}
	}
	return Arg{kind: argBlob, b: v}
}

// BoolArg is an INTEGER parameter, 1 for true and 0 for false, as with Exec.
func BoolArg(v bool) Arg {
	if v {
		return IntArg(1)
	}
	return IntArg(0)
}

// NullArg is a NULL parameter (the zero Arg is NULL too).
func NullArg() Arg { return Arg{} }

// Value returns the Go value Exec would bind the same way: nil, int64,
// float64, string or []byte.
func (a Arg) Value() any {
	switch a.kind {
	case argInt:
		return a.i
	case argFloat:
		return a.f
	case argText:
		return a.s
	case argBlob:
		return a.b
	}
	return nil
}

// bindArgs binds typed positional arguments to cs with bind's rules for
// positional values: no more arguments than parameters, with Strict no
// fewer, and every parameter bound on every call (NULL past the last
// argument).
func bindArgs(cs *cachedStmt, args []Arg, strict bool) error {
	n := len(cs.params)
	if len(args) > n {
		return invalid("bind", "%d arguments for %d parameters", len(args), n)
	}
	if len(args) < n && strict {
		return invalid("bind", "missing parameter %d (%s): %d arguments for %d parameters", len(args)+1, paramLabel(cs, len(args)+1), len(args), n)
	}
	s := cs.s
	for i := range args {
		a := &args[i]
		switch a.kind {
		case argInt:
			s.BindInt64(i+1, a.i)
		case argFloat:
			s.BindFloat(i+1, a.f)
		case argText:
			s.BindText(i+1, a.s)
		case argBlob:
			if len(a.b) == 0 {
				s.BindZeroBlob(i+1, 0)
			} else {
				s.BindBytes(i+1, a.b)
			}
		default:
			s.BindNull(i + 1)
		}
	}
	for i := len(args) + 1; i <= n; i++ {
		s.BindNull(i)
	}
	return nil
}

// ExecArgs is Exec with typed arguments (see Arg): the same statement
// routing, errors, cancellation, Stats and Observer events, without an
// allocation per call.
func (db *DB) ExecArgs(ctx context.Context, query string, args ...Arg) (Result, error) {
	ctx, c := db.begin(ctx, db.opExec, "exec", query)
	r, err := db.doWith(ctx, "exec", true, query, nil, args, nil, false)
	return r, db.end(c, err, r.RowsAffected)
}

// ExecArgs is Tx.Exec with typed arguments (see Arg and DB.ExecArgs).
func (tx *Tx) ExecArgs(ctx context.Context, query string, args ...Arg) (Result, error) {
	ctx, c := tx.db.begin(ctx, tx.db.opExec, "exec", query)
	r, err := tx.runWith(ctx, "exec", query, nil, args, nil, false, false)
	return r, tx.db.end(c, err, r.RowsAffected)
}
