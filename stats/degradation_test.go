package stats_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

func snap(kind string, connected bool, ops map[string]arsenal.OpStats, gauges map[string]float64) arsenal.Stats {
	s := arsenal.Stats{Kind: kind, Connected: connected, Since: time.Unix(1000, 0), Ops: ops}
	for name, v := range gauges {
		s.Gauges = append(s.Gauges, arsenal.Gauge{Name: name, Value: v, Unit: arsenal.UnitCount})
	}
	return s
}

func alertKeys(as []stats.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Component+"/"+a.Op+"/"+a.Metric+"/"+string(a.Action))
	}
	return out
}

func TestDetectDegradation(t *testing.T) {
	healthy := arsenal.OpStats{Count: 1000, Errors: 2, P99: 3 * time.Millisecond}
	tests := []struct {
		name  string
		stats map[string]arsenal.Stats
		rules []stats.Rule
		want  []string
	}{
		{name: "healthy components raise nothing",
			stats: map[string]arsenal.Stats{"cache": snap("redis", true, map[string]arsenal.OpStats{"get": healthy}, nil)}},
		{name: "a 10% error rate warns and errors",
			stats: map[string]arsenal.Stats{"cache": snap("redis", true, map[string]arsenal.OpStats{"get": {Count: 100, Errors: 10}}, nil)},
			want:  []string{"cache/get/error_rate/warn", "cache/get/error_rate/error"}},
		{name: "a 2% error rate only warns",
			stats: map[string]arsenal.Stats{"cache": snap("redis", true, map[string]arsenal.OpStats{"get": {Count: 100, Errors: 2}}, nil)},
			want:  []string{"cache/get/error_rate/warn"}},
		{name: "too few calls are not judged",
			stats: map[string]arsenal.Stats{"cache": snap("redis", true, map[string]arsenal.OpStats{"get": {Count: 3, Errors: 3}}, nil)}},
		{name: "a slow p99 asks for a retry and then an error",
			stats: map[string]arsenal.Stats{"db": snap("sqlite", true, map[string]arsenal.OpStats{"query": {Count: 50, P99: 2 * time.Second}}, nil)},
			want:  []string{"db/query/p99/retry", "db/query/p99/error"}},
		{name: "a lost connection is an error",
			stats: map[string]arsenal.Stats{"ws": snap("websocket", false, nil, nil)},
			want:  []string{"ws//connected/error"}},
		{name: "kind and op filters pick what they name",
			stats: map[string]arsenal.Stats{
				"cache": snap("redis", true, map[string]arsenal.OpStats{"get": {Count: 100, P95: 50 * time.Millisecond}, "set": {Count: 100, P95: 50 * time.Millisecond}}, nil),
				"blob":  snap("s3", true, map[string]arsenal.OpStats{"get": {Count: 100, P95: 50 * time.Millisecond}}, nil),
			},
			rules: []stats.Rule{{Metric: stats.MetricP95, Kind: "redis", Op: "get", Threshold: 0.01, Action: stats.ActionWarn}},
			want:  []string{"cache/get/p95/warn"}},
		{name: "a gauge above its limit warns",
			stats: map[string]arsenal.Stats{"cache": snap("redis", true, nil, map[string]float64{"reconnects": 7})},
			rules: []stats.Rule{{Metric: "gauge:reconnects", Baseline: 0, Threshold: 5}},
			want:  []string{"cache//gauge:reconnects/warn"}},
		{name: "invalid rules are skipped",
			stats: map[string]arsenal.Stats{"cache": snap("redis", true, map[string]arsenal.OpStats{"get": {Count: 100, Errors: 100}}, nil)},
			rules: []stats.Rule{{Metric: "bogus", Threshold: 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := alertKeys(stats.DetectDegradation(tt.stats, tt.rules...))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("alerts = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAlertMessagesSayWhatIsWrong(t *testing.T) {
	as := stats.DetectDegradation(map[string]arsenal.Stats{
		"db": snap("sqlite", true, map[string]arsenal.OpStats{"query": {Count: 50, P99: 30 * time.Millisecond}}, nil),
	}, stats.Rule{Metric: stats.MetricP99, Baseline: 0.005, Threshold: 0.02, Action: stats.ActionError})
	if len(as) != 1 {
		t.Fatalf("alerts = %v, want one", as)
	}
	want := "error: db (sqlite) query: p99 latency 30ms, above 20ms (6.0x baseline)"
	if as[0].String() != want || as[0].Value != 0.03 {
		t.Errorf("alert = %q (value %v), want %q", as[0], as[0].Value, want)
	}
}

func TestDetectorJudgesEachIntervalAndHoldsRetriesBack(t *testing.T) {
	d := stats.NewDetector(
		stats.Rule{Metric: stats.MetricErrorRate, Threshold: 0.05, Action: stats.ActionError},
		stats.Rule{Metric: stats.MetricP99, Threshold: 0.1, Action: stats.ActionRetry},
	)
	d.Retries = 2
	check := func(count, errs uint64, p99 time.Duration) []string {
		return alertKeys(d.Check(map[string]arsenal.Stats{
			"c": snap("redis", true, map[string]arsenal.OpStats{"get": {Count: count, Errors: errs, P99: p99}}, nil),
		}))
	}
	steps := []struct {
		name       string
		count, err uint64
		p99        time.Duration
		want       string
	}{
		{name: "a burst of errors alerts", count: 100, err: 50, p99: time.Millisecond, want: "c/get/error_rate/error"},
		{name: "no new errors in the next interval: quiet, though the total rate is still high", count: 1100, err: 50, p99: time.Millisecond},
		{name: "a first slow interval is held back", count: 1200, err: 50, p99: time.Second},
		{name: "a second slow interval fires the retry alert", count: 1300, err: 50, p99: time.Second, want: "c/get/p99/retry"},
		{name: "recovery clears the streak", count: 1400, err: 50, p99: time.Millisecond},
		{name: "one slow interval after recovery is held back again", count: 1500, err: 50, p99: time.Second},
	}
	for _, s := range steps {
		if got := strings.Join(check(s.count, s.err, s.p99), ","); got != s.want {
			t.Fatalf("%s: alerts %q, want %q", s.name, got, s.want)
		}
	}
}

func TestRuleValidateNamesEveryBadField(t *testing.T) {
	err := stats.Rule{Metric: "latency", Action: "panic"}.Validate()
	var ce *arsenal.ConfigError
	if !errors.As(err, &ce) || !ce.Has("Metric") || !ce.Has("Action") || !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Errorf("err = %v, want InvalidArgument naming Metric and Action", err)
	}
	for _, th := range stats.DefaultRules {
		if err := th.Validate(); err != nil {
			t.Errorf("default threshold %+v invalid: %v", th, err)
		}
	}
}

// domainStats is a typed stats value that brings its own rules, as each
// domain's does.
type domainStats struct{ Dropped uint64 }

func (domainStats) DegradationRules() []stats.Rule {
	return stats.Append(stats.Rule{Name: "drops", Metric: "gauge:dropped", Threshold: 10, Rate: true, Action: stats.ActionWarn})
}

func TestEachComponentIsJudgedByItsDomainsRulesUnlessTheCallerSetsRules(t *testing.T) {
	typed := func(dropped uint64) arsenal.Stats {
		d := domainStats{Dropped: dropped}
		return arsenal.Stats{Kind: "redis", Connected: true, Since: time.Unix(1000, 0), Detail: d,
			Gauges: []arsenal.Gauge{{Name: "dropped", Value: float64(dropped), Unit: arsenal.UnitCount, Counter: true}}}
	}
	plain := snap("sqlite", false, nil, map[string]float64{"dropped": 1000})

	got := stats.DetectDegradation(map[string]arsenal.Stats{"cache": typed(50), "db": plain})
	assert.Equal(t, []string{"cache//gauge:dropped/warn", "db//connected/error"}, alertKeys(got),
		"the typed stats' own rule judges its total; the other component gets the default rules")
	assert.Equal(t, "drops", got[0].Rule)

	d := stats.NewDetector()
	assert.Equal(t, []string{"cache//gauge:dropped/warn"}, alertKeys(d.Check(map[string]arsenal.Stats{"cache": typed(50)})),
		"the first check has nothing to compare with and judges the total")
	assert.Empty(t, d.Check(map[string]arsenal.Stats{"cache": typed(55)}), "5 more drops is under the rate of 10")
	a := d.Check(map[string]arsenal.Stats{"cache": typed(80)})
	require.Len(t, a, 1)
	assert.Equal(t, 25.0, a[0].Value)
	assert.Equal(t, "cache (redis) dropped grew by 25 since the last check, above 10", a[0].Message)

	override := stats.NewDetector(stats.Rule{Metric: stats.MetricConnected, Threshold: 1, Action: stats.ActionError})
	assert.Empty(t, override.Check(map[string]arsenal.Stats{"cache": typed(1000)}), "the caller's rules replace the domain's")
}

func TestRateAppliesOnlyToGauges(t *testing.T) {
	err := stats.Rule{Metric: stats.MetricP99, Rate: true}.Validate()
	var ce *arsenal.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.Has("Rate"))
}

func TestMissingGaugesNamesRulesWithoutAGauge(t *testing.T) {
	s := arsenal.Stats{Gauges: []arsenal.Gauge{{Name: "dropped"}}}
	rules := append(domainStats{}.DegradationRules(), stats.Rule{Metric: "gauge:nope"}, stats.Rule{Metric: "gauge:nope"})
	assert.Equal(t, []string{"nope"}, stats.MissingGauges(rules, s))
}
