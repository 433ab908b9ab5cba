package bench_test

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
)

func readFile(t *testing.T, path string) *bench.Benchmarks {
	t.Helper()
	b, err := bench.ReadBenchmarksFile(path)
	require.NoError(t, err)
	return b
}

func findChange(t *testing.T, r bench.RegressionReport, name, unit string) bench.Change {
	t.Helper()
	for _, c := range r.Changes {
		if c.Name == name && c.Unit == unit {
			return c
		}
	}
	require.Failf(t, "no change", "no change for %s %s in %+v", name, unit, r.Changes)
	return bench.Change{}
}

// benchstat's documentation states the answer for its own old.txt/new.txt.
func TestCompareMatchesBenchstatOnItsOwnExample(t *testing.T) {
	r := bench.CompareBenchmarks(readFile(t, "testdata/benchstat-old.txt"), readFile(t, "testdata/benchstat-new.txt"), bench.RegressionConfig{})
	tests := []struct {
		name           string
		bench          string
		oldMed, newMed float64 // seconds, as benchstat prints them (4 significant digits)
		deltaPct       float64 // as benchstat prints it; NaN when "~"
		pLow, pHigh    float64
		verdict        bench.Verdict
	}{
		{name: "json got faster", bench: "Encode/format=json-48", oldMed: 1.718e-6, newMed: 1.423e-6, deltaPct: -17.20, pLow: 0, pHigh: 0.0005, verdict: bench.Improvement},
		{name: "gob did not change", bench: "Encode/format=gob-48", oldMed: 3.066e-6, newMed: 3.070e-6, deltaPct: math.NaN(), pLow: 0.4455, pHigh: 0.4465, verdict: bench.Unchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := findChange(t, r, tt.bench, "sec/op")
			assert.True(t, near(c.Old, tt.oldMed, 0.0005) && near(c.New, tt.newMed, 0.0005),
				"medians = %g -> %g, want %g -> %g", c.Old, c.New, tt.oldMed, tt.newMed)
			if !math.IsNaN(tt.deltaPct) {
				assert.InDelta(t, tt.deltaPct, c.Delta*100, 0.005, "delta %%")
			}
			assert.GreaterOrEqual(t, c.P, tt.pLow, "p")
			assert.LessOrEqual(t, c.P, tt.pHigh, "p")
			assert.Equal(t, tt.verdict, c.Verdict)
			assert.Equal(t, 10, c.OldN, "old n")
			assert.Equal(t, 10, c.NewN, "new n")
		})
	}
}

func near(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

// A recorded pair of real runs with one known regression, one unchanged
// benchmark and one known improvement (see testdata/README.md).
func TestCompareFindsTheKnownRegressionInARecordedPair(t *testing.T) {
	r := bench.CompareBenchmarks(readFile(t, "testdata/recorded-old.txt"), readFile(t, "testdata/recorded-new.txt"), bench.RegressionConfig{})
	tests := []struct {
		name    string
		bench   string
		unit    string
		verdict bench.Verdict
	}{
		{name: "hashing more bytes is a regression", bench: "Hash-2", unit: "sec/op", verdict: bench.Regression},
		{name: "identical code is unchanged", bench: "Encode-2", unit: "sec/op", verdict: bench.Unchanged},
		{name: "slices.Sort is an improvement", bench: "Sort-2", unit: "sec/op", verdict: bench.Improvement},
		{name: "equal allocations are unchanged", bench: "Encode-2", unit: "allocs/op", verdict: bench.Unchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := findChange(t, r, tt.bench, tt.unit)
			assert.Equal(t, tt.verdict, c.Verdict, "%s", c)
		})
	}
	regs := r.Regressions()
	if assert.Len(t, regs, 1, "regressions = %v, want only Hash-2", regs) {
		assert.Equal(t, "Hash-2", regs[0].Name)
	}
	err := r.Err()
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "Err() = %v, want FailedPrecondition", err)
	assert.Contains(t, err.Error(), "Hash-2")
	var sb strings.Builder
	require.NoError(t, r.WriteText(&sb))
	for _, want := range []string{"Hash-2", "regression", "improvement", "1 regression(s), 3 improvement(s)"} {
		assert.Contains(t, sb.String(), want, "text report")
	}
}

func bset(t *testing.T, label, name string, nsPerOp ...float64) *bench.Benchmarks {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("pkg: example.com/x\n")
	for _, v := range nsPerOp {
		sb.WriteString("Benchmark" + name + " 1000 " + strconv.FormatFloat(v, 'f', -1, 64) + " ns/op\n")
	}
	b, err := bench.ReadBenchmarks(strings.NewReader(sb.String()), label)
	require.NoError(t, err)
	return b
}

func TestCompareVerdicts(t *testing.T) {
	ten := []float64{1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009}
	scaled := func(f float64) []float64 {
		out := make([]float64, len(ten))
		for i, v := range ten {
			out[i] = v * f
		}
		return out
	}
	tests := []struct {
		name      string
		old, new  []float64
		minEffect float64
		want      bench.Verdict
		warning   string
	}{
		{name: "a 30% slowdown is a regression", old: ten, new: scaled(1.3), want: bench.Regression},
		{name: "a 30% speedup is an improvement", old: ten, new: scaled(0.7), want: bench.Improvement},
		{name: "a significant 2% slowdown is below the minimum effect", old: ten, new: scaled(1.02), want: bench.Unchanged},
		{name: "a significant 2% slowdown counts when any effect counts", old: ten, new: scaled(1.02), minEffect: -1, want: bench.Regression},
		{name: "identical samples are unchanged", old: ten, new: ten, want: bench.Unchanged},
		{name: "three samples each cannot show anything", old: ten[:3], new: scaled(2)[:3], want: bench.Inconclusive, warning: "need >= 4 samples"},
		{name: "one sample each cannot show anything", old: ten[:1], new: scaled(2)[:1], want: bench.Inconclusive, warning: "need >= 4 samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bench.CompareBenchmarks(bset(t, "old", "X", tt.old...), bset(t, "new", "X", tt.new...), bench.RegressionConfig{MinEffect: tt.minEffect})
			c := findChange(t, r, "X", "sec/op")
			assert.Equal(t, tt.want, c.Verdict, "%s", c)
			if tt.warning != "" {
				assert.Contains(t, strings.Join(c.Warnings, ";"), tt.warning, "warnings")
			}
		})
	}
}

func TestCompareWarnsAboutBenchmarksInOnlyOneFile(t *testing.T) {
	old := bset(t, "old", "Gone", 1, 2, 3, 4)
	nw := bset(t, "new", "Fresh", 1, 2, 3, 4)
	r := bench.CompareBenchmarks(old, nw, bench.RegressionConfig{})
	require.Empty(t, r.Changes)
	require.Len(t, r.Warnings, 2)
	assert.Contains(t, r.Warnings[0], "Gone sec/op is only in old")
	assert.Contains(t, r.Warnings[1], "Fresh sec/op is only in new")
}

func TestReadBenchmarksRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{name: "empty input has no results", input: "", want: "no benchmark results"},
		{name: "plain go test output has no results", input: "PASS\nok  \tx\t0.1s\n", want: "no benchmark results"},
		{name: "a value that is not a number is a syntax error", input: "BenchmarkX 10 fast ns/op\n", want: "in.txt:1"},
		{name: "a missing unit is a syntax error", input: "BenchmarkX 10 12\n", want: "in.txt:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bench.ReadBenchmarks(strings.NewReader(tt.input), "in.txt")
			require.Error(t, err)
			assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "err = %v, want InvalidArgument", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := bench.ReadBenchmarksFile(filepath.Join(t.TempDir(), "missing.txt"))
	assert.True(t, arsenal.IsCode(err, arsenal.NotFound), "missing file: err = %v, want NotFound", err)
	assert.ErrorIs(t, err, os.ErrNotExist, "missing file")
}

// Every baseline committed under bench/baselines must stay readable.
func TestEveryBaselineFileParses(t *testing.T) {
	files, _ := filepath.Glob("baselines/*.txt")
	require.NotEmpty(t, files, "no baseline files in bench/baselines")
	for _, f := range files {
		assert.NotZero(t, readFile(t, f).Len(), "%s holds no benchmarks", f)
	}
}

func FuzzReadBenchmarks(f *testing.F) {
	for _, p := range []string{"testdata/benchstat-old.txt", "testdata/recorded-new.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("BenchmarkX-2 10 NaN ns/op\n")
	f.Add("BenchmarkX 1 1 ns/op 1 ns/op\nBenchmarkX 1 -5 ns/op\n")
	f.Fuzz(func(t *testing.T, in string) {
		a, err := bench.ReadBenchmarks(strings.NewReader(in), "a")
		if err != nil {
			require.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "err = %v, want InvalidArgument", err)
			return
		}
		r := bench.CompareBenchmarks(a, a, bench.RegressionConfig{})
		require.Empty(t, r.Regressions(), "a file compared with itself shows regressions")
		_ = r.WriteText(new(strings.Builder))
	})
}
