package stats

import (
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/infra-arsenal/arsenal"
)

// Gauges lists the numeric fields of a domain's typed stats value (a
// struct, or a pointer to one) as arsenal.Gauges, in field order, for
// arsenal.Stats.Gauges. Each exported field becomes one gauge:
//
//   - integers and floats are counts (UnitCount), time.Duration is seconds,
//     bool is 0 or 1, time.Time is Unix seconds (0 for the zero time), and
//     arsenal.Code is a code;
//   - the name is the field's in snake_case (ReaderWaits is reader_waits);
//   - a `stat:"name,unit,counter"` tag overrides the name and the unit
//     (count, bytes, seconds, bool, unixtime, ratio, code) and marks a
//     total that only grows (counter); `stat:"-"` leaves a field out, as
//     do fields of other types (strings, errors) and embedded structs' own
//     fields are listed in place.
//
// It costs one reflection walk of the struct per call (a few hundred
// nanoseconds for twenty fields); the field layout is cached per type.
func Gauges(v any) []arsenal.Gauge {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	fields := layoutOf(rv.Type())
	out := make([]arsenal.Gauge, 0, len(fields))
	for _, f := range fields {
		fv := rv.FieldByIndex(f.index)
		out = append(out, arsenal.Gauge{Name: f.name, Unit: f.unit, Counter: f.counter, Value: numberOf(fv)})
	}
	return out
}

type gaugeField struct {
	index   []int
	name    string
	unit    arsenal.Unit
	counter bool
}

var layouts sync.Map // reflect.Type -> []gaugeField

var (
	durationType = reflect.TypeFor[time.Duration]()
	timeType     = reflect.TypeFor[time.Time]()
	codeType     = reflect.TypeFor[arsenal.Code]()
)

func layoutOf(t reflect.Type) []gaugeField {
	if l, ok := layouts.Load(t); ok {
		return l.([]gaugeField)
	}
	var fields []gaugeField
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, idx)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("stat")
			if tag == "-" {
				continue
			}
			unit, ok := unitOf(sf.Type)
			if !ok {
				continue
			}
			f := gaugeField{index: idx, name: snake(sf.Name), unit: unit}
			parts := strings.Split(tag, ",")
			if parts[0] != "" {
				f.name = parts[0]
			}
			for _, p := range parts[1:] {
				switch p {
				case "counter":
					f.counter = true
				case "":
				default:
					f.unit = arsenal.Unit(p)
				}
			}
			fields = append(fields, f)
		}
	}
	walk(t, nil)
	layouts.Store(t, fields)
	return fields
}

func unitOf(t reflect.Type) (arsenal.Unit, bool) {
	switch t {
	case durationType:
		return arsenal.UnitSeconds, true
	case timeType:
		return arsenal.UnitUnixTime, true
	case codeType:
		return arsenal.UnitCode, true
	}
	switch t.Kind() {
	case reflect.Bool:
		return arsenal.UnitBool, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return arsenal.UnitCount, true
	}
	return "", false
}

func numberOf(v reflect.Value) float64 {
	switch v.Type() {
	case durationType:
		return time.Duration(v.Int()).Seconds()
	case timeType:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return 0
		}
		return float64(t.Unix()) + float64(t.Nanosecond())/1e9
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return 1
		}
		return 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return 0
}

// snake turns a Go field name into snake_case: ReaderWaits is
// reader_waits, WALBytes is wal_bytes, P99 is p99.
func snake(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
				(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
