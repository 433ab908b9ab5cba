package bench

import (
	"math"
	"slices"
)

// ArsenalImpl is the Impl of Arsenal's own figures in the result lines.
const ArsenalImpl = "arsenal"

// Row is one workload measured in one metric by several implementations.
type Row struct {
	Workload string
	Metric   string
	Higher   bool               // higher values are better
	Values   map[string]float64 // by implementation (median when reported more than once)
}

// Advantage is how many times better Arsenal did than impl in this row
// (more throughput or less latency), or NaN when either is missing.
func (r Row) Advantage(impl string) float64 {
	a, ok1 := r.Values[ArsenalImpl]
	v, ok2 := r.Values[impl]
	if !ok1 || !ok2 || a <= 0 || v <= 0 {
		return math.NaN()
	}
	if r.Higher {
		return a / v
	}
	return v / a
}

// Table is a domain's result lines arranged for display: one row per
// (workload, metric), one column per implementation.
type Table struct {
	Impls  []string // arsenal first, then in order of first appearance
	Rows   []Row    // in order of first appearance
	Checks []Line   // the target checks, in order
}

// Tabulate groups result lines into rows of (workload, metric), keeping the
// median of figures reported more than once.
func Tabulate(lines []Line) Table {
	var t Table
	index := map[[2]string]int{}
	samples := map[[3]string][]float64{}
	for _, l := range lines {
		if l.IsCheck() {
			t.Checks = append(t.Checks, l)
			continue
		}
		if !slices.Contains(t.Impls, l.Impl) {
			t.Impls = append(t.Impls, l.Impl)
		}
		k := [2]string{l.Workload, l.Metric}
		if _, ok := index[k]; !ok {
			index[k] = len(t.Rows)
			t.Rows = append(t.Rows, Row{Workload: l.Workload, Metric: l.Metric, Higher: l.HigherIsBetter(), Values: map[string]float64{}})
		}
		sk := [3]string{l.Workload, l.Metric, l.Impl}
		samples[sk] = append(samples[sk], l.Value)
	}
	for k, vs := range samples {
		t.Rows[index[[2]string{k[0], k[1]}]].Values[k[2]] = SpreadOf(vs).Median
	}
	if i := slices.Index(t.Impls, ArsenalImpl); i > 0 {
		t.Impls = append([]string{ArsenalImpl}, slices.Delete(t.Impls, i, i+1)...)
	}
	return t
}
