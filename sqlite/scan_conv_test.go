package sqlite_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// Named types reach the reflection path of scanning (they match none of
// the fast cases).
type (
	scInt     int
	scInt8    int8
	scUint    uint
	scUint16  uint16
	scUintptr uintptr
	scFloat   float32
	scString  string
	scBool    bool
	scBytes   []byte
	scAny     interface{}
)

func ptrTo[T any](v T) *T { return &v }

func TestScanConversions(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	ctx := ctxT(t)
	day2 := time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		query string
		dest  any    // a pointer to a fresh zero value
		want  any    // what *dest holds afterwards, when err is ""
		err   string // a part of the error's text
	}{
		// Integers, range-checked, from INTEGER and whole FLOATs.
		{"SELECT 7", new(int64), int64(7), ""},
		{"SELECT 3.0", new(int64), int64(3), ""},
		{"SELECT 3.5", new(int64), nil, "not a whole number"},
		{"SELECT 1e300", new(int64), nil, "not a whole number"},
		{"SELECT '12'", new(int64), nil, "cannot scan TEXT into an integer"},
		{"SELECT NULL", new(int64), nil, "cannot scan NULL into an integer"},
		{"SELECT 7", new(int), 7, ""},
		{"SELECT -2147483648", new(int32), int32(-2147483648), ""},
		{"SELECT 2147483648", new(int32), nil, "out of range"},
		{"SELECT -32768", new(int16), int16(-32768), ""},
		{"SELECT 40000", new(int16), nil, "out of range"},
		{"SELECT -128", new(int8), int8(-128), ""},
		{"SELECT 128", new(int8), nil, "out of range"},
		{"SELECT 9223372036854775807", new(uint64), uint64(9223372036854775807), ""},
		{"SELECT -1", new(uint64), nil, "out of range"},
		{"SELECT 5", new(uint), uint(5), ""},
		{"SELECT -1", new(uint), nil, "out of range"},
		{"SELECT 4294967295", new(uint32), uint32(4294967295), ""},
		{"SELECT 4294967296", new(uint32), nil, "out of range"},
		{"SELECT 65535", new(uint16), uint16(65535), ""},
		{"SELECT 65536", new(uint16), nil, "out of range"},
		{"SELECT 255", new(uint8), uint8(255), ""},
		{"SELECT 256", new(uint8), nil, "out of range"},
		{"SELECT x'01'", new(uint8), nil, "cannot scan BLOB into an integer"},

		// Floats.
		{"SELECT 1.5", new(float64), 1.5, ""},
		{"SELECT 2", new(float64), 2.0, ""},
		{"SELECT 'x'", new(float64), nil, "cannot scan TEXT into a float"},
		{"SELECT NULL", new(float64), nil, "cannot scan NULL into a float"},
		{"SELECT 1.5", new(float32), float32(1.5), ""},
		{"SELECT 3", new(float32), float32(3), ""},

		// Text and bytes.
		{"SELECT 'hi'", new(string), "hi", ""},
		{"SELECT x'6869'", new(string), "hi", ""},
		{"SELECT 1.5", new(string), "1.5", ""},
		{"SELECT -3", new(string), "-3", ""},
		{"SELECT NULL", new(string), nil, "cannot scan NULL into *string"},
		{"SELECT x'0102'", new([]byte), []byte{1, 2}, ""},
		{"SELECT 'ab'", new([]byte), []byte("ab"), ""},
		{"SELECT 12", new([]byte), []byte("12"), ""},
		{"SELECT NULL", new([]byte), []byte(nil), ""},

		// Booleans.
		{"SELECT 0", new(bool), false, ""},
		{"SELECT 2", new(bool), true, ""},
		{"SELECT NULL", new(bool), nil, "cannot scan NULL into *bool"},
		{"SELECT 'true'", new(bool), nil, "cannot scan TEXT into bool"},

		// Times.
		{"SELECT '2024-05-06T07:08:09Z'", new(time.Time), time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), ""},
		{"SELECT '2024-05-06'", new(time.Time), time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), ""},
		{"SELECT 86400", new(time.Time), day2, ""},
		{"SELECT 'tuesday'", new(time.Time), nil, `TEXT "tuesday" is not a time`},
		{"SELECT NULL", new(time.Time), nil, "cannot scan NULL into time.Time"},
		{"SELECT 1.5", new(time.Time), nil, "cannot scan FLOAT into time.Time"},

		// any.
		{"SELECT 1.25", new(any), 1.25, ""},
		{"SELECT NULL", new(any), nil, ""},

		// Pointers: NULL is nil, a value is allocated.
		{"SELECT NULL", ptrTo(ptrTo(int64(9))), (*int64)(nil), ""},
		{"SELECT 5", new(*int64), ptrTo(int64(5)), ""},
		{"SELECT 'x'", new(*int64), nil, "cannot scan TEXT into an integer"},
		{"SELECT 'x'", new(*scString), ptrTo(scString("x")), ""},

		// Named types, by their kind.
		{"SELECT 5", new(scInt), scInt(5), ""},
		{"SELECT NULL", new(scInt), nil, "cannot scan NULL into an integer"},
		{"SELECT 300", new(scInt8), nil, "out of range"},
		{"SELECT -7", new(scInt8), scInt8(-7), ""},
		{"SELECT 5", new(scUint), scUint(5), ""},
		{"SELECT -5", new(scUint), nil, "out of range"},
		{"SELECT 70000", new(scUint16), nil, "out of range"},
		{"SELECT 7", new(scUint16), scUint16(7), ""},
		{"SELECT 8", new(scUintptr), scUintptr(8), ""},
		{"SELECT 2.5", new(scFloat), scFloat(2.5), ""},
		{"SELECT 'no'", new(scFloat), nil, "cannot scan TEXT into a float"},
		{"SELECT 'x'", new(scString), scString("x"), ""},
		{"SELECT NULL", new(scString), nil, "cannot scan NULL"},
		{"SELECT 1", new(scBool), scBool(true), ""},
		{"SELECT 'x'", new(scBool), nil, "cannot scan TEXT into bool"},
		{"SELECT x'01ff'", new(scBytes), scBytes{1, 0xff}, ""},
		{"SELECT NULL", new(scBytes), scBytes(nil), ""},
		{"SELECT 3", new(scAny), scAny(int64(3)), ""},
		{"SELECT NULL", new(scAny), scAny(nil), ""},

		// Destinations nothing scans into.
		{"SELECT 3", new(fmt.Stringer), nil, "cannot scan INTEGER into fmt.Stringer"},
		{"SELECT 3", new([]int), nil, "cannot scan INTEGER into []int"},
		{"SELECT 3", new(struct{ A int }), nil, "cannot scan INTEGER into struct"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s into %T", tt.query, tt.dest)
		t.Run(name, func(t *testing.T) {
			err := db.QueryRow(ctx, tt.query).Scan(tt.dest)
			if tt.err != "" {
				wantCode(t, err, arsenal.InvalidArgument)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			got := reflect.ValueOf(tt.dest).Elem().Interface()
			if want, ok := tt.want.(time.Time); ok {
				assert.True(t, want.Equal(got.(time.Time)), "got %v, want %v", got, want)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestScanRefusesDestinationsThatAreNotPointers(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	ctx := ctxT(t)
	for _, dest := range []any{nil, 5, (*int64)(nil), (*string)(nil), (*float64)(nil), (*bool)(nil), (*scInt)(nil)} {
		err := db.QueryRow(ctx, "SELECT 1").Scan(dest)
		wantCode(t, err, arsenal.InvalidArgument)
		err = db.Each(ctx, "SELECT 1", func(r *sqlite.Row) error { return r.Scan(dest) })
		wantCode(t, err, arsenal.InvalidArgument)
	}
	// Struct fields of the same types scan through the same rules.
	type row struct {
		I  scInt
		U  scUint16
		F  scFloat
		S  scString
		B  scBool
		Bs scBytes
		A  scAny
		P  *scInt
		T  time.Time
	}
	var r row
	require.NoError(t, db.Get(ctx, &r, "SELECT 1 AS i, 2 AS u, 0.5 AS f, 's' AS s, 1 AS b, x'00' AS bs, 'any' AS a, 4 AS p, '2001-02-03 04:05:06' AS t"))
	assert.Equal(t, row{I: 1, U: 2, F: 0.5, S: "s", B: true, Bs: scBytes{0}, A: "any", P: ptrTo(scInt(4)), T: time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)}, r)
	err := db.Get(ctx, &r, "SELECT 70000 AS u")
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), `column "u" into field U`)
}
