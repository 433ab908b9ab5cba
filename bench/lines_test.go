package bench_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
)

func TestLinesRoundTripInTheCommonFormat(t *testing.T) {
	var buf bytes.Buffer
	w := bench.NewLineWriter(&buf)
	require.NoError(t, w.Measurement("redis", "GET, 64 callers", "arsenal", "ops/s", 412345.6, true))
	require.NoError(t, w.Check("redis", "64-caller GET >= 4x go-redis", false, "3.1x"))
	want := `{"domain":"redis","workload":"GET, 64 callers","impl":"arsenal","metric":"ops/s","value":412345.6,"better":"higher"}
{"domain":"redis","check":"64-caller GET >= 4x go-redis","pass":false,"detail":"3.1x"}
`
	assert.Equal(t, want, buf.String())
	lines, err := bench.ReadLines(strings.NewReader("starting redis...\n\n" + buf.String()))
	require.NoError(t, err)
	require.Len(t, lines, 2)
	assert.False(t, lines[0].IsCheck())
	assert.True(t, lines[1].IsCheck())
	assert.Equal(t, 412345.6, lines[0].Value)
	assert.True(t, lines[0].HigherIsBetter())
	assert.Equal(t, "3.1x", lines[1].Detail)
}

func TestReadLinesRejectsBrokenLinesByNumber(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "broken JSON", in: "{\"domain\":\"x\",\"check\":\"c\"}\n{\"domain\":", want: "line 2"},
		{name: "a measurement without impl", in: `{"domain":"x","workload":"w","metric":"ops/s","value":1}`, want: "impl"},
		{name: "a line without domain", in: `{"check":"c","pass":true}`, want: "domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bench.ReadLines(strings.NewReader(tt.in))
			require.Error(t, err)
			assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "err = %v, want InvalidArgument", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestHigherIsBetterGuessesFromTheMetric(t *testing.T) {
	tests := []struct {
		name string
		line bench.Line
		want bool
	}{
		{name: "ops/s", line: bench.Line{Metric: "ops/s"}, want: true},
		{name: "MB/s", line: bench.Line{Metric: "MB/s"}, want: true},
		{name: "latency", line: bench.Line{Metric: "p99 ms"}, want: false},
		{name: "explicit better wins", line: bench.Line{Metric: "ops/s", Better: "lower"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.line.HigherIsBetter())
		})
	}
}

func FuzzReadLines(f *testing.F) {
	f.Add(`{"domain":"redis","workload":"w","impl":"arsenal","metric":"ops/s","value":1}`)
	f.Add(`{"domain":"redis","check":"c","pass":true}` + "\n{")
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := bench.ReadLines(strings.NewReader(in))
		if err != nil {
			require.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "err = %v", err)
		}
		for _, l := range lines {
			require.NoError(t, l.Validate(), "returned an invalid line %+v", l)
		}
	})
}
