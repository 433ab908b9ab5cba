package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"zombiezen.com/go/sqlite"
)

// structInfo maps column names to the fields of a struct type: the `db`
// tag when present ("-" skips the field), else the field name; matching is
// case-insensitive. Fields of embedded structs are promoted, through
// embedded pointers too: scanning allocates a nil one, except a pointer to
// an unexported struct type, which reflection cannot set. As with
// encoding/json, a column whose field is promoted through such a pointer
// is an InvalidArgument error naming the column, the field and the type
// while the pointer is nil, and fills the field once the caller has set
// the pointer (binding from such a struct binds NULL for a nil one).
type structInfo struct {
	fields []fieldInfo
	byName map[string]fieldInfo // lower-cased name
}

type fieldInfo struct {
	name  string
	index []int
}

var structInfos sync.Map // reflect.Type -> *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{byName: map[string]fieldInfo{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("db")
			if tag == "-" {
				continue
			}
			if name, _, _ := strings.Cut(tag, ","); name != "" {
				tag = name
			} else {
				tag = ""
			}
			idx := append(append([]int(nil), prefix...), i)
			ft := f.Type
			if f.Anonymous && tag == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
					walk(ft, idx)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			name := tag
			if name == "" {
				name = f.Name
			}
			key := strings.ToLower(name)
			if _, dup := info.byName[key]; dup {
				continue // the shallower field wins, as Go's promotion does
			}
			fi := fieldInfo{name: name, index: idx}
			info.fields = append(info.fields, fi)
			info.byName[key] = fi
		}
	}
	walk(t, nil)
	v, _ := structInfos.LoadOrStore(t, info)
	return v.(*structInfo)
}

// fieldByIndex is reflect.Value.FieldByIndex that reports false instead of
// panicking at a nil embedded pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// fieldForSet is fieldByIndex that allocates nil embedded pointers. A nil
// pointer to an unexported struct type, embedded, cannot be allocated
// (reflect refuses to set an unexported field, as encoding/json finds):
// that is an error naming the type, never a panic. Such a pointer the
// caller set is followed.
func fieldForSet(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, fmt.Errorf("it is promoted through a nil embedded pointer to the unexported struct type %s, which cannot be allocated (set the pointer before scanning, export the type, or tag the embedded field `db:\"-\"`)", v.Type().Elem())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

// fieldPath names the field at index in struct type t as Go code reaches
// it ("hidden.Note").
func fieldPath(t reflect.Type, index []int) string {
	names := make([]string, len(index))
	for i, x := range index {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		f := t.Field(x)
		names[i], t = f.Name, f.Type
	}
	return strings.Join(names, ".")
}

// ErrNoRows is the cause of the NotFound error Get and QueryRow return
// when the query yields no row.
var ErrNoRows = errors.New("sqlite: no rows in result set")

const maxSafeInteger = 1<<53 - 1

// scanColumn stores column col of the current row of s into dest.
//
// Conversions: INTEGER into any integer type (range-checked, never
// wrapped), float (exactly, or rounded unless safe is set), bool, string;
// FLOAT into floats, and into integers only when it holds a whole number in
// range; TEXT into string, []byte, time.Time (RFC 3339 and SQLite's
// "YYYY-MM-DD HH:MM:SS" forms); BLOB into []byte and string; NULL into
// pointers (set to nil), *any, sql.Scanner and sql.Null* types. NULL into a
// plain value is an error, as in database/sql.
func scanColumn(s *sqlite.Stmt, col int, dest any, safe bool) error {
	// The most common destinations holding their most common storage
	// class, before the reflection below.
	switch d := dest.(type) {
	case *int64:
		if d != nil && s.ColumnType(col) == sqlite.TypeInteger {
			*d = s.ColumnInt64(col)
			return nil
		}
	case *string:
		if d != nil && s.ColumnType(col) == sqlite.TypeText {
			*d = s.ColumnText(col)
			return nil
		}
	case *float64:
		if d != nil && s.ColumnType(col) == sqlite.TypeFloat {
			*d = s.ColumnFloat(col)
			return nil
		}
	}
	if dest == nil {
		return fmt.Errorf("nil destination")
	}
	if rv := reflect.ValueOf(dest); rv.Kind() == reflect.Pointer && rv.IsNil() {
		// A typed nil (say (*int64)(nil)): the cases below would store
		// through it and panic.
		return fmt.Errorf("destination %T is a nil pointer", dest)
	}
	t := s.ColumnType(col)
	switch d := dest.(type) {
	case *int64:
		v, err := colInt(s, col, t, math.MinInt64, math.MaxInt64)
		*d = v
		return err
	case *int:
		v, err := colInt(s, col, t, math.MinInt, math.MaxInt)
		*d = int(v)
		return err
	case *string:
		switch t {
		case sqlite.TypeText, sqlite.TypeBlob:
			*d = s.ColumnText(col)
		case sqlite.TypeInteger:
			*d = strconv.FormatInt(s.ColumnInt64(col), 10)
		case sqlite.TypeFloat:
			*d = strconv.FormatFloat(s.ColumnFloat(col), 'g', -1, 64)
		default:
			return errNull(dest)
		}
		return nil
	case *float64:
		v, err := colFloat(s, col, t, safe)
		*d = v
		return err
	case *[]byte:
		switch t {
		case sqlite.TypeNull:
			*d = nil
		default:
			b := make([]byte, s.ColumnLen(col))
			s.ColumnBytes(col, b)
			*d = b
		}
		return nil
	case *bool:
		if t != sqlite.TypeInteger {
			if t == sqlite.TypeNull {
				return errNull(dest)
			}
			return fmt.Errorf("cannot scan %s into bool", StorageClass(t))
		}
		*d = s.ColumnInt64(col) != 0
		return nil
	case *any:
		*d = columnValue(s, col, t)
		return nil
	case *int32:
		v, err := colInt(s, col, t, math.MinInt32, math.MaxInt32)
		*d = int32(v)
		return err
	case *int16:
		v, err := colInt(s, col, t, math.MinInt16, math.MaxInt16)
		*d = int16(v)
		return err
	case *int8:
		v, err := colInt(s, col, t, math.MinInt8, math.MaxInt8)
		*d = int8(v)
		return err
	case *uint64:
		v, err := colInt(s, col, t, 0, math.MaxInt64)
		*d = uint64(v)
		return err
	case *uint:
		v, err := colInt(s, col, t, 0, math.MaxInt64)
		*d = uint(v)
		return err
	case *uint32:
		v, err := colInt(s, col, t, 0, math.MaxUint32)
		*d = uint32(v)
		return err
	case *uint16:
		v, err := colInt(s, col, t, 0, math.MaxUint16)
		*d = uint16(v)
		return err
	case *uint8:
		v, err := colInt(s, col, t, 0, math.MaxUint8)
		*d = uint8(v)
		return err
	case *float32:
		v, err := colFloat(s, col, t, safe)
		*d = float32(v)
		return err
	case *time.Time:
		v, err := colTime(s, col, t)
		*d = v
		return err
	case sql.Scanner:
		return d.Scan(columnValue(s, col, t))
	}
	rv := reflect.ValueOf(dest)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("destination %T is not a non-nil pointer", dest)
	}
	return scanReflect(s, col, t, rv.Elem(), safe)
}

func errNull(dest any) error {
	return fmt.Errorf("cannot scan NULL into %T (use a pointer, *any or sql.Null*)", dest)
}

func scanReflect(s *sqlite.Stmt, col int, t sqlite.ColumnType, v reflect.Value, safe bool) error {
	if v.Kind() == reflect.Pointer {
		if t == sqlite.TypeNull {
			v.SetZero()
			return nil
		}
		nv := reflect.New(v.Type().Elem())
		if err := scanColumn(s, col, nv.Interface(), safe); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	}
	if v.CanAddr() {
		if sc, ok := v.Addr().Interface().(sql.Scanner); ok {
			return sc.Scan(columnValue(s, col, t))
		}
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := v.Type().Bits()
		x, err := colInt(s, col, t, -1<<(bits-1), 1<<(bits-1)-1)
		if err == nil {
			v.SetInt(x)
		}
		return err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		hi := int64(math.MaxInt64)
		if bits := v.Type().Bits(); bits < 64 {
			hi = 1<<bits - 1
		}
		x, err := colInt(s, col, t, 0, hi)
		if err == nil {
			v.SetUint(uint64(x))
		}
		return err
	case reflect.Float32, reflect.Float64:
		x, err := colFloat(s, col, t, safe)
		if err == nil {
			v.SetFloat(x)
		}
		return err
	case reflect.String:
		var x string
		if err := scanColumn(s, col, &x, safe); err != nil {
			return err
		}
		v.SetString(x)
		return nil
	case reflect.Bool:
		var x bool
		if err := scanColumn(s, col, &x, safe); err != nil {
			return err
		}
		v.SetBool(x)
		return nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			var x []byte
			if err := scanColumn(s, col, &x, safe); err != nil {
				return err
			}
			v.SetBytes(x)
			return nil
		}
	case reflect.Interface:
		if v.NumMethod() == 0 {
			x := columnValue(s, col, t)
			if x == nil {
				v.SetZero()
			} else {
				v.Set(reflect.ValueOf(x))
			}
			return nil
		}
	}
	return fmt.Errorf("cannot scan %s into %s", StorageClass(t), v.Type())
}

func colInt(s *sqlite.Stmt, col int, t sqlite.ColumnType, lo, hi int64) (int64, error) {
	var v int64
	switch t {
	case sqlite.TypeInteger:
		v = s.ColumnInt64(col)
	case sqlite.TypeFloat:
		f := s.ColumnFloat(col)
		if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
			return 0, fmt.Errorf("FLOAT %v is not a whole number that fits an integer", f)
		}
		v = int64(f)
	case sqlite.TypeNull:
		return 0, fmt.Errorf("cannot scan NULL into an integer (use a pointer, *any or sql.NullInt64)")
	default:
		return 0, fmt.Errorf("cannot scan %s into an integer", StorageClass(t))
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("integer %d out of range [%d, %d]", v, lo, hi)
	}
	return v, nil
}

func colFloat(s *sqlite.Stmt, col int, t sqlite.ColumnType, safe bool) (float64, error) {
	switch t {
	case sqlite.TypeFloat:
		return s.ColumnFloat(col), nil
	case sqlite.TypeInteger:
		v := s.ColumnInt64(col)
		if safe && (v > maxSafeInteger || v < -maxSafeInteger) {
			return 0, fmt.Errorf("integer %d is beyond ±(2^53-1) and would round in a float (SafeIntegers)", v)
		}
		return float64(v), nil
	case sqlite.TypeNull:
		return 0, fmt.Errorf("cannot scan NULL into a float (use a pointer, *any or sql.NullFloat64)")
	}
	return 0, fmt.Errorf("cannot scan %s into a float", StorageClass(t))
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

func colTime(s *sqlite.Stmt, col int, t sqlite.ColumnType) (time.Time, error) {
	switch t {
	case sqlite.TypeText:
		txt := s.ColumnText(col)
		for _, l := range timeLayouts {
			if tm, err := time.Parse(l, txt); err == nil {
				return tm, nil
			}
		}
		return time.Time{}, fmt.Errorf("TEXT %q is not a time", txt)
	case sqlite.TypeInteger:
		return time.Unix(s.ColumnInt64(col), 0).UTC(), nil
	case sqlite.TypeNull:
		return time.Time{}, fmt.Errorf("cannot scan NULL into time.Time (use *time.Time)")
	}
	return time.Time{}, fmt.Errorf("cannot scan %s into time.Time", StorageClass(t))
}

// columnValue returns the column as int64, float64, string, []byte (a
// copy; empty, not nil, for an empty BLOB) or nil.
func columnValue(s *sqlite.Stmt, col int, t sqlite.ColumnType) any {
	switch t {
	case sqlite.TypeInteger:
		return s.ColumnInt64(col)
	case sqlite.TypeFloat:
		return s.ColumnFloat(col)
	case sqlite.TypeText:
		return s.ColumnText(col)
	case sqlite.TypeBlob:
		b := make([]byte, s.ColumnLen(col))
		s.ColumnBytes(col, b)
		return b
	}
	return nil
}
