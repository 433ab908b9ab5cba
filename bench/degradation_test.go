package bench_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
)

func stats(kind string, connected bool, ops map[string]arsenal.OpStats, gauges map[string]float64) arsenal.Stats {
	return arsenal.Stats{Kind: kind, Connected: connected, Since: time.Unix(1000, 0), Ops: ops, Gauges: gauges}
}

func alertKeys(as []bench.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Component+"/"+a.Op+"/"+a.Metric+"/"+string(a.Action))
	}
	return out
}

func TestDetectDegradation(t *testing.T) {
	healthy := arsenal.OpStats{Count: 1000, Errors: 2, P99: 3 * time.Millisecond}
	tests := []struct {
		name       string
		stats      map[string]arsenal.Stats
		thresholds []bench.Threshold
		want       []string
	}{
		{name: "healthy components raise nothing",
			stats: map[string]arsenal.Stats{"cache": stats("redis", true, map[string]arsenal.OpStats{"get": healthy}, nil)}},
		{name: "a 10% error rate warns and errors",
			stats: map[string]arsenal.Stats{"cache": stats("redis", true, map[string]arsenal.OpStats{"get": {Count: 100, Errors: 10}}, nil)},
			want:  []string{"cache/get/error_rate/warn", "cache/get/error_rate/error"}},
		{name: "a 2% error rate only warns",
			stats: map[string]arsenal.Stats{"cache": stats("redis", true, map[string]arsenal.OpStats{"get": {Count: 100, Errors: 2}}, nil)},
			want:  []string{"cache/get/error_rate/warn"}},
		{name: "too few calls are not judged",
			stats: map[string]arsenal.Stats{"cache": stats("redis", true, map[string]arsenal.OpStats{"get": {Count: 3, Errors: 3}}, nil)}},
		{name: "a slow p99 asks for a retry and then an error",
			stats: map[string]arsenal.Stats{"db": stats("sqlite", true, map[string]arsenal.OpStats{"query": {Count: 50, P99: 2 * time.Second}}, nil)},
			want:  []string{"db/query/p99/retry", "db/query/p99/error"}},
		{name: "a lost connection is an error",
			stats: map[string]arsenal.Stats{"ws": stats("websocket", false, nil, nil)},
			want:  []string{"ws//connected/error"}},
		{name: "kind and op filters pick what they name",
			stats: map[string]arsenal.Stats{
				"cache": stats("redis", true, map[string]arsenal.OpStats{"get": {Count: 100, P95: 50 * time.Millisecond}, "set": {Count: 100, P95: 50 * time.Millisecond}}, nil),
				"blob":  stats("s3", true, map[string]arsenal.OpStats{"get": {Count: 100, P95: 50 * time.Millisecond}}, nil),
			},
			thresholds: []bench.Threshold{{Metric: bench.MetricP95, Kind: "redis", Op: "get", Threshold: 0.01, Action: bench.ActionWarn}},
			want:       []string{"cache/get/p95/warn"}},
		{name: "a gauge above its limit warns",
			stats:      map[string]arsenal.Stats{"cache": stats("redis", true, nil, map[string]float64{"reconnects": 7})},
			thresholds: []bench.Threshold{{Metric: "gauge:reconnects", Baseline: 0, Threshold: 5}},
			want:       []string{"cache//gauge:reconnects/warn"}},
		{name: "invalid thresholds are skipped",
			stats:      map[string]arsenal.Stats{"cache": stats("redis", true, map[string]arsenal.OpStats{"get": {Count: 100, Errors: 100}}, nil)},
			thresholds: []bench.Threshold{{Metric: "bogus", Threshold: 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := alertKeys(bench.DetectDegradation(tt.stats, tt.thresholds...))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("alerts = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAlertMessagesSayWhatIsWrong(t *testing.T) {
	as := bench.DetectDegradation(map[string]arsenal.Stats{
		"db": stats("sqlite", true, map[string]arsenal.OpStats{"query": {Count: 50, P99: 30 * time.Millisecond}}, nil),
	}, bench.Threshold{Metric: bench.MetricP99, Baseline: 0.005, Threshold: 0.02, Action: bench.ActionError})
	if len(as) != 1 {
		t.Fatalf("alerts = %v, want one", as)
	}
	want := "error: db (sqlite) query: p99 latency 30ms, above 20ms (6.0x baseline)"
	if as[0].String() != want || as[0].Value != 0.03 {
		t.Errorf("alert = %q (value %v), want %q", as[0], as[0].Value, want)
	}
}

func TestDetectorJudgesEachIntervalAndHoldsRetriesBack(t *testing.T) {
	d := bench.NewDetector(
		bench.Threshold{Metric: bench.MetricErrorRate, Threshold: 0.05, Action: bench.ActionError},
		bench.Threshold{Metric: bench.MetricP99, Threshold: 0.1, Action: bench.ActionRetry},
	)
	d.Retries = 2
	check := func(count, errs uint64, p99 time.Duration) []string {
		return alertKeys(d.Check(map[string]arsenal.Stats{
			"c": stats("redis", true, map[string]arsenal.OpStats{"get": {Count: count, Errors: errs, P99: p99}}, nil),
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

func TestThresholdValidateNamesEveryBadField(t *testing.T) {
	err := bench.Threshold{Metric: "latency", Action: "panic"}.Validate()
	var ce *arsenal.ConfigError
	if !errors.As(err, &ce) || !ce.Has("Metric") || !ce.Has("Action") || !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Errorf("err = %v, want InvalidArgument naming Metric and Action", err)
	}
	for _, th := range bench.DefaultThresholds {
		if err := th.Validate(); err != nil {
			t.Errorf("default threshold %+v invalid: %v", th, err)
		}
	}
}
