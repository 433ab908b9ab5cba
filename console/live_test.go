package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/websocket"
)

// Updates arrive over the console's WebSocket (this module's server, one
// topic per kind of update), and the same events can be polled.
func TestLiveUpdatesArriveOverTheWebSocketAndByPolling(t *testing.T) {
	f := newFixture(t, console.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/live"
	conn, err := websocket.Dial(ctx, wsURL, nil)
	require.NoError(t, err)
	defer conn.Close()

	seen := map[string]bool{}
	read := func(topic string) {
		for !seen[topic] {
			_, data, err := conn.Read(ctx)
			require.NoError(t, err, "waiting for %s, seen %v", topic, seen)
			var ev struct {
				Topic string
				Data  json.RawMessage
			}
			require.NoError(t, json.Unmarshal(data, &ev))
			seen[ev.Topic] = true
			if ev.Topic == "stats" {
				assert.Contains(t, string(ev.Data), `"kind":"redis"`)
				for _, s := range f.secrets {
					assert.NotContains(t, string(ev.Data), s)
				}
			}
		}
	}
	read("stats") // the connection is subscribed once the first push arrives
	code, body := f.post(t, "api/redis/set", map[string]string{"key": "live", "value": "1"})
	require.Equal(t, http.StatusOK, code, body)
	read("redis")

	_, ev := f.get(t, "api/events?since=0")
	polled := decode[struct {
		Seq    uint64
		Events []struct{ Topic string }
	}](t, ev)
	require.NotEmpty(t, polled.Events)
	assert.Equal(t, "redis", polled.Events[0].Topic)
	_, ev = f.get(t, "api/events?since="+jsonNumber(polled.Seq))
	assert.Contains(t, ev, `"events":[]`, "nothing new since the last poll")

	// A page of another origin cannot open the live socket.
	_, err = websocket.Dial(ctx, wsURL, &websocket.Options{Header: http.Header{"Origin": {"http://evil.example"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "403")
}

func jsonNumber(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// The GOMAXPROCS scaling analysis measures 1..NumCPU and restores
// GOMAXPROCS.
func TestScalingAnalysisCoversEveryGOMAXPROCSAndRestoresIt(t *testing.T) {
	f := newFixture(t, console.Options{AllowScaling: true})
	before := runtime.GOMAXPROCS(0)
	code, body := f.post(t, "api/perf/run", map[string]any{"component": "sqlite", "levels": []int{1}, "durationMs": 100, "scaling": true})
	require.Equal(t, http.StatusOK, code, body)
	var st string
	require.Eventually(t, func() bool { _, st = f.get(t, "api/perf/status"); return strings.Contains(st, `"running":false`) }, 30*time.Second, 50*time.Millisecond)
	v := decode[struct {
		Scaling []struct {
			GOMAXPROCS int     `json:"gomaxprocs"`
			OpsPerSec  float64 `json:"opsPerSec"`
		}
		Error string
	}](t, st)
	require.Empty(t, v.Error)
	require.Len(t, v.Scaling, runtime.NumCPU())
	for i, p := range v.Scaling {
		assert.Equal(t, i+1, p.GOMAXPROCS)
		assert.Positive(t, p.OpsPerSec)
	}
	assert.Equal(t, before, runtime.GOMAXPROCS(0))
}
