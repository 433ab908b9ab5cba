package websocket_test

import (
	"context"
	"testing"

	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/websocket"
)

// tenRules is a ten-rule policy whose only match for a publish to
// "chat/room" is its last rule: every rule is evaluated.
func tenRules(tb testing.TB) *security.Policy {
	tb.Helper()
	p, err := security.NewPolicy(
		security.Rule{Effect: security.Deny, Component: "redis", Operation: "flushall,flushdb"},
		security.Rule{Effect: security.Deny, Component: "sqlite", Operation: "drop"},
		security.Rule{Effect: security.Allow, Component: "s3", Operation: "get,list", Resource: "public/*"},
		security.Rule{Effect: security.Deny, Component: "websocket", Operation: "publish", Resource: "admin/*"},
		security.Rule{Effect: security.Deny, Component: "websocket", Operation: "subscribe", Resource: "internal/*"},
		security.Rule{Effect: security.Allow, Role: "admin", Component: "websocket"},
		security.Rule{Effect: security.Allow, Component: "websocket", Operation: "upgrade"},
		security.Rule{Effect: security.Deny, Principal: "banned", Component: "*"},
		security.Rule{Effect: security.Allow, Component: "websocket", Operation: "subscribe", Resource: "chat/*"},
		security.Rule{Effect: security.Allow, Component: "websocket", Operation: "publish", Resource: "chat/*"},
	)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkPublishAuthorization measures Server.Publish of 64 bytes to one
// subscriber without a policy and with a ten-rule policy, side by side
// (issue 15: authorization overhead).
func BenchmarkPublishAuthorization(b *testing.B) {
	for _, bc := range []struct {
		name string
		sec  security.Options
	}{
		{"policy=none", security.Options{}},
		{"policy=10rules", security.Options{Policy: tenRules(b)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			joined := make(chan struct{}, 1)
			srv, url := startServer(b, websocket.ServerConfig{
				Security: bc.sec,
				OnOpen: func(c *websocket.Conn) {
					if err := c.Subscribe("chat/room"); err != nil {
						b.Error(err)
					}
					joined <- struct{}{}
				},
			})
			ctx := context.Background()
			c, err := websocket.Dial(ctx, url, &websocket.Options{PingInterval: -1,
				OnMessage: func(*websocket.Conn, websocket.MessageType, []byte) {}})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			<-joined
			msg := payload(64, websocket.Binary)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := srv.Publish("chat/room", websocket.Binary, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
