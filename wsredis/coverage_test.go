package wsredis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/infra-arsenal/arsenal/wsredis"
)

// A Bridge is a Component: its Kind, a Health that asks Redis, and after
// Close every call refused as closed.
func TestBridgeKindHealthAndCallsAfterClose(t *testing.T) {
	r := startRedis(t)
	n := startNode(t, redisConfig([]string{r.Addr}, redis.ModeStandalone), historyFor(wsredis.History{MaxLen: 10}))
	ctx := context.Background()
	assert.Equal(t, "wsredis", n.br.Kind())
	require.NoError(t, n.br.Health(ctx))

	_, err := n.br.Append(ctx, "h:t", websocket.MessageType(9), []byte("x"))
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "an unknown message type: %v", err)
	_, err = n.br.Append(ctx, "h:bad\ntopic", websocket.Text, []byte("x"))
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "a topic the default frame cannot carry: %v", err)

	c := dialClient(t, n.url, "c")
	require.NotNil(t, c)
	conn := serverConnOf(t, n)
	_, err = n.br.Resume(ctx, conn, "h:bad\ntopic", "")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v", err)

	// A Bridge without Config.History keeps no topic's history.
	plain := startNode(t, redisConfig([]string{r.Addr}, redis.ModeStandalone))
	_, err = plain.br.Append(ctx, "h:t", websocket.Text, []byte("x"))
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v", err)

	require.NoError(t, n.br.Close())
	require.NoError(t, n.br.Close(), "Close is idempotent")
	_, err = n.br.Resume(ctx, conn, "h:t", "")
	assert.True(t, errors.Is(err, arsenal.ErrClosed), "%v", err)
	assert.True(t, errors.Is(n.br.Attach(n.srv), arsenal.ErrClosed), "a closed Bridge serves no new server")
	err = n.br.Health(ctx)
	assert.True(t, errors.Is(err, arsenal.ErrClosed), "%v", err)
	_, err = n.br.Append(ctx, "h:t", websocket.Text, []byte("x"))
	assert.True(t, errors.Is(err, arsenal.ErrClosed), "%v", err)
}

// ParseHistoryFrame reads back what DefaultHistoryFrame writes and refuses
// anything else.
func TestParseHistoryFrameRefusesOtherMessages(t *testing.T) {
	f := wsredis.DefaultHistoryFrame("room", "1700000000000-3", []byte("hello\nworld"))
	topic, off, data, ok := wsredis.ParseHistoryFrame(f)
	require.True(t, ok, "%q", f)
	assert.Equal(t, "room", topic)
	assert.Equal(t, "1700000000000-3", off)
	assert.Equal(t, "hello\nworld", string(data))
	for _, bad := range []string{"", "nospace", " leading-space\nx", "1-0 no-newline", "yesterday room\nx", "1700000000000 room\nx"} {
		_, _, _, ok := wsredis.ParseHistoryFrame([]byte(bad))
		assert.False(t, ok, "%q", bad)
	}
}

// Config.HistoryFrame frames what a history subscriber receives, on the
// replay and live alike.
func TestACustomHistoryFrameIsWhatSubscribersReceive(t *testing.T) {
	r := startRedis(t)
	n := startNode(t, redisConfig([]string{r.Addr}, redis.ModeStandalone), historyFor(wsredis.History{MaxLen: 10}),
		func(c *wsredis.Config) {
			c.HistoryFrame = func(topic, offset string, data []byte) []byte {
				return []byte(fmt.Sprintf("%s|%s|%s", topic, offset, data))
			}
		})
	ctx := context.Background()
	first, err := n.br.Append(ctx, "h:custom", websocket.Text, []byte("m0"))
	require.NoError(t, err)
	appendN(t, n.br, "h:custom", 1, 3)

	c := dialClient(t, n.url, "c")
	assert.Equal(t, "ok resume 2", c.resume(t, "h:custom", first))
	appendN(t, n.br, "h:custom", 3, 4)
	got := c.waitCount(t, 3, 10*time.Second)
	require.Len(t, got, 3)
	for i, f := range got {
		parts := strings.SplitN(f, "|", 3)
		require.Len(t, parts, 3, "%q", f)
		assert.Equal(t, "h:custom", parts[0])
		assert.Equal(t, fmt.Sprintf("m%d", i+1), parts[2])
		_, _, _, ok := wsredis.ParseHistoryFrame([]byte(f))
		assert.False(t, ok, "not the default frame: %q", f)
	}
}
