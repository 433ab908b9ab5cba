package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"

	"github.com/infra-arsenal/arsenal"
)

// DefaultAlpha is the significance level of the Mann-Whitney U test used to
// compare benchmark samples: a difference with p below it is significant.
const DefaultAlpha = 0.05

// DefaultMinEffect is the smallest relative change of a benchmark's median
// reported as a regression or an improvement (5%); significant changes
// smaller than it are reported as unchanged, since they rarely matter and
// often come from the machine rather than the code.
const DefaultMinEffect = 0.05

// Benchmarks holds the samples of one `go test -bench` output (one or more
// runs, e.g. with -count 10), grouped by benchmark and unit. Read one with
// ReadBenchmarks or ReadBenchmarksFile.
type Benchmarks struct {
	Label   string                   // the file name, or what the caller named it
	samples map[benchKey][]float64   // values per benchmark and unit, in file order
	order   []benchKey               // keys in first-seen order
	units   benchfmt.UnitMetadataMap // unit metadata (better=higher|lower)
}

type benchKey struct{ pkg, name, unit string }

// Len is the number of distinct (benchmark, unit) pairs.
func (b *Benchmarks) Len() int { return len(b.order) }

// Samples returns the values recorded for the benchmark name (as printed,
// without the "Benchmark" prefix, with its -procs suffix) in unit (tidied
// to benchfmt's base units, e.g. "sec/op" for ns/op), across packages.
func (b *Benchmarks) Samples(name, unit string) []float64 {
	var out []float64
	for _, k := range b.order {
		if k.name == name && k.unit == unit {
			out = append(out, b.samples[k]...)
		}
	}
	return out
}

// ReadBenchmarks parses `go test -bench` output (the Go benchmark format,
// via golang.org/x/perf/benchfmt). Lines that are not benchmark results are
// skipped, as go test mixes them in. A malformed result line or no results
// at all is an InvalidArgument error naming the line.
func ReadBenchmarks(r io.Reader, label string) (*Benchmarks, error) {
	br := benchfmt.NewReader(r, label)
	b := &Benchmarks{Label: label, samples: map[benchKey][]float64{}}
	var syntaxErrs []error
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.Result:
			pkg := rec.GetConfig("pkg")
			for _, v := range rec.Values {
				if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
					// benchmath's tests misbehave on non-finite values.
					file, line := rec.Pos()
					syntaxErrs = append(syntaxErrs, fmt.Errorf("%s:%d: %s value %v is not a finite number", file, line, v.OrigUnit, v.OrigValue))
					continue
				}
				k := benchKey{pkg: pkg, name: string(rec.Name.Full()), unit: v.Unit}
				if _, seen := b.samples[k]; !seen {
					b.order = append(b.order, k)
				}
				b.samples[k] = append(b.samples[k], v.Value)
			}
		case *benchfmt.SyntaxError:
			syntaxErrs = append(syntaxErrs, rec)
		}
	}
	if err := br.Err(); err != nil {
		return nil, arsenal.E(arsenal.NativeCode(err), "bench", "read benchmarks", err)
	}
	b.units = br.Units()
	if len(syntaxErrs) > 0 {
		return nil, arsenal.E(arsenal.InvalidArgument, "bench", "read benchmarks", errors.Join(syntaxErrs...))
	}
	if len(b.order) == 0 {
		return nil, arsenal.Errorf(arsenal.InvalidArgument, "bench", "read benchmarks", "%s holds no benchmark results", label)
	}
	return b, nil
}

// ReadBenchmarksFile is ReadBenchmarks on a file, labelled with its path.
// A missing file is NotFound.
func ReadBenchmarksFile(path string) (*Benchmarks, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, arsenal.E(arsenal.NativeCode(err), "bench", "read benchmarks", err)
	}
	defer f.Close()
	return ReadBenchmarks(f, path)
}

// RegressionConfig tunes CompareBenchmarks. Zero fields take the defaults
// stated beside them.
type RegressionConfig struct {
	// Alpha is the Mann-Whitney U test's significance level. Default
	// DefaultAlpha (0.05).
	Alpha float64
	// MinEffect is the smallest relative change of the median reported as a
	// regression or improvement. Default DefaultMinEffect (0.05); a
	// negative value means 0 (any significant change counts).
	MinEffect float64
	// Units restricts the comparison to these units (after tidying:
	// "sec/op", "B/op", "allocs/op", "B/s"). Default: every unit.
	Units []string
}

// Verdict is the outcome of comparing one benchmark's two samples.
type Verdict int

// The verdicts, from no news to bad news.
const (
	Unchanged    Verdict = iota // no significant change, or one below MinEffect
	Improvement                 // significantly better by at least MinEffect
	Regression                  // significantly worse by at least MinEffect
	Inconclusive                // too few samples to detect a difference, or no direction known for the unit
)

func (v Verdict) String() string {
	switch v {
	case Unchanged:
		return "no significant change"
	case Improvement:
		return "improvement"
	case Regression:
		return "regression"
	case Inconclusive:
		return "inconclusive"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Change compares one benchmark in one unit between two runs.
type Change struct {
	Pkg      string  // the package, from the "pkg:" line, if any
	Name     string  // the benchmark's name without "Benchmark", with its -procs suffix
	Unit     string  // the tidied unit, such as "sec/op"
	Old, New float64 // the samples' medians
	OldN     int     // samples in the baseline
	NewN     int     // samples in the new run
	Delta    float64 // (New-Old)/Old; +0.10 is 10% higher
	P        float64 // Mann-Whitney U p-value
	Verdict  Verdict
	Warnings []string // too few samples, all samples equal, unknown direction
}

// String formats the change on one line, such as
// "Encode/format=json-48 sec/op: 1.718µ -> 1.423µ (-17.20%, p=0.000 n=10+10): improvement".
func (c Change) String() string {
	cls := benchunit.ClassOf(c.Unit)
	return fmt.Sprintf("%s %s: %s -> %s (%+.2f%%, p=%.3f n=%d+%d): %s",
		c.Name, c.Unit, benchunit.Scale(c.Old, cls), benchunit.Scale(c.New, cls), c.Delta*100, c.P, c.OldN, c.NewN, c.Verdict)
}

// RegressionReport is the result of CompareBenchmarks.
type RegressionReport struct {
	Old, New  string   // the two inputs' labels
	Alpha     float64  // significance level used
	MinEffect float64  // minimum effect size used
	Changes   []Change // one per benchmark and unit present in both inputs, in the baseline's order
	Warnings  []string // benchmarks present in only one input
}

// Regressions returns the changes whose verdict is Regression.
func (r RegressionReport) Regressions() []Change { return r.filter(Regression) }

// Improvements returns the changes whose verdict is Improvement.
func (r RegressionReport) Improvements() []Change { return r.filter(Improvement) }

func (r RegressionReport) filter(v Verdict) []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Verdict == v {
			out = append(out, c)
		}
	}
	return out
}

// Err returns a FailedPrecondition error listing the regressions, or nil
// when there are none, for CI gates.
func (r RegressionReport) Err() error {
	regs := r.Regressions()
	if len(regs) == 0 {
		return nil
	}
	lines := make([]string, len(regs))
	for i, c := range regs {
		lines[i] = c.String()
	}
	return arsenal.Errorf(arsenal.FailedPrecondition, "bench", "compare benchmarks",
		"%d regression(s) against %s:\n%s", len(regs), r.Old, strings.Join(lines, "\n"))
}

// WriteText writes the report as an aligned table, then its warnings.
func (r RegressionReport) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "benchmark\tunit\t%s\t%s\tdelta\tp\tn\tverdict\n", r.Old, r.New)
	var notes []string
	for _, c := range r.Changes {
		cls := benchunit.ClassOf(c.Unit)
		delta := fmt.Sprintf("%+.2f%%", c.Delta*100)
		if c.Verdict == Unchanged || c.Verdict == Inconclusive {
			delta = "~ " + delta
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.3f\t%d+%d\t%s\n", c.Name, c.Unit,
			benchunit.Scale(c.Old, cls), benchunit.Scale(c.New, cls), delta, c.P, c.OldN, c.NewN, c.Verdict)
		for _, wn := range c.Warnings {
			notes = append(notes, c.Name+" "+c.Unit+": "+wn)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range append(notes, r.Warnings...) {
		if _, err := fmt.Fprintln(w, "warning:", n); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d regression(s), %d improvement(s) (alpha %.2f, minimum effect %.0f%%)\n",
		len(r.Regressions()), len(r.Improvements()), r.Alpha, r.MinEffect*100)
	return err
}

// CompareBenchmarks compares a baseline with a new run, benchmark by
// benchmark and unit by unit: medians, relative change, and a Mann-Whitney
// U test (golang.org/x/perf/benchmath's AssumeNothing, as benchstat does).
// A change is a Regression or Improvement only when p < Alpha and the
// median moved by at least MinEffect in the direction the unit calls worse
// or better (lower time and allocations are better; higher throughput is
// better). Fewer than 4 samples per side cannot reach p < 0.05 and give
// Inconclusive with a warning. Cost: O(n log n) per benchmark.
func CompareBenchmarks(old, new *Benchmarks, cfg RegressionConfig) RegressionReport {
	if cfg.Alpha <= 0 {
		cfg.Alpha = DefaultAlpha
	}
	if cfg.MinEffect == 0 {
		cfg.MinEffect = DefaultMinEffect
	} else if cfg.MinEffect < 0 {
		cfg.MinEffect = 0
	}
	rep := RegressionReport{Old: old.Label, New: new.Label, Alpha: cfg.Alpha, MinEffect: cfg.MinEffect}
	wanted := func(unit string) bool { return len(cfg.Units) == 0 || slices.Contains(cfg.Units, unit) }
	for _, k := range old.order {
		if !wanted(k.unit) {
			continue
		}
		ns, ok := new.samples[k]
		if !ok {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s %s is only in %s", k.name, k.unit, old.Label))
			continue
		}
		rep.Changes = append(rep.Changes, compareOne(k, old.samples[k], ns, better(old.units, new.units, k.unit), cfg))
	}
	for _, k := range new.order {
		if _, ok := old.samples[k]; !ok && wanted(k.unit) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s %s is only in %s", k.name, k.unit, new.Label))
		}
	}
	return rep
}

// better returns +1 when higher values of unit are better, -1 when lower
// ones are, 0 when unknown; ops/s-style units count as higher-is-better.
func better(a, b benchfmt.UnitMetadataMap, unit string) int {
	if d := a.GetBetter(unit); d != 0 {
		return d
	}
	if d := b.GetBetter(unit); d != 0 {
		return d
	}
	switch {
	case strings.HasSuffix(unit, "/s"):
		return 1
	case strings.HasSuffix(unit, "/op"):
		return -1
	}
	return 0
}

func compareOne(k benchKey, oldVals, newVals []float64, dir int, cfg RegressionConfig) Change {
	thr := benchmath.DefaultThresholds
	thr.CompareAlpha = cfg.Alpha
	os, ns := benchmath.NewSample(oldVals, &thr), benchmath.NewSample(newVals, &thr)
	cmp := benchmath.AssumeNothing.Compare(os, ns)
	c := Change{
		Pkg: k.pkg, Name: k.name, Unit: k.unit,
		Old:  benchmath.AssumeNothing.Summary(os, 0.95).Center,
		New:  benchmath.AssumeNothing.Summary(ns, 0.95).Center,
		OldN: len(oldVals), NewN: len(newVals), P: cmp.P,
	}
	switch {
	case c.Old != 0:
		c.Delta = (c.New - c.Old) / math.Abs(c.Old)
	case c.New != 0:
		c.Delta = math.Inf(int(math.Copysign(1, c.New)))
	}
	for _, w := range cmp.Warnings {
		c.Warnings = append(c.Warnings, w.Error())
	}
	tooFew := !enoughSamples(len(oldVals), len(newVals), cfg.Alpha)
	significant := cmp.P < cfg.Alpha && math.Abs(c.Delta) >= cfg.MinEffect
	switch {
	case tooFew:
		c.Verdict = Inconclusive
	case !significant:
		c.Verdict = Unchanged
	case dir == 0:
		c.Verdict = Inconclusive
		c.Warnings = append(c.Warnings, "unknown whether higher or lower "+k.unit+" is better")
	case (c.Delta > 0) == (dir > 0):
		c.Verdict = Improvement
	default:
		c.Verdict = Regression
	}
	return c
}

// enoughSamples reports whether samples of sizes n1 and n2 can reach
// p < alpha in a two-sided Mann-Whitney U test at all: the smallest
// possible p is 2/C(n1+n2, n1).
func enoughSamples(n1, n2 int, alpha float64) bool {
	if n1 == 0 || n2 == 0 {
		return false
	}
	// log C(n1+n2, n1) via log-gamma, to avoid overflow.
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	logC := lg(n1+n2) - lg(n1) - lg(n2)
	return math.Log(2)-logC < math.Log(alpha)
}

// compareSamples runs the Mann-Whitney U test on two samples.
func compareSamples(a, b []float64, alpha float64) benchmath.Comparison {
	thr := benchmath.DefaultThresholds
	thr.CompareAlpha = alpha
	return benchmath.AssumeNothing.Compare(benchmath.NewSample(a, &thr), benchmath.NewSample(b, &thr))
}
