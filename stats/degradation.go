package stats

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// Metric names a Rule can watch. Latency metrics are in seconds, rates
// are fractions (0.01 is 1%), and "gauge:NAME" reads the gauge NAME of the
// component's typed stats (arsenal.Stats.Gauge).
const (
	MetricErrorRate = "error_rate" // errors / calls, per operation
	MetricMean      = "mean"       // mean latency, seconds, per operation
	MetricP50       = "p50"        // median latency, seconds, per operation
	MetricP95       = "p95"        // 95th percentile latency, seconds, per operation
	MetricP99       = "p99"        // 99th percentile latency, seconds, per operation
	MetricMax       = "max"        // worst latency, seconds, per operation
	MetricConnected = "connected"  // 1 when the component holds a usable connection, else 0 (lower is worse)
	GaugePrefix     = "gauge:"     // prefix of a gauge metric, e.g. "gauge:reconnects"
)

// Action is what a caller should do about an alert.
type Action string

// The actions a Rule can ask for.
const (
	ActionWarn  Action = "warn"  // show it; nothing is broken yet
	ActionError Action = "error" // the component is degraded: page someone, fail a health gate
	ActionRetry Action = "retry" // transient until it persists: a Detector alerts only after Retries consecutive breaches
)

// Rule is one rule for degradation detection: Metric, on components of
// Kind (empty: all) and operations named Op (empty: every operation), is
// degraded when it passes Threshold. Baseline is the value expected when
// healthy; it only gives an alert context ("6.0x baseline").
//
// For every metric except "connected", higher is worse and the alert fires
// when the value exceeds Threshold; for "connected" it fires when the value
// falls below Threshold.
//
// Each domain exports its default rules over its own typed stats (such as
// redis.DegradationRules: reconnects and dropped pub/sub messages), which
// its typed stats value offers through RuleSource; a Detector uses them
// unless its caller sets Rules.
type Rule struct {
	Name      string  // a short label for the rule, such as "redis reconnects"; optional
	Metric    string  // one of the Metric* constants, or "gauge:NAME"
	Kind      string  // component kind to watch ("redis"); empty means every kind
	Op        string  // operation name ("get"); empty means every operation
	Baseline  float64 // the healthy value, in the metric's unit
	Threshold float64 // the limit, in the metric's unit
	Action    Action  // warn, error or retry; empty means warn
	// MinCalls is the fewest calls an operation must have completed before
	// its error rate or latency is judged (default 20), so that one early
	// failure is not a 100% error rate.
	MinCalls uint64
	// Rate judges a counter gauge (reconnects, dropped messages) by how
	// much it grew since the previous Check of a Detector, rather than by
	// its total; DetectDegradation, which has no previous check, judges
	// the total.
	Rate bool
}

// Validate reports every bad field of r as an InvalidArgument error.
func (r Rule) Validate() error {
	v := arsenal.Validation{Component: "stats"}
	known := []string{MetricErrorRate, MetricMean, MetricP50, MetricP95, MetricP99, MetricMax, MetricConnected}
	v.Check(slices.Contains(known, r.Metric) || (strings.HasPrefix(r.Metric, GaugePrefix) && len(r.Metric) > len(GaugePrefix)),
		"Metric", "unknown metric %q (want one of %s, or gauge:NAME)", r.Metric, strings.Join(known, ", "))
	v.Check(!math.IsNaN(r.Threshold) && !math.IsInf(r.Threshold, 0), "Threshold", "must be a finite number")
	v.Check(!math.IsNaN(r.Baseline) && !math.IsInf(r.Baseline, 0), "Baseline", "must be a finite number")
	v.Check(r.Action == "" || r.Action == ActionWarn || r.Action == ActionError || r.Action == ActionRetry,
		"Action", "must be warn, error or retry, got %q", r.Action)
	v.Check(!r.Rate || strings.HasPrefix(r.Metric, GaugePrefix), "Rate", "applies only to gauge:NAME metrics")
	return v.Err()
}

// DefaultRules are sensible rules for every network client: a 1% error
// rate warns and 5% is an error; p99 above 250 ms warns (retry: only when
// it persists) and above 1 s is an error; a lost connection is an error.
// The domains' own rules start with these.
var DefaultRules = []Rule{
	{Name: "error rate", Metric: MetricErrorRate, Baseline: 0, Threshold: 0.01, Action: ActionWarn},
	{Name: "error rate", Metric: MetricErrorRate, Baseline: 0, Threshold: 0.05, Action: ActionError},
	{Name: "latency", Metric: MetricP99, Baseline: 0.005, Threshold: 0.25, Action: ActionRetry},
	{Name: "latency", Metric: MetricP99, Baseline: 0.005, Threshold: 1, Action: ActionError},
	{Name: "connection", Metric: MetricConnected, Baseline: 1, Threshold: 1, Action: ActionError},
}

// RuleSource is implemented by a domain's typed stats value (the Detail of
// its arsenal.Stats) to give the rules that judge it by default.
type RuleSource interface {
	DegradationRules() []Rule
}

// RulesFor returns the rules that judge s by default: its Detail's
// (RuleSource), or DefaultRules.
func RulesFor(s arsenal.Stats) []Rule {
	if rs, ok := s.Detail.(RuleSource); ok {
		if r := rs.DegradationRules(); len(r) > 0 {
			return r
		}
	}
	return DefaultRules
}

// Append returns DefaultRules followed by extra, in a new slice: the usual
// way for a domain to build its rules.
func Append(extra ...Rule) []Rule {
	return append(slices.Clone(DefaultRules), extra...)
}

// Alert is one breached threshold.
type Alert struct {
	Component string  // the name the stats were keyed by (a Hub name)
	Kind      string  // the component's kind
	Op        string  // the operation, empty for component-wide metrics
	Metric    string  // the metric that breached
	Value     float64 // its current value
	Baseline  float64 // the threshold's healthy value
	Threshold float64 // the limit it passed
	Action    Action
	Rule      string // the rule's Name, when it has one
	Message   string // a sentence a person can act on
}

// String is the alert's message prefixed by its action.
func (a Alert) String() string { return string(a.Action) + ": " + a.Message }

// DetectDegradation checks every component's stats against rules and
// returns the breaches, sorted by component, operation and metric. With no
// rules given, each component is judged by its own domain's rules
// (RulesFor). It is stateless: error rates and latencies are those of the
// whole Stats window (since the recorder started), a Rate rule judges its
// counter's total, and a retry rule alerts like a warn one. Use a Detector
// to judge each interval on its own and to hold retry alerts back until
// they persist. Invalid rules are skipped; check them with Validate.
//
// Cost: O(components x operations x rules); no I/O, no locks.
func DetectDegradation(stats map[string]arsenal.Stats, rules ...Rule) []Alert {
	var alerts []Alert
	for _, name := range sortedKeys(stats) {
		rs := rules
		if len(rs) == 0 {
			rs = RulesFor(stats[name])
		}
		alerts = append(alerts, check(name, stats[name], nil, rs)...)
	}
	return alerts
}

// Detector checks stats against rules at intervals, as a dashboard or
// console does once a second. Unlike DetectDegradation it judges error
// rates over the interval since the previous Check (from count deltas),
// and Rate rules by their counter's growth since then, so an old burst
// fades; and it reports a retry-action breach only once it has held for
// Retries consecutive checks. A Detector is safe for concurrent use.
type Detector struct {
	// Rules, when set, judge every component; when empty each component
	// is judged by its domain's rules (RulesFor).
	Rules   []Rule
	Retries int // consecutive breaches before a retry alert fires; default 3

	mu      sync.Mutex
	prev    map[string]arsenal.Stats
	streaks map[string]int
}

// NewDetector returns a Detector with the given rules (each component's
// own domain rules when none are given).
func NewDetector(rules ...Rule) *Detector {
	return &Detector{Rules: rules}
}

// CheckHub is Check over the stats of every component of h.
func (d *Detector) CheckHub(h *arsenal.Hub) []Alert { return d.Check(h.Stats()) }

// Check returns the alerts for this interval. The first Check compares
// against nothing, so its error rates cover the whole Stats window.
func (d *Detector) Check(stats map[string]arsenal.Stats) []Alert {
	d.mu.Lock()
	defer d.mu.Unlock()
	retries := d.Retries
	if retries <= 0 {
		retries = 3
	}
	if d.streaks == nil {
		d.streaks = map[string]int{}
	}
	var out []Alert
	seen := map[string]bool{}
	for _, name := range sortedKeys(stats) {
		var prev *arsenal.Stats
		if p, ok := d.prev[name]; ok && p.Since.Equal(stats[name].Since) { // same window: not reset since
			prev = &p
		}
		rs := d.Rules
		if len(rs) == 0 {
			rs = RulesFor(stats[name])
		}
		for _, a := range check(name, stats[name], prev, rs) {
			if a.Action != ActionRetry {
				out = append(out, a)
				continue
			}
			key := a.Component + "\x00" + a.Op + "\x00" + a.Metric + "\x00" + fmt.Sprint(a.Threshold)
			seen[key] = true
			d.streaks[key]++
			if d.streaks[key] >= retries {
				a.Message += fmt.Sprintf(" (for %d consecutive checks)", d.streaks[key])
				out = append(out, a)
			}
		}
	}
	for k := range d.streaks {
		if !seen[k] {
			delete(d.streaks, k)
		}
	}
	d.prev = stats
	return out
}

func sortedKeys(m map[string]arsenal.Stats) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// check applies thresholds to one component. When prev is set (same
// recorder window), error rates use the count deltas since prev.
func check(name string, s arsenal.Stats, prev *arsenal.Stats, ths []Rule) []Alert {
	var out []Alert
	for _, t := range ths {
		if t.Validate() != nil || (t.Kind != "" && t.Kind != s.Kind) {
			continue
		}
		action := t.Action
		if action == "" {
			action = ActionWarn
		}
		emit := func(op string, value float64, what string) {
			out = append(out, Alert{
				Component: name, Kind: s.Kind, Op: op, Metric: t.Metric, Value: value,
				Baseline: t.Baseline, Threshold: t.Threshold, Action: action, Rule: t.Name, Message: what,
			})
		}
		switch {
		case t.Metric == MetricConnected:
			v := 0.0
			if s.Connected {
				v = 1
			}
			if v < t.Threshold {
				emit("", v, fmt.Sprintf("%s (%s) has no usable connection", name, s.Kind))
			}
		case strings.HasPrefix(t.Metric, GaugePrefix):
			g := strings.TrimPrefix(t.Metric, GaugePrefix)
			v, ok := s.Gauge(g)
			if !ok {
				continue
			}
			if t.Rate && prev != nil {
				if p, ok := prev.Gauge(g); ok && p <= v {
					if v-p > t.Threshold {
						emit("", v-p, fmt.Sprintf("%s (%s) %s grew by %g since the last check, above %g", name, s.Kind, g, v-p, t.Threshold))
					}
					continue
				}
			}
			if v > t.Threshold {
				emit("", v, fmt.Sprintf("%s (%s) gauge %s is %g, above %g%s", name, s.Kind, g, v, t.Threshold, vsBaseline(v, t.Baseline)))
			}
		default:
			minCalls := t.MinCalls
			if minCalls == 0 {
				minCalls = 20
			}
			for _, op := range s.OpNames() {
				if t.Op != "" && t.Op != op {
					continue
				}
				o := s.Ops[op]
				if t.Metric == MetricErrorRate && prev != nil {
					if p, ok := prev.Ops[op]; ok && p.Count <= o.Count && p.Errors <= o.Errors {
						o.Count -= p.Count
						o.Errors -= p.Errors
					}
				}
				if o.Count < minCalls {
					continue
				}
				v := opMetric(o, t.Metric)
				if v <= t.Threshold {
					continue
				}
				if t.Metric == MetricErrorRate {
					emit(op, v, fmt.Sprintf("%s (%s) %s: error rate %.2f%% over %d calls, above %.2f%%",
						name, s.Kind, op, v*100, o.Count, t.Threshold*100))
				} else {
					emit(op, v, fmt.Sprintf("%s (%s) %s: %s latency %v, above %v%s", name, s.Kind, op, t.Metric,
						secs(v), secs(t.Threshold), vsBaseline(v, t.Baseline)))
				}
			}
		}
	}
	return out
}

func opMetric(o arsenal.OpStats, metric string) float64 {
	switch metric {
	case MetricErrorRate:
		return o.ErrorRate()
	case MetricMean:
		return o.Mean.Seconds()
	case MetricP50:
		return o.P50.Seconds()
	case MetricP95:
		return o.P95.Seconds()
	case MetricP99:
		return o.P99.Seconds()
	case MetricMax:
		return o.Max.Seconds()
	}
	return 0
}

func secs(v float64) time.Duration {
	return time.Duration(v * float64(time.Second)).Round(time.Microsecond)
}

func vsBaseline(v, base float64) string {
	if base <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%.1fx baseline)", v/base)
}

// MissingGauges lists the gauges that rules read ("gauge:NAME") and s does
// not have, so that a domain's test can prove its rules name real fields
// of its typed stats.
func MissingGauges(rules []Rule, s arsenal.Stats) []string {
	var out []string
	for _, r := range rules {
		name, ok := strings.CutPrefix(r.Metric, GaugePrefix)
		if !ok {
			continue
		}
		if _, has := s.Gauge(name); !has && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
