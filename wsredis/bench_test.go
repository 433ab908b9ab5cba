package wsredis_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/websocket"
)

// BenchmarkCrossNodeFanout: three servers on one redis-server, subs
// subscribers on each, a publisher on the first. It reports delivered
// messages per second and the p50/p99 publish-to-receive latency seen by
// the subscribers of the other two servers. Run briefly:
//
//	go test ./wsredis -run '^$' -bench CrossNode -benchtime 200x
func BenchmarkCrossNodeFanout(b *testing.B) {
	for _, subs := range []int{10, 1000} {
		b.Run(fmt.Sprintf("subscribers=3x%d", subs), func(b *testing.B) { benchFanout(b, subs) })
	}
}

func benchFanout(b *testing.B, subs int) {
	r := startRedis(b)
	var nodes []*node
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startNode(b, redisConfig([]string{r.Addr}, "")))
	}
	var mu sync.Mutex
	var lat []time.Duration
	var got atomic.Int64
	ctx := context.Background()
	for i, n := range nodes {
		for j := 0; j < subs; j++ {
			conn, err := websocket.Dial(ctx, n.url, &websocket.Options{DisableCompression: true})
			require.NoError(b, err)
			b.Cleanup(func() { _ = conn.Close() })
			require.NoError(b, conn.Write(ctx, websocket.Text, []byte("sub bench")))
			remote := i > 0
			go func() {
				for {
					_, data, err := conn.Read(ctx)
					if err != nil {
						return
					}
					ns, err := strconv.ParseInt(string(data), 10, 64)
					if err != nil {
						continue // "ok sub"
					}
					got.Add(1)
					if remote {
						d := time.Since(time.Unix(0, ns))
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				}
			}()
		}
	}
	for _, n := range nodes {
		require.Eventually(b, func() bool { return n.srv.SubscriberCount("bench") == subs }, 30*time.Second, 10*time.Millisecond)
	}
	// A steady rate of 100k deliveries/s, below what two shared cores
	// manage with every client in this process, so the latency measured
	// is the delivery's and not a queue's.
	pace := max(2*time.Millisecond, time.Duration(3*subs)*10*time.Microsecond)
	want := int64(0)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_, err := nodes[0].srv.Publish("bench", websocket.Text, []byte(strconv.FormatInt(time.Now().UnixNano(), 10)))
		require.NoError(b, err)
		want += 3 * int64(subs)
		time.Sleep(pace)
	}
	require.Eventually(b, func() bool { return got.Load() >= want }, 60*time.Second, time.Millisecond, "delivered %d of %d", got.Load(), want)
	el := time.Since(start)
	b.StopTimer()
	mu.Lock()
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(float64(want)/el.Seconds(), "deliveries/s")
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
	mu.Unlock()
}
