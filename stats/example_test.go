package stats_test

import (
	"fmt"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// A component keeps one Recorder and an *Op per operation on its hot path.
func ExampleRecorder() {
	rec := stats.NewRecorder()
	get := rec.Op("get")
	for i := 1; i <= 100; i++ {
		start := time.Now().Add(-time.Duration(i) * time.Millisecond) // pretend the call took i ms
		_ = get.Since(start, nil)
	}
	s := rec.Snapshot()["get"]
	fmt.Println("calls:", s.Count, "errors:", s.Errors)
	fmt.Println("p50 about 50ms:", s.P50 >= 49*time.Millisecond && s.P50 <= 52*time.Millisecond)
	// Output:
	// calls: 100 errors: 0
	// p50 about 50ms: true
}

// DetectDegradation checks a hub's stats against the default rules.
func ExampleDetectDegradation() {
	snaps := map[string]arsenal.Stats{
		"cache": {Kind: "redis", Connected: true, Ops: map[string]arsenal.OpStats{
			"get": {Count: 200, Errors: 14, P99: 2 * time.Millisecond},
		}},
	}
	for _, a := range stats.DetectDegradation(snaps) {
		fmt.Println(a)
	}
	// Output:
	// warn: cache (redis) get: error rate 7.00% over 200 calls, above 1.00%
	// error: cache (redis) get: error rate 7.00% over 200 calls, above 5.00%
}

// A domain's typed stats value becomes named gauges with units.
func ExampleGauges() {
	type poolStats struct {
		Idle       int
		Reconnects uint64 `stat:",counter"`
		Wait       time.Duration
	}
	for _, g := range stats.Gauges(poolStats{Idle: 2, Reconnects: 1, Wait: 1500 * time.Millisecond}) {
		fmt.Printf("%s=%g %s counter=%v\n", g.Name, g.Value, g.Unit, g.Counter)
	}
	// Output:
	// idle=2 count counter=false
	// reconnects=1 count counter=true
	// wait=1.5 seconds counter=false
}
