package websocket_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/websocket"
)

// BenchmarkEchoRoundTrip measures one 1 KiB round trip through the
// arsenal client and server on loopback, with parallel connections.
func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, compress := range []bool{false, true} {
		b.Run(fmt.Sprintf("compression=%v", compress), func(b *testing.B) {
			_, url := startServer(b, websocket.ServerConfig{OnMessage: echo, Compression: compress})
			msg := payload(1024, websocket.Text)
			b.SetBytes(1024)
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				c, err := websocket.Dial(ctx, url, &websocket.Options{DisableCompression: !compress, PingInterval: -1})
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				for pb.Next() {
					if err := c.Write(ctx, websocket.Text, msg); err != nil {
						b.Error(err)
						return
					}
					if _, _, err := c.Read(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkHandshake measures a full dial (TCP connect and upgrade) and a
// close; the target is well under 1 ms on loopback.
func BenchmarkHandshake(b *testing.B) {
	_, url := startServer(b, websocket.ServerConfig{})
	ctx := context.Background()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c, err := websocket.Dial(ctx, url, &websocket.Options{PingInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		_ = c.Close()
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/dial")
}

// BenchmarkJSONCompression reports the wire/payload ratio of small JSON
// messages with context takeover.
func BenchmarkJSONCompression(b *testing.B) {
	_, url := startServer(b, websocket.ServerConfig{Compression: true})
	ctx := context.Background()
	c, err := websocket.Dial(ctx, url, &websocket.Options{PingInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		msg := fmt.Sprintf(`{"type":"trade","symbol":"BTC-USD","price":%d.%02d,"size":%d,"ts":%d}`, 60000+i%500, i%100, i%13+1, 1700000000000+int64(i)*37)
		if err := c.WriteText(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	t := c.Traffic()
	b.ReportMetric(float64(t.WireOut)/float64(t.PayloadOut), "wire/payload")
}
