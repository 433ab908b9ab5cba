package bench_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
)

func TestLinesRoundTripInTheCommonFormat(t *testing.T) {
	var buf bytes.Buffer
	w := bench.NewLineWriter(&buf)
	if err := w.Measurement("redis", "GET, 64 callers", "arsenal", "ops/s", 412345.6, true); err != nil {
		t.Fatal(err)
	}
	if err := w.Check("redis", "64-caller GET >= 4x go-redis", false, "3.1x"); err != nil {
		t.Fatal(err)
	}
	want := `{"domain":"redis","workload":"GET, 64 callers","impl":"arsenal","metric":"ops/s","value":412345.6,"better":"higher"}
{"domain":"redis","check":"64-caller GET >= 4x go-redis","pass":false,"detail":"3.1x"}
`
	if buf.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", buf.String(), want)
	}
	lines, err := bench.ReadLines(strings.NewReader("starting redis...\n\n" + buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].IsCheck() || !lines[1].IsCheck() || lines[0].Value != 412345.6 || !lines[0].HigherIsBetter() || lines[1].Detail != "3.1x" {
		t.Errorf("read back %+v", lines)
	}
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
			if !arsenal.IsCode(err, arsenal.InvalidArgument) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want InvalidArgument mentioning %q", err, tt.want)
			}
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
			if got := tt.line.HigherIsBetter(); got != tt.want {
				t.Errorf("HigherIsBetter = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzReadLines(f *testing.F) {
	f.Add(`{"domain":"redis","workload":"w","impl":"arsenal","metric":"ops/s","value":1}`)
	f.Add(`{"domain":"redis","check":"c","pass":true}` + "\n{")
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := bench.ReadLines(strings.NewReader(in))
		if err != nil && !arsenal.IsCode(err, arsenal.InvalidArgument) {
			t.Fatalf("err = %v", err)
		}
		for _, l := range lines {
			if l.Validate() != nil {
				t.Fatalf("returned an invalid line %+v", l)
			}
		}
	})
}
