package wsredis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/redis"
)

func TestThreeServersOnOneRedisDeliverEveryMessageExactlyOnceInOrderExceptToTheSender(t *testing.T) {
	r := startRedis(t)
	var nodes []*node
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startNode(t, redisConfig([]string{r.Addr}, "")))
	}
	clients := spread(t, nodes, 2, "room")
	checkExactlyOnce(t, clients, "room", 50, "a")

	// A client of another topic hears nothing of "room".
	other := dialClient(t, nodes[1].url, "other")
	other.sub(t, "lobby")
	checkExactlyOnce(t, clients, "room", 5, "b")
	assert.Empty(t, other.messages())

	for _, n := range nodes {
		st := n.br.BridgeStats()
		assert.Equal(t, uint64(55*2), st.Published, "every publish of its 2 clients went to Redis once")
		assert.Equal(t, uint64(55*2), st.Echoes, "its own messages came back and were ignored")
		assert.Equal(t, uint64(55*4), st.Received)
		assert.Equal(t, uint64(55*4*2), st.Deliveries)
		assert.Zero(t, st.PublishErrors)
		assert.Zero(t, st.Dropped)
	}
}

func TestDeliveryResumesAfterRedisIsKilledAndRestartedAndStatsShowTheResubscribe(t *testing.T) {
	r := startRedis(t)
	var nodes []*node
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startNode(t, redisConfig([]string{r.Addr}, redis.ModeStandalone)))
	}
	clients := spread(t, nodes, 1, "room")
	checkExactlyOnce(t, clients, "room", 10, "before")

	r.Kill() // SIGKILL
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, r.Restart())

	deadline := time.Now().Add(20 * time.Second)
	for _, n := range nodes {
		for n.br.BridgeStats().Resubscribes < int64(n.br.BridgeStats().Partitions) {
			require.True(t, time.Now().Before(deadline), "partitions not resubscribed: %+v", n.br.BridgeStats())
			time.Sleep(20 * time.Millisecond)
		}
		st := n.br.BridgeStats()
		assert.NotEmpty(t, st.LastError, "the outage is in Stats")
		assert.False(t, st.LastErrorAt.IsZero())
		g, ok := n.br.Stats().Gauge("resubscribes")
		assert.True(t, ok)
		assert.GreaterOrEqual(t, g, float64(st.Partitions))
	}
	waitNumSub(t, r.Addr, nodes[0].br.Channels(), 3, 20*time.Second)
	checkExactlyOnce(t, clients, "room", 10, "after")
}
