package arsenal

import (
	"bufio"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// MetricsHandler serves every component's Stats in the Prometheus text
// exposition format (version 0.0.4), so a Prometheus server can scrape a
// service's components without an exporter. Handler serves it at /metrics.
//
// Per component (label component is its name in the hub, kind its Kind):
//
//	arsenal_up                                  1 while the component holds a usable connection
//	arsenal_operations_total{op}                calls, successful or not (counter)
//	arsenal_operation_errors_total{op}          calls that returned an error (counter)
//	arsenal_operation_duration_seconds{op,quantile="0.5"|"0.95"|"0.99"|"1"}
//	                                            latency summary; _count is the calls, _sum the mean times the calls
//	arsenal_<kind>_<gauge>[_<unit>][_total]     each gauge of the typed stats, named by its unit:
//	                                            seconds and bytes as suffixes, counters as _total
//
// A scrape reads Stats only (no I/O, no health checks) and costs
// O(components × operations).
func (h *Hub) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !getOnly(w, r) {
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		bw := bufio.NewWriter(w)
		WriteMetrics(bw, h.Names(), h.Stats())
		_ = bw.Flush()
	})
}

// metricFamily collects the samples of one metric name, so that each name
// is written once with its HELP and TYPE lines, as the format requires.
type metricFamily struct {
	name, help, typ string
	samples         []string
}

// WriteMetrics writes stats (keyed by component name, written in the
// order of names, then any others sorted) in the Prometheus text format.
// MetricsHandler uses it; it is exported for services that serve their
// own /metrics and want the components' figures beside theirs.
func WriteMetrics(w *bufio.Writer, names []string, stats map[string]Stats) {
	order := slices.Clone(names)
	var rest []string
	for n := range stats {
		if !slices.Contains(order, n) {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	order = append(order, rest...)

	families := map[string]*metricFamily{}
	var familyOrder []string
	add := func(name, typ, help, labels string, v float64) {
		f := families[name]
		if f == nil {
			f = &metricFamily{name: name, help: help, typ: typ}
			families[name] = f
			familyOrder = append(familyOrder, name)
		}
		f.samples = append(f.samples, name+"{"+labels+"} "+formatFloat(v))
	}
	for _, name := range order {
		s, ok := stats[name]
		if !ok {
			continue
		}
		base := `component="` + escapeLabel(name) + `",kind="` + escapeLabel(s.Kind) + `"`
		up := 0.0
		if s.Connected {
			up = 1
		}
		add("arsenal_up", "gauge", "Whether the component holds a usable connection (1) or not (0).", base, up)
		for _, op := range s.OpNames() {
			o := s.Ops[op]
			l := base + `,op="` + escapeLabel(op) + `"`
			add("arsenal_operations_total", "counter", "Operations completed, successful or not.", l, float64(o.Count))
			add("arsenal_operation_errors_total", "counter", "Operations that returned an error.", l, float64(o.Errors))
			const dur = "arsenal_operation_duration_seconds"
			const help = "Operation latency in seconds; _sum is the mean latency times the count."
			for _, q := range []struct {
				q string
				v float64
			}{{"0.5", o.P50.Seconds()}, {"0.95", o.P95.Seconds()}, {"0.99", o.P99.Seconds()}, {"1", o.Max.Seconds()}} {
				add(dur, "summary", help, l+`,quantile="`+q.q+`"`, q.v)
			}
			f := families[dur]
			f.samples = append(f.samples,
				dur+"_sum{"+l+"} "+formatFloat(o.Mean.Seconds()*float64(o.Count)),
				dur+"_count{"+l+"} "+formatFloat(float64(o.Count)))
		}
		for _, g := range s.Gauges {
			mname, typ := gaugeMetricName(s.Kind, g)
			add(mname, typ, fmt.Sprintf("The %s gauge of %s components (%s).", g.Name, s.Kind, g.Unit), base, g.Value)
		}
	}
	for _, n := range familyOrder {
		f := families[n]
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.typ)
		for _, s := range f.samples {
			w.WriteString(s)
			w.WriteByte('\n')
		}
	}
}

// gaugeMetricName names a gauge after Prometheus's conventions: the base
// unit as a suffix, _total for counters.
func gaugeMetricName(kind string, g Gauge) (name, typ string) {
	name = "arsenal_" + sanitizeMetric(kind) + "_" + sanitizeMetric(g.Name)
	switch g.Unit {
	case UnitSeconds:
		if !strings.HasSuffix(name, "_seconds") {
			name += "_seconds"
		}
	case UnitBytes:
		if !strings.HasSuffix(name, "_bytes") {
			name += "_bytes"
		}
	case UnitUnixTime:
		name += "_timestamp_seconds"
	case UnitRatio:
		name += "_ratio"
	}
	typ = "gauge"
	if g.Counter {
		typ = "counter"
		name += "_total"
	}
	return name, typ
}

func sanitizeMetric(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9' && i > 0)
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
