package sqlite_test

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// testValuer is a driver.Valuer returning v (or err).
type testValuer struct {
	v   any
	err error
}

func (x testValuer) Value() (driver.Value, error) { return x.v, x.err }

type testPtrValuer struct{ n int64 }

func (p *testPtrValuer) Value() (driver.Value, error) { return p.n, nil }

func TestBindValueKinds(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	ctx := ctxT(t)
	tests := []struct {
		name string
		arg  any
		typ  string
		want any
	}{
		{"int32", int32(-5), "integer", int64(-5)},
		{"int16", int16(-6), "integer", int64(-6)},
		{"int8", int8(-7), "integer", int64(-7)},
		{"uint8", uint8(8), "integer", int64(8)},
		{"uint16", uint16(9), "integer", int64(9)},
		{"uint32", uint32(4000000000), "integer", int64(4000000000)},
		{"uint", uint(11), "integer", int64(11)},
		{"float32", float32(0.5), "real", 0.5},
		{"named bool", scBool(true), "integer", int64(1)},
		{"named float", scFloat(1.5), "real", 1.5},
		{"named uintptr", scUintptr(12), "integer", int64(12)},
		{"named bytes", scBytes{1, 2}, "blob", []byte{1, 2}},
		{"nil named bytes", scBytes(nil), "null", nil},
		{"pointer to int", ptrTo(13), "integer", int64(13)},
		{"nil pointer", (*int)(nil), "null", nil},
		{"valuer of int", testValuer{v: 14}, "integer", int64(14)},
		{"valuer of true", testValuer{v: true}, "integer", int64(1)},
		{"valuer of false", testValuer{v: false}, "integer", int64(0)},
		{"valuer of bytes", testValuer{v: []byte{3}}, "blob", []byte{3}},
		{"valuer of nil bytes", testValuer{v: []byte(nil)}, "null", nil},
		{"valuer of float32", testValuer{v: float32(2)}, "real", 2.0},
		{"nil pointer valuer", (*testPtrValuer)(nil), "null", nil},
		{"pointer valuer", &testPtrValuer{15}, "integer", int64(15)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var typ string
			var got any
			require.NoError(t, db.QueryRow(ctx, "SELECT typeof(?1), ?1", tt.arg).Scan(&typ, &got))
			assert.Equal(t, tt.typ, typ)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBindRefusesValuesSQLiteCannotHold(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	ctx := ctxT(t)
	boom := errors.New("boom")
	var v any
	for name, arg := range map[string]any{
		"valuer error":        testValuer{err: boom},
		"valuer of a valuer":  testValuer{v: testValuer{v: 1}},
		"valuer of a complex": testValuer{v: complex(1, 1)},
		"huge uint":           uint(math.MaxUint64),
		"huge named uint":     scUint(math.MaxUint64),
		"slice of ints":       []int{1},
	} {
		err := db.QueryRow(ctx, "SELECT ?", arg).Scan(&v)
		wantCode(t, err, arsenal.InvalidArgument)
		assert.Contains(t, err.Error(), "parameter 1", name)
	}
	err := db.QueryRow(ctx, "SELECT ?", testValuer{err: boom}).Scan(&v)
	assert.Contains(t, err.Error(), "boom")

	// By name, from a map and from a struct.
	_, err = db.Exec(ctx, "SELECT :a", sqlite.Named{"a": complex(1, 1)})
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), ":a")
	_, err = db.Exec(ctx, "SELECT :a", struct{ A complex64 }{A: 1})
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), ":a")

	// A Named map for positional parameters binds nothing: refused.
	_, err = db.Exec(ctx, "SELECT ?", sqlite.Named{"a": 1})
	wantCode(t, err, arsenal.InvalidArgument)
	assert.Contains(t, err.Error(), "positional")
}

func TestUserFunctionValueConversions(t *testing.T) {
	db := openMem(t, sqlite.Config{})
	ctx := ctxT(t)
	// echo returns its argument as it arrived, so the argument
	// conversions round-trip.
	require.NoError(t, db.CreateFunction("echo", sqlite.Function{NArgs: 1, Scalar: func(args []any) (any, error) { return args[0], nil }}))
	// conv returns Go values of other types, converted with the binding
	// rules.
	results := map[string]any{
		"nil": nil, "int": 7, "float": 2.5, "bytes": []byte{9}, "nilbytes": []byte(nil),
		"true": true, "false": false, "int32": int32(-3), "named": scString("s"), "bad": complex(1, 1),
	}
	require.NoError(t, db.CreateFunction("conv", sqlite.Function{NArgs: 1, Scalar: func(args []any) (any, error) {
		return results[args[0].(string)], nil
	}}))
	for q, want := range map[string]any{
		"SELECT echo(1.25)": 1.25, "SELECT echo(x'0a0b')": []byte{10, 11}, "SELECT echo(NULL)": nil, "SELECT echo('t')": "t", "SELECT echo(3)": int64(3),
		"SELECT conv('nil')": nil, "SELECT conv('int')": int64(7), "SELECT conv('float')": 2.5, "SELECT conv('bytes')": []byte{9},
		"SELECT conv('nilbytes')": nil, "SELECT conv('true')": int64(1), "SELECT conv('false')": int64(0),
		"SELECT conv('int32')": int64(-3), "SELECT conv('named')": "s",
	} {
		var got any
		require.NoError(t, db.QueryRow(ctx, q).Scan(&got), q)
		assert.Equal(t, want, got, q)
	}
	var got any
	err := db.QueryRow(ctx, "SELECT conv('bad')").Scan(&got)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "conv returned complex128")

	// Registering the same name and NArgs again replaces the function.
	require.NoError(t, db.CreateFunction("echo", sqlite.Function{NArgs: 1, Scalar: func(args []any) (any, error) { return "replaced", nil }}))
	require.NoError(t, db.QueryRow(ctx, "SELECT echo(1)").Scan(&got))
	assert.Equal(t, "replaced", got)
}

func TestJSONEncodingMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"plain", "tab\there", "cr\rlf\n", `q"b\`, "<a&b>", "\x01\x1f", "bad \xff utf8", "sep\u2028\u2029", "é中🙂", ""} {
		got, err := sqlite.AppendJSONValue(nil, s, sqlite.JSONOptions{})
		require.NoError(t, err)
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%q", s)
	}
	for v, want := range map[any]string{
		true: "true", false: "false", math.Inf(-1): `"-Infinity"`, math.Inf(1): `"Infinity"`, math.NaN(): "null",
		int32(5): "5", scString("n"): `"n"`,
	} {
		got, err := sqlite.AppendJSONValue(nil, v, sqlite.JSONOptions{})
		require.NoError(t, err)
		assert.Equal(t, want, string(got), "%#v", v)
	}
	got, err := sqlite.AppendJSONValue([]byte("x="), []byte(nil), sqlite.JSONOptions{})
	require.NoError(t, err)
	assert.Equal(t, "x=null", string(got))
	_, err = sqlite.AppendJSONValue(nil, complex(1, 1), sqlite.JSONOptions{})
	wantCode(t, err, arsenal.InvalidArgument)

	_, err = sqlite.MarshalRow([]string{"a", "b"}, []any{1}, sqlite.JSONOptions{})
	wantCode(t, err, arsenal.InvalidArgument)
	rows, err := sqlite.MarshalRows([]string{"a", "b"}, [][]any{{int64(1), "x"}, {nil, 2.5}}, sqlite.JSONOptions{})
	require.NoError(t, err)
	assert.JSONEq(t, `[{"a":1,"b":"x"},{"a":null,"b":2.5}]`, string(rows))
	_, err = sqlite.MarshalRows([]string{"a"}, [][]any{{1}, {complex(1, 1)}}, sqlite.JSONOptions{})
	wantCode(t, err, arsenal.InvalidArgument)
}

// failWriter fails every write after the first ok ones.
type failWriter struct {
	ok  int
	err error
	n   int
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n >= w.ok {
		return 0, w.err
	}
	w.n++
	return len(p), nil
}

func TestQueryJSONStreamsAndReportsWriteErrors(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	// Enough rows to pass the 64 KiB buffer several times.
	const big = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000) SELECT x, printf('%040d', x) AS pad FROM c"
	var buf bytes.Buffer
	require.NoError(t, db.QueryJSON(ctx, &buf, big))
	var rows []struct {
		X   int64  `json:"x"`
		Pad string `json:"pad"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rows))
	require.Len(t, rows, 3000)
	assert.Equal(t, int64(3000), rows[2999].X)
	assert.Equal(t, strings.Repeat("0", 36)+"3000", rows[2999].Pad)

	broken := errors.New("disk gone")
	err := db.QueryJSON(ctx, &failWriter{ok: 0, err: broken}, big)
	require.ErrorIs(t, err, broken, "a write failing mid-stream")
	err = db.QueryJSON(ctx, &failWriter{ok: 0, err: broken}, "SELECT 1 AS a")
	require.ErrorIs(t, err, broken, "the final write failing")
	var ae *arsenal.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, sqlite.Kind, ae.Component)
}
