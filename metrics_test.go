package arsenal_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
)

func TestWriteMetricsGroupsEachFamilyAndNamesGaugesByUnit(t *testing.T) {
	stats := map[string]arsenal.Stats{
		"cache": {Kind: "redis", Connected: true, Ops: map[string]arsenal.OpStats{
			"get": {Count: 10, Errors: 1, Mean: time.Millisecond, P50: time.Millisecond, P95: 2 * time.Millisecond, P99: 3 * time.Millisecond, Max: 4 * time.Millisecond},
			"set": {Count: 5},
		}, Gauges: []arsenal.Gauge{
			{Name: "reconnects", Value: 2, Unit: arsenal.UnitCount, Counter: true},
			{Name: "subscriptions", Value: 3, Unit: arsenal.UnitCount},
			{Name: "last_error_at", Value: 1.5e9, Unit: arsenal.UnitUnixTime},
		}},
		`odd"name`: {Kind: "sqlite", Gauges: []arsenal.Gauge{
			{Name: "writer_wait", Value: 0.25, Unit: arsenal.UnitSeconds, Counter: true},
			{Name: "wal_bytes", Value: 4096, Unit: arsenal.UnitBytes},
		}},
	}
	var b strings.Builder
	w := bufio.NewWriter(&b)
	arsenal.WriteMetrics(w, []string{"cache"}, stats)
	require.NoError(t, w.Flush())
	out := b.String()
	for _, want := range []string{
		"# TYPE arsenal_up gauge\narsenal_up{component=\"cache\",kind=\"redis\"} 1\narsenal_up{component=\"odd\\\"name\",kind=\"sqlite\"} 0\n",
		"# TYPE arsenal_operations_total counter\n",
		`arsenal_operations_total{component="cache",kind="redis",op="get"} 10`,
		`arsenal_operation_errors_total{component="cache",kind="redis",op="get"} 1`,
		"# TYPE arsenal_operation_duration_seconds summary\n",
		`arsenal_operation_duration_seconds{component="cache",kind="redis",op="get",quantile="0.99"} 0.003`,
		`arsenal_operation_duration_seconds_sum{component="cache",kind="redis",op="get"} 0.01`,
		`arsenal_operation_duration_seconds_count{component="cache",kind="redis",op="get"} 10`,
		"# TYPE arsenal_redis_reconnects_total counter\narsenal_redis_reconnects_total{component=\"cache\",kind=\"redis\"} 2\n",
		"# TYPE arsenal_redis_subscriptions gauge\n",
		`arsenal_redis_last_error_at_timestamp_seconds{component="cache",kind="redis"} 1.5e+09`,
		"# TYPE arsenal_sqlite_writer_wait_seconds_total counter\n",
		`arsenal_sqlite_wal_bytes{component="odd\"name",kind="sqlite"} 4096`,
	} {
		assert.Contains(t, out, want)
	}
	assert.Equal(t, 1, strings.Count(out, "# TYPE arsenal_operations_total "), "one TYPE line per family")
	assert.Less(t, strings.Index(out, "op=\"get\",quantile"), strings.Index(out, "arsenal_operation_duration_seconds_sum{component=\"cache\",kind=\"redis\",op=\"get\"}"))
}

func TestHubHandlerServesMetrics(t *testing.T) {
	h := healthHub(t)
	w := get(t, h.Handler(), "/metrics")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Contains(t, w.Body.String(), `arsenal_operations_total{component="db",kind="sqlite",op="op"} 3`)
	assert.Contains(t, w.Body.String(), `arsenal_operation_errors_total{component="cache",kind="redis",op="op"} 1`)
}
