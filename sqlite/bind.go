package sqlite

import (
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"zombiezen.com/go/sqlite"
)

// Named is a set of named parameter values. Keys may carry the parameter's
// prefix (":id", "@id", "$id") or not ("id"). A map[string]any works the
// same.
type Named map[string]any

// bind binds args to cs. A single Named, map[string]any or struct (or
// pointer to struct) argument binds by name; otherwise args bind by
// position (named parameters too, in order of their index).
//
// Every parameter is bound on every call, so no value leaks from the
// previous use of a cached statement.
func bind(cs *cachedStmt, args []any, strict bool) error {
	n := len(cs.params)
	if len(args) == 1 {
		switch a := args[0].(type) {
		case nil, int64, int, string, float64, []byte, bool:
			// The common one-argument case: a plain value, no need to
			// look for a struct.
		case Named:
			if err := positionalWithNames(cs, "a Named map"); err != nil {
				return err
			}
			return bindMap(cs, a, strict)
		case map[string]any:
			if err := positionalWithNames(cs, "a map"); err != nil {
				return err
			}
			return bindMap(cs, a, strict)
		default:
			if sv, ok := structArg(a); ok {
				if err := positionalWithNames(cs, "a struct ("+sv.Type().String()+")"); err != nil {
					return err
				}
				return bindStruct(cs, sv, strict)
			}
		}
	}
	if len(args) > n {
		return invalid("bind", "%d arguments for %d parameters", len(args), n)
	}
	if len(args) < n && strict {
		return invalid("bind", "missing parameter %d (%s): %d arguments for %d parameters", len(args)+1, paramLabel(cs, len(args)+1), len(args), n)
	}
	s := cs.s
	for i, v := range args {
		// The common types bind here, without a call: a type switch
		// this small compares the type word and nothing else.
		switch x := v.(type) {
		case string:
			s.BindText(i+1, x)
		case int64:
			s.BindInt64(i+1, x)
		case int:
			s.BindInt64(i+1, int64(x))
		case float64:
			s.BindFloat(i+1, x)
		default:
			if err := bindValue(s, i+1, v); err != nil {
				return bindErr(cs, i+1, err)
			}
		}
	}
	for i := len(args) + 1; i <= n; i++ {
		cs.s.BindNull(i)
	}
	return nil
}

// positionalWithNames refuses a single map or struct argument for a
// statement whose parameters are all positional (? or ?NNN): such an
// argument binds by name, so no parameter would get a value from it (and,
// without Strict, each would bind NULL in silence). A statement mixing
// named and positional parameters keeps the Strict rules.
func positionalWithNames(cs *cachedStmt, what string) error {
	if cs.named || len(cs.params) == 0 {
		return nil
	}
	return invalid("bind", "%s binds named parameters (:name, @name, $name), but the statement's parameters are positional (%s): pass the values as separate arguments, or name the parameters", what, paramList(cs))
}

func paramLabel(cs *cachedStmt, i int) string {
	if name := cs.params[i-1]; name != "" {
		return name
	}
	return "?"
}

func bindErr(cs *cachedStmt, i int, err error) error {
	if _, ok := resultCode(err); ok {
		// SQLite refused the value (SQLITE_TOOBIG, SQLITE_NOMEM): keep
		// its result code for wrapErr to translate.
		return fmt.Errorf("parameter %d (%s): %w", i, paramLabel(cs, i), err)
	}
	return invalid("bind", "parameter %d (%s): %v", i, paramLabel(cs, i), err)
}

func bindMap(cs *cachedStmt, m map[string]any, strict bool) error {
	for i := 1; i <= len(cs.params); i++ {
		name, bare := cs.params[i-1], cs.bare[i-1]
		v, ok := m[name]
		if !ok && bare != "" {
			v, ok = m[bare]
		}
		if !ok {
			if strict {
				return invalid("bind", "missing parameter %s", paramLabel(cs, i))
			}
			cs.s.BindNull(i)
			continue
		}
		if err := bindValue(cs.s, i, v); err != nil {
			return bindErr(cs, i, err)
		}
	}
	if strict {
		for k := range m {
			if !knownParam(cs, k) {
				return invalid("bind", "unknown parameter %q (the statement has %s)", k, paramList(cs))
			}
		}
	}
	return nil
}

func knownParam(cs *cachedStmt, k string) bool {
	for i, p := range cs.params {
		if p != "" && (p == k || cs.bare[i] == k) {
			return true
		}
	}
	return false
}

func paramList(cs *cachedStmt) string {
	var names []string
	for i := range cs.params {
		names = append(names, paramLabel(cs, i+1))
	}
	if len(names) == 0 {
		return "no parameters"
	}
	return strings.Join(names, ", ")
}

// structArg reports whether a is a struct (or non-nil pointer to one) that
// supplies named parameters. Values SQLite binds directly (time.Time,
// driver.Valuer) are not.
func structArg(a any) (reflect.Value, bool) {
	if a == nil {
		return reflect.Value{}, false
	}
	switch a.(type) {
	case time.Time, *time.Time, driver.Valuer:
		return reflect.Value{}, false
	}
	v := reflect.ValueOf(a)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}, false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	return v, true
}

func bindStruct(cs *cachedStmt, sv reflect.Value, strict bool) error {
	info := structInfoOf(sv.Type())
	for i := 1; i <= len(cs.params); i++ {
		bare := cs.bare[i-1]
		f, ok := info.byName[strings.ToLower(bare)]
		if bare == "" || !ok {
			if strict {
				return invalid("bind", "missing parameter %s (no field of %s)", paramLabel(cs, i), sv.Type())
			}
			cs.s.BindNull(i)
			continue
		}
		fv, ok := fieldByIndex(sv, f.index)
		if !ok {
			cs.s.BindNull(i) // through a nil embedded pointer
			continue
		}
		if err := bindValue(cs.s, i, fv.Interface()); err != nil {
			return bindErr(cs, i, err)
		}
	}
	return nil
}

// errUnsupported is the cause of binding a Go type SQLite cannot hold.
type errUnsupported struct{ t reflect.Type }

func (e errUnsupported) Error() string {
	return "cannot bind a " + e.t.String() + ": SQLite holds integers, floats, text, blobs and NULL"
}

type errOverflow struct{ v uint64 }

func (e errOverflow) Error() string {
	return "uint64 " + uitoa(e.v) + " is above the largest SQLite integer (9223372036854775807)"
}

func uitoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}

// bindValue binds one Go value to parameter i:
//
//	nil, nil pointers, nil []byte      NULL
//	bool                               INTEGER 0 or 1
//	int*, uint* (uint64 ≤ MaxInt64)    INTEGER
//	float32, float64                   FLOAT
//	string                             TEXT
//	[]byte (non-nil, even empty)       BLOB
//	time.Time                          TEXT, fixed-width UTC (TimeLayout)
//	driver.Valuer                      whatever Value returns
//	named types of these kinds, and pointers to any of these
//
// Anything else (structs, maps, slices other than []byte, channels,
// complex numbers, uint64 above MaxInt64) is an error, never a string.
func bindValue(s *sqlite.Stmt, i int, v any) error {
	switch x := v.(type) {
	case nil:
		s.BindNull(i)
	case int64:
		s.BindInt64(i, x)
	case int:
		s.BindInt64(i, int64(x))
	case string:
		s.BindText(i, x)
	case float64:
		s.BindFloat(i, x)
	case []byte:
		switch {
		case x == nil:
			s.BindNull(i)
		case len(x) == 0:
			s.BindZeroBlob(i, 0)
		default:
			s.BindBytes(i, x)
		}
	case bool:
		s.BindBool(i, x)
	case int32:
		s.BindInt64(i, int64(x))
	case int16:
		s.BindInt64(i, int64(x))
	case int8:
		s.BindInt64(i, int64(x))
	case uint8:
		s.BindInt64(i, int64(x))
	case uint16:
		s.BindInt64(i, int64(x))
	case uint32:
		s.BindInt64(i, int64(x))
	case uint:
		if uint64(x) > math.MaxInt64 {
			return errOverflow{uint64(x)}
		}
		s.BindInt64(i, int64(x))
	case uint64:
		if x > math.MaxInt64 {
			return errOverflow{x}
		}
		s.BindInt64(i, int64(x))
	default:
		n, err := normalize(v)
		if err != nil {
			return err
		}
		return bindValue(s, i, n)
	}
	return nil
}

// normalize converts a Go value to nil, int64, float64, string or []byte
// with the binding rules of bindValue.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, int64, float64, string:
		return x, nil
	case []byte:
		if x == nil {
			return nil, nil
		}
		return x, nil
	case int:
		return int64(x), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float32:
		return float64(x), nil
	case time.Time:
		return formatTime(x), nil
	case driver.Valuer:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return nil, nil
		}
		dv, err := x.Value()
		if err != nil {
			return nil, err
		}
		if _, again := dv.(driver.Valuer); again {
			return nil, errUnsupported{reflect.TypeOf(dv)}
		}
		return normalize(dv)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return normalize(rv.Elem().Interface())
	case reflect.Bool:
		return normalize(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, errOverflow{u}
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.IsNil() {
				return nil, nil
			}
			return rv.Bytes(), nil
		}
	}
	return nil, errUnsupported{rv.Type()}
}

// TimeLayout is how a time.Time parameter is stored: TEXT in UTC with
// exactly nine fractional digits, such as "2024-01-02T03:04:05.000000006Z".
// Every value has the same width, so for years 0001 to 9999 comparing the
// text (ORDER BY, <, an index) orders the instants as time does whatever
// zone the time.Time carried, and SQLite's date and time functions
// (datetime, julianday, strftime, unixepoch) read it. The zone is not
// kept: a time scans back as the same instant in UTC.
//
// Scanning into a time.Time still reads the RFC 3339 form with a zone
// offset and trailing zeros dropped that earlier versions stored, and
// SQLite's own "YYYY-MM-DD HH:MM:SS" forms.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }
