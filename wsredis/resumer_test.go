package wsredis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/infra-arsenal/arsenal/wsredis"
)

func TestAReconnectingClientSendsItsOffsetByItselfAndMissesNothing(t *testing.T) {
	r := startRedis(t)
	n0 := startNode(t, redisConfig([]string{r.Addr}, ""), historyFor(wsredis.History{MaxLen: 1000}))
	n1 := startNode(t, redisConfig([]string{r.Addr}, ""), historyFor(wsredis.History{MaxLen: 1000}))
	ctx := context.Background()

	var mu sync.Mutex
	var got []string
	rs := wsredis.NewResumer("h:feed")
	rc, err := websocket.NewReconnecting(rs.Wrap(websocket.ReconnectConfig{
		Config: websocket.Config{URL: n0.url},
		Retry:  websocket.RetryPolicy{InitialBackoff: 500 * time.Millisecond, Jitter: -1},
		OnMessage: func(_ websocket.MessageType, data []byte) {
			_, _, msg, ok := wsredis.ParseHistoryFrame(data)
			if ok {
				mu.Lock()
				got = append(got, string(msg))
				mu.Unlock()
			}
		},
	}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	require.NoError(t, rc.WaitConnected(ctx))
	waitSubscribed := func() {
		t.Helper()
		require.Eventually(t, func() bool {
			c, err := n0.br.SubscriberCount(ctx, "h:feed")
			return err == nil && c == 1
		}, 5*time.Second, 5*time.Millisecond)
	}
	snapshot := func(n int) []string {
		t.Helper()
		require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= n }, 10*time.Second, 5*time.Millisecond)
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
	waitSubscribed()
	appendN(t, n1.br, "h:feed", 0, 10)
	assert.Equal(t, seq(0, 10), snapshot(10))
	assert.NotEmpty(t, rs.Offset("h:feed"))

	// The server drops the connection; messages appended before the
	// client is back are sent when it reconnects and resumes by itself.
	before := n0.br.BridgeStats().Replayed
	old := rc.Conn()
	require.NoError(t, rc.Send(ctx, websocket.Text, []byte("kick")))
	<-old.Done()
	appendN(t, n1.br, "h:feed", 10, 20)
	require.Zero(t, rc.Reconnects(), "the appends were made while the client was away")
	// Resume is counted once it has replayed and gone live.
	require.Eventually(t, func() bool { return n0.br.Stats().Ops["resume"].Count == 2 }, 10*time.Second, 5*time.Millisecond)
	appendN(t, n1.br, "h:feed", 20, 30)
	assert.Equal(t, seq(0, 30), snapshot(30), "every message once, in order, across the reconnect")
	assert.Equal(t, uint64(1), rc.Reconnects())
	assert.Equal(t, uint64(10), n0.br.BridgeStats().Replayed-before, "m10..m19 came from the history")

	// A repeated frame is recognised.
	frame := wsredis.DefaultHistoryFrame("h:feed", rs.Offset("h:feed"), []byte("again"))
	assert.True(t, rs.Seen(frame))
	assert.False(t, rs.Seen([]byte("not a frame")))
	_, err = n1.br.Append(ctx, "h:bad\ntopic", websocket.Text, []byte("x"))
	assert.Error(t, err)
}
