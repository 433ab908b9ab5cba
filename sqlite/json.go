package sqlite

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// JSONOptions controls how row values become JSON for JavaScript
// consumers (the dashboard, generated clients).
type JSONOptions struct {
	// SafeIntegers writes integers beyond ±(2^53-1), which a JavaScript
	// number cannot hold exactly, as JSON strings of their exact decimal
	// digits ("9007199254740993"), the way protobuf's JSON mapping writes
	// int64; integers within that range stay JSON numbers. Without it every
	// integer is a JSON number with its exact digits, and JavaScript's
	// JSON.parse rounds the large ones (bun:sqlite without safeIntegers
	// behaves the same way).
	SafeIntegers bool
}

// AppendJSONValue appends v as JSON: int64 (see SafeIntegers), float64
// (±Inf as the strings "Infinity" and "-Infinity"; SQLite stores no NaN),
// string, []byte (base64, as encoding/json writes it), nil as null; other
// Go values are first converted with the parameter binding rules, and one
// SQLite cannot hold is an error.
func AppendJSONValue(dst []byte, v any, opts JSONOptions) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case int64:
		if opts.SafeIntegers && (x > maxSafeInteger || x < -maxSafeInteger) {
			dst = append(dst, '"')
			dst = strconv.AppendInt(dst, x, 10)
			return append(dst, '"'), nil
		}
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		return appendJSONFloat(dst, x), nil
	case string:
		return appendJSONString(dst, x), nil
	case []byte:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, x)
		return append(dst, '"'), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	}
	n, err := normalize(v)
	if err != nil {
		return dst, invalid("json", "%v", err)
	}
	return AppendJSONValue(dst, n, opts)
}

func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	case math.IsNaN(f):
		return append(dst, "null"...)
	}
	// The same shortest form encoding/json uses.
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst) - start
		if n >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-3] == '-' && dst[len(dst)-2] == '0' {
			dst[len(dst)-2] = dst[len(dst)-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// MarshalRow encodes one row as a JSON object keyed by column name, in
// column order, with AppendJSONValue's rules.
func MarshalRow(columns []string, values []any, opts JSONOptions) ([]byte, error) {
	return appendRowJSON(nil, columns, values, opts)
}

func appendRowJSON(dst []byte, columns []string, values []any, opts JSONOptions) ([]byte, error) {
	if len(columns) != len(values) {
		return dst, invalid("json", "%d columns for %d values", len(columns), len(values))
	}
	dst = append(dst, '{')
	for i, c := range columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, c)
		dst = append(dst, ':')
		var err error
		if dst, err = AppendJSONValue(dst, values[i], opts); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// MarshalRows encodes rows as a JSON array of objects (see MarshalRow).
func MarshalRows(columns []string, rows [][]any, opts JSONOptions) ([]byte, error) {
	dst := []byte{'['}
	for i, r := range rows {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendRowJSON(dst, columns, r, opts); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

// QueryJSON runs query and streams its rows to w as a JSON array of
// objects, with the database's SafeIntegers setting (see JSONOptions).
// This is the row encoding the dashboard and generated code use.
func (db *DB) QueryJSON(ctx context.Context, w io.Writer, query string, args ...any) error {
	ctx, c := db.begin(ctx, db.opQuery, "query", query)
	opts := JSONOptions{SafeIntegers: db.cfg.SafeIntegers}
	buf := []byte{'['}
	n := 0
	var vals []any
	_, err := db.do(ctx, "query", false, query, args, func(r *Row) error {
		if n > 0 {
			buf = append(buf, ',')
		}
		n++
		vals = vals[:0]
		for i := 0; i < r.ColumnCount(); i++ {
			vals = append(vals, r.Value(i))
		}
		var err error
		if buf, err = appendRowJSON(buf, r.cs.cols, vals, opts); err != nil {
			return err
		}
		if len(buf) > 64<<10 {
			if _, err := w.Write(buf); err != nil {
				return wrapErr(ctx, "query", err)
			}
			buf = buf[:0]
		}
		return nil
	}, false)
	if err == nil {
		buf = append(buf, ']')
		if _, werr := w.Write(buf); werr != nil {
			err = wrapErr(ctx, "query", werr)
		}
	}
	return db.end(c, err, int64(n))
}

// AllJSON is QueryJSON into a byte slice.
func (db *DB) AllJSON(ctx context.Context, query string, args ...any) ([]byte, error) {
	var b bytes.Buffer
	err := db.QueryJSON(ctx, &b, query, args...)
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
