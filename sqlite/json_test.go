package sqlite_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONKeepsLargeIntegersExactWithSafeIntegers(t *testing.T) {
	cols := []string{"v"}
	tests := []struct {
		name       string
		v          any
		safe, want string // JSON with SafeIntegers on / off
	}{
		{"largest safe integer", int64(1<<53 - 1), `9007199254740991`, `9007199254740991`},
		{"smallest safe integer", int64(-(1<<53 - 1)), `-9007199254740991`, `-9007199254740991`},
		{"2^53 + 1", int64(1<<53 + 1), `"9007199254740993"`, `9007199254740993`},
		{"min int64", int64(math.MinInt64), `"-9223372036854775808"`, `-9223372036854775808`},
		{"float", 1.5, `1.5`, `1.5`},
		{"tiny float", 1e-7, `1e-7`, `1e-7`},
		{"infinity", math.Inf(1), `"Infinity"`, `"Infinity"`},
		{"text with escapes", "a\"b\\c\n<\u2028>\x01", `"a\"b\\c\n\u003c\u2028\u003e\u0001"`, `"a\"b\\c\n\u003c\u2028\u003e\u0001"`},
		{"blob", []byte{0, 255}, `"AP8="`, `"AP8="`},
		{"empty blob", []byte{}, `""`, `""`},
		{"null", nil, `null`, `null`},
		{"uint64 that fits", uint64(1 << 60), `"1152921504606846976"`, `1152921504606846976`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				safe bool
				want string
			}{{true, tt.safe}, {false, tt.want}} {
				b, err := sqlite.MarshalRow(cols, []any{tt.v}, sqlite.JSONOptions{SafeIntegers: c.safe})
				require.NoError(t, err)
				assert.Equal(t, `{"v":`+c.want+`}`, string(b), "safe=%v, want {\"v\":%s}", c.safe, c.want)
				assert.True(t, json.Valid(b), "invalid JSON %s", b)
			}
		})
	}
	_, err := sqlite.MarshalRow(cols, []any{uint64(math.MaxUint64)}, sqlite.JSONOptions{})
	wantCode(t, err, arsenal.InvalidArgument)
	_, err = sqlite.MarshalRow(cols, []any{struct{}{}}, sqlite.JSONOptions{})
	wantCode(t, err, arsenal.InvalidArgument)
}

func TestQueryJSONStreamsRowsWithTheDatabaseSetting(t *testing.T) {
	for _, safe := range []bool{true, false} {
		db := openMem(t, sqlite.Config{SafeIntegers: safe})
		mustExec(t, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, big INTEGER, s TEXT)")
		for i := 0; i < 3000; i++ { // more than one 64 KiB chunk
			mustExec(t, db, "INSERT INTO t(big, s) VALUES (?, ?)", int64(1)<<62+int64(i), strings.Repeat("x", 30))
		}
		var sb strings.Builder
		require.NoError(t, db.QueryJSON(ctxT(t), &sb, "SELECT big, s FROM t ORDER BY id"))
		var rows []map[string]any
		dec := json.NewDecoder(strings.NewReader(sb.String()))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&rows), "safe=%v", safe)
		require.Equal(t, 3000, len(rows), "%d rows", len(rows))
		_, isString := rows[2999]["big"].(string)
		assert.Equal(t, safe, isString, "safe: big decoded as %T", rows[2999]["big"])
		if got := rows[2999]["big"]; got != "4611686018427390903" && got != json.Number("4611686018427390903") {
			t.Errorf("safe=%v: big = %v, not exact", safe, got)
		}
	}
}
