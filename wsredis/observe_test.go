package wsredis_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/infra-arsenal/arsenal/wsredis"
)

type recordedOp struct {
	start arsenal.OpStart
	end   arsenal.OpEnd
}

type recorder struct {
	mu  sync.Mutex
	ops []recordedOp
}

func (r *recorder) OpStart(ctx context.Context, st arsenal.OpStart) context.Context { return ctx }
func (r *recorder) OpEnd(_ context.Context, st arsenal.OpStart, end arsenal.OpEnd) {
	r.mu.Lock()
	r.ops = append(r.ops, recordedOp{st, end})
	r.mu.Unlock()
}

func (r *recorder) all() []recordedOp {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedOp(nil), r.ops...)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestObserverLogsAndStatsCoverEveryCallAndNeverTheSecret(t *testing.T) {
	const pw = "wsredis-s3cret-pw"
	r := startRedis(t, "--requirepass", pw)
	rcfg := redisConfig([]string{r.Addr}, "")
	rcfg.Password = security.NewSecret(pw)
	rec := &recorder{}
	logs := &syncBuffer{}
	n := startNode(t, rcfg, func(c *wsredis.Config) {
		c.Observer = rec
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.QueueSize = 1
		c.Partitions = 1
	})
	ctx := context.Background()

	// A publish, a bad one, a count.
	require.NoError(t, n.br.Publish("room", websocket.Text, []byte("hi")))
	err := n.br.Publish("room", websocket.MessageType(9), []byte("x"))
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v", err)
	cnt, err := n.br.SubscriberCount(ctx, "room")
	require.NoError(t, err)
	assert.Zero(t, cnt)

	// Redis goes away: the sender waits, the one-message queue fills, the
	// next publish is refused and logged; back up, the partition is
	// restored and logged.
	r.Kill()
	deadline := time.Now().Add(10 * time.Second)
	var full error
	for full == nil {
		full = n.br.Publish("room", websocket.Text, []byte("during outage"))
		require.True(t, time.Now().Before(deadline), "queue never filled")
	}
	assert.True(t, arsenal.IsCode(full, arsenal.ResourceExhausted), "%v", full)
	require.NoError(t, r.Restart())
	for n.br.BridgeStats().Resubscribes < 1 {
		require.True(t, time.Now().Before(deadline.Add(10*time.Second)), "never resubscribed")
		time.Sleep(20 * time.Millisecond)
	}
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "partition subscription restored") }, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, n.br.Close())
	err = n.br.Publish("room", websocket.Text, []byte("late"))
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "%v", err)
	_, err = n.br.SubscriberCount(ctx, "room")
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "%v", err)

	ops := rec.all()
	var pubs, counts, invalid, exhausted, closed int
	for _, o := range ops {
		assert.Equal(t, wsredis.Kind, o.start.Component)
		assert.Equal(t, "room", o.start.Resource)
		assert.NotContains(t, o.start.Target, pw)
		switch o.start.Op {
		case "publish":
			pubs++
		case "subscriber_count":
			counts++
		}
		switch o.end.Code {
		case arsenal.InvalidArgument:
			invalid++
		case arsenal.ResourceExhausted:
			exhausted++
		case arsenal.FailedPrecondition:
			closed++
		}
	}
	assert.GreaterOrEqual(t, pubs, 4)
	assert.Equal(t, 2, counts)
	assert.Equal(t, 1, invalid)
	assert.Equal(t, 1, exhausted)
	assert.Equal(t, 2, closed)

	// Every call counted, failures included.
	st := n.br.Stats()
	assert.Equal(t, uint64(pubs), st.Ops["publish"].Count)
	assert.Equal(t, uint64(3), st.Ops["publish"].Errors)
	assert.Equal(t, uint64(2), st.Ops["subscriber_count"].Count)
	assert.Equal(t, uint64(1), st.Ops["subscriber_count"].Errors)
	assert.Equal(t, uint64(1), n.br.BridgeStats().Dropped)

	out := logs.String()
	assert.Contains(t, out, "message dropped, publish queue full")
	assert.NotContains(t, out, pw)
	assert.NotContains(t, n.br.BridgeStats().LastError, pw)
}

func TestPresenceCountsSubscribersOnEveryServerEventually(t *testing.T) {
	r := startRedis(t)
	var nodes []*node
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startNode(t, redisConfig([]string{r.Addr}, ""), func(c *wsredis.Config) {
			c.PresenceTTL = 3 * time.Second
		}))
	}
	ctx := context.Background()
	eventually := func(want int) {
		t.Helper()
		for _, n := range nodes {
			require.Eventually(t, func() bool {
				got, err := n.srv.Subscribers(ctx, "room")
				return err == nil && got == want
			}, 5*time.Second, 10*time.Millisecond, "Subscribers on %s never became %d", n.br.NodeID(), want)
		}
	}
	clients := spread(t, nodes, 2, "room")
	// A second subscribe of the same connection counts once.
	clients[0].sub(t, "room")
	eventually(6)
	assert.Equal(t, 2, nodes[0].srv.SubscriberCount("room"), "SubscriberCount stays local")

	// An unsubscribe and a closed connection leave the count.
	clients[1].send(t, "unsub room")
	require.NoError(t, clients[2].conn.Close())
	eventually(4)

	// A server that dies without Close stops counting once its fields
	// expire: simulate with a field written by a node that never refreshes.
	_, err := nodes[0].rc.HSet(ctx, "t:"+t.Name()+":presence:room", "ghost",
		"7:"+strconvMillis(time.Now().Add(300*time.Millisecond)))
	require.NoError(t, err)
	got, err := nodes[0].br.SubscriberCount(ctx, "room")
	require.NoError(t, err)
	assert.Equal(t, 11, got)
	time.Sleep(400 * time.Millisecond)
	eventually(4)

	// Closing a bridge removes its fields at once.
	require.NoError(t, nodes[2].br.Close())
	for _, n := range nodes[:2] {
		got, err := n.br.SubscriberCount(ctx, "room")
		require.NoError(t, err)
		assert.Equal(t, 2, got)
	}
}

func TestHostileMessagesOnThePartitionChannelAreCountedAndIgnored(t *testing.T) {
	r := startRedis(t)
	n := startNode(t, redisConfig([]string{r.Addr}, ""), func(c *wsredis.Config) { c.Partitions = 1 })
	c := dialClient(t, n.url, "c")
	c.sub(t, "room")
	ctx := context.Background()
	ch := n.br.Channels()[0]
	bad := []string{"", "w", "x\x01\x00", "w\x03\x00\x04room", "w\x01\xffshort", "w\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01room",
		"w\x01\x00\x10room", strings.Repeat("\xff", 1<<16)}
	for _, p := range bad {
		_, err := n.rc.Publish(ctx, ch, p)
		require.NoError(t, err)
	}
	// A well-formed message from another node still gets through after them.
	_, err := n.rc.Publish(ctx, ch, "w\x01\x05other\x01\x04roomhello")
	require.NoError(t, err)
	// The same message again (a retried PUBLISH) is dropped; a skipped
	// sequence number is counted as a gap.
	_, err = n.rc.Publish(ctx, ch, "w\x01\x05other\x01\x04roomhello")
	require.NoError(t, err)
	_, err = n.rc.Publish(ctx, ch, "w\x01\x05other\x03\x04roomthird")
	require.NoError(t, err)
	c.waitCount(t, 2, 5*time.Second)
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, []string{"hello", "third"}, c.messages())
	st := n.br.BridgeStats()
	assert.Equal(t, uint64(len(bad)), st.Malformed)
	assert.Equal(t, uint64(1), st.Repeats)
	assert.Equal(t, uint64(1), st.Gaps)
}

func TestConfigIsValidatedAndABridgeServesOneServer(t *testing.T) {
	_, err := wsredis.New(context.Background(), wsredis.Config{Partitions: 5000, NodeID: strings.Repeat("n", 65), QueueSize: -1})
	require.Error(t, err)
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v", err)
	for _, f := range []string{"Client", "Partitions", "NodeID", "QueueSize"} {
		assert.Contains(t, err.Error(), f)
	}
	r := startRedis(t)
	n := startNode(t, redisConfig([]string{r.Addr}, redis.ModeStandalone))
	_, err = websocket.NewServer(websocket.ServerConfig{Broker: n.br})
	assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "%v", err)
}
