package sqlite

import (
	"context"
	"fmt"

	"zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal/stats"
)

// Function is a user-defined scalar SQL function.
type Function struct {
	// NArgs is the number of arguments; -1 accepts any number.
	NArgs int
	// Deterministic promises the same output for the same input, which
	// lets SQLite use the function in indexes and optimize calls.
	Deterministic bool
	// Innocuous declares the function harmless when the schema calls it:
	// it has no side effects and reveals nothing beyond its arguments, so
	// views, triggers, CHECK constraints, DEFAULT clauses, generated
	// columns and indexes may use it. Default false: the function is
	// direct-only (SQLITE_DIRECTONLY), callable from the SQL the program
	// runs but never from a schema, whose views and triggers an attacker
	// may have written (a file or a Deserialize'd image from elsewhere).
	//
	// SQLite runs a function that is not direct-only from the schema only
	// while the schema is trusted (zombiezen.com/go/sqlite cannot pass
	// SQLITE_INNOCUOUS): an Innocuous function runs from views and
	// triggers of a database opened with Config.TrustedSchema, and never
	// from those of a Deserialize'd image, which is not trusted.
	Innocuous bool
	// Scalar computes the result. Arguments arrive as int64, float64,
	// string, []byte or nil; the result may be any value a parameter can
	// bind (see DB.Exec), and an error fails the statement with its text.
	// It runs on the connection's goroutine and must not call back into
	// the DB.
	Scalar func(args []any) (any, error)
}

type namedFunc struct {
	name string
	f    Function
}

// CreateFunction registers a scalar SQL function on every connection of
// the database: open connections pick it up the next time they are
// acquired, new ones when they open. Registering the same name and NArgs
// again replaces it. A function is direct-only unless it is Innocuous
// (see Function.Innocuous): views and triggers cannot call it. Cost: one
// registration per connection.
func (db *DB) CreateFunction(name string, f Function) error {
	if db.closed.Load() {
		return closedErr("create-function")
	}
	if name == "" || f.Scalar == nil || f.NArgs < -1 || f.NArgs > 127 {
		return invalid("create-function", "function needs a name, a Scalar, and NArgs between -1 and 127")
	}
	db.funcsMu.Lock()
	replaced := false
	for i, nf := range db.funcs {
		if nf.name == name && nf.f.NArgs == f.NArgs {
			db.funcs[i].f = f
			replaced = true
		}
	}
	if !replaced {
		db.funcs = append(db.funcs, namedFunc{name, f})
	}
	db.funcGen.Add(1)
	db.funcsMu.Unlock()
	return nil
}

// applyFuncs (re)registers the database's functions on cn.
func (db *DB) applyFuncs(cn *conn) error {
	db.funcsMu.RLock()
	defer db.funcsMu.RUnlock()
	gen := db.funcGen.Load()
	for _, nf := range db.funcs {
		if err := cn.c.CreateFunction(nf.name, db.impl(nf)); err != nil {
			return wrapErr(context.Background(), "create-function", err)
		}
	}
	cn.funcGen = gen
	return nil
}

func (db *DB) impl(nf namedFunc) *sqlite.FunctionImpl {
	f := nf.f
	return &sqlite.FunctionImpl{
		NArgs:         f.NArgs,
		Deterministic: f.Deterministic,
		AllowIndirect: f.Innocuous,
		Scalar: func(sctx sqlite.Context, args []sqlite.Value) (sqlite.Value, error) {
			start := stats.Now()
			in := make([]any, len(args))
			for i, a := range args {
				in[i] = valueOf(a)
			}
			out, err := f.Scalar(in)
			var v sqlite.Value
			if err != nil {
				err = fmt.Errorf("%s: %w", nf.name, err)
			} else if v, err = toValue(out); err != nil {
				err = fmt.Errorf("%s returned %T: %w", nf.name, out, err)
			}
			db.opFunction.Done(start, err)
			if err != nil {
				if fv, ok := failFunction(sctx, err.Error()); ok {
					return fv, nil
				}
				return sqlite.Value{}, err
			}
			return v, nil
		},
	}
}

func valueOf(v sqlite.Value) any {
	switch v.Type() {
	case sqlite.TypeInteger:
		return v.Int64()
	case sqlite.TypeFloat:
		return v.Float()
	case sqlite.TypeText:
		return v.Text()
	case sqlite.TypeBlob:
		return append([]byte{}, v.Blob()...)
	}
	return nil
}

// toValue converts a function result with the binding rules.
func toValue(v any) (sqlite.Value, error) {
	switch x := v.(type) {
	case nil:
		return sqlite.Value{}, nil
	case int64:
		return sqlite.IntegerValue(x), nil
	case int:
		return sqlite.IntegerValue(int64(x)), nil
	case float64:
		return sqlite.FloatValue(x), nil
	case string:
		return sqlite.TextValue(x), nil
	case []byte:
		if x == nil {
			return sqlite.Value{}, nil
		}
		return sqlite.BlobValue(x), nil
	case bool:
		if x {
			return sqlite.IntegerValue(1), nil
		}
		return sqlite.IntegerValue(0), nil
	}
	// Everything else goes through the parameter rules via a scratch
	// conversion.
	c, err := normalize(v)
	if err != nil {
		return sqlite.Value{}, err
	}
	return toValue(c)
}
