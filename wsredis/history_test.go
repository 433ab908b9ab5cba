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

func historyFor(h wsredis.History) func(*wsredis.Config) {
	return func(c *wsredis.Config) {
		c.History = func(topic string) wsredis.History {
			if strings.HasPrefix(topic, "h:") {
				return h
			}
			return wsredis.History{}
		}
	}
}

// resume sends "resume" and returns the server's answer.
func (c *client) resume(t *testing.T, topic, offset string) string {
	t.Helper()
	c.send(t, "resume "+topic+" "+offset)
	select {
	case ok := <-c.oks:
		return ok
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no answer to resume", c.id)
		return ""
	}
}

// historyPayloads splits "offset topic\npayload" frames.
func historyPayloads(t *testing.T, frames []string) (payloads, offsets []string) {
	t.Helper()
	for _, f := range frames {
		_, off, p, ok := wsredis.ParseHistoryFrame([]byte(f))
		require.True(t, ok, "frame %q", f)
		payloads = append(payloads, string(p))
		offsets = append(offsets, off)
	}
	return payloads, offsets
}

func seq(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("m%d", i))
	}
	return out
}

func appendN(t *testing.T, b *wsredis.Bridge, topic string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		_, err := b.Append(context.Background(), topic, websocket.Text, []byte(fmt.Sprintf("m%d", i)))
		require.NoError(t, err)
	}
}

func TestResumeReplaysWhatAClientMissedInOrderOnceAcrossServersAndARedisRestart(t *testing.T) {
	r := startRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	var nodes []*node
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startNode(t, redisConfig([]string{r.Addr}, ""), historyFor(wsredis.History{MaxLen: 1000})))
	}
	a := dialClient(t, nodes[0].url, "a")
	b := dialClient(t, nodes[1].url, "b")
	require.Equal(t, "ok resume 0", a.resume(t, "h:room", ""))
	require.Equal(t, "ok resume 0", b.resume(t, "h:room", ""))
	appendN(t, nodes[2].br, "h:room", 0, 20)
	got, offs := historyPayloads(t, a.waitCount(t, 20, 10*time.Second))
	assert.Equal(t, seq(0, 20), got)
	gotB, offsB := historyPayloads(t, b.waitCount(t, 20, 10*time.Second))
	assert.Equal(t, seq(0, 20), gotB)
	assert.Equal(t, offs, offsB, "one offset per message on every server")

	// b goes away after m9 (its last offset), more is published, and it
	// comes back on another server while appends go on.
	require.NoError(t, b.conn.Close())
	last := offsB[9]
	appendN(t, nodes[0].br, "h:room", 20, 40)
	b2 := dialClient(t, nodes[2].url, "b2")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 40; i < 60; i++ {
			_, err := nodes[1].br.Append(context.Background(), "h:room", websocket.Text, []byte(fmt.Sprintf("m%d", i)))
			assert.NoError(t, err)
		}
	}()
	ans := b2.resume(t, "h:room", last)
	<-done
	assert.True(t, strings.HasPrefix(ans, "ok resume "), ans)
	b2.waitCount(t, 50, 10*time.Second)
	time.Sleep(50 * time.Millisecond)
	got, _ = historyPayloads(t, b2.messages())
	assert.Equal(t, seq(10, 60), got, "missed messages then live ones, in order, each once")

	// SIGKILL redis-server (the stream is fsynced): appends made once it
	// is back are delivered, and a client resuming from before the
	// outage gets everything after its offset with no gap.
	got, offs = historyPayloads(t, a.waitCount(t, 60, 10*time.Second))
	require.Equal(t, seq(0, 60), got)
	aLast := offs[59]
	require.NoError(t, a.conn.Close())
	r.Kill()
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, r.Restart())
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range nodes {
		for n.br.BridgeStats().Resubscribes < int64(n.br.BridgeStats().Partitions) {
			require.True(t, time.Now().Before(deadline), "not resubscribed")
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitNumSub(t, r.Addr, nodes[0].br.Channels(), 3, 20*time.Second)
	// A command on a connection that died with the server fails once
	// (Append is not retried: it is not idempotent); wait for a ping.
	require.Eventually(t, func() bool {
		_, err := nodes[1].rc.Ping(context.Background())
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	// (A write that reached the dead connection never ran, so retrying
	// an Unavailable one cannot duplicate it.)
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, err := nodes[1].br.Append(context.Background(), "h:room", websocket.Text, []byte("m60"))
		if err == nil {
			break
		}
		require.True(t, arsenal.IsCode(err, arsenal.Unavailable) && time.Now().Before(deadline), "%v", err)
		time.Sleep(20 * time.Millisecond)
	}
	appendN(t, nodes[1].br, "h:room", 61, 70)
	got, _ = historyPayloads(t, b2.waitCount(t, 60, 10*time.Second))
	assert.Equal(t, seq(10, 70), got, "live delivery after the restart")
	a2 := dialClient(t, nodes[1].url, "a2")
	assert.Equal(t, "ok resume 10", a2.resume(t, "h:room", aLast))
	got, _ = historyPayloads(t, a2.waitCount(t, 10, 10*time.Second))
	assert.Equal(t, seq(60, 70), got)
}

func TestResumeSaysWhenTheGapIsTooOldForTheHistory(t *testing.T) {
	r := startRedis(t)
	n := startNode(t, redisConfig([]string{r.Addr}, ""), historyFor(wsredis.History{MaxLen: 5}))
	ctx := context.Background()
	var offs []string
	for i := 0; i < 20; i++ {
		off, err := n.br.Append(ctx, "h:short", websocket.Text, []byte(fmt.Sprintf("m%d", i)))
		require.NoError(t, err)
		offs = append(offs, off)
	}
	// Within the last five: replayed.
	c := dialClient(t, n.url, "c")
	assert.Equal(t, "ok resume 3", c.resume(t, "h:short", offs[16]))
	got, _ := historyPayloads(t, c.waitCount(t, 3, 5*time.Second))
	assert.Equal(t, seq(17, 20), got)

	// Older: the gap is reported, and the connection is live from now.
	old := dialClient(t, n.url, "old")
	assert.Equal(t, "err resume 5 NotFound", old.resume(t, "h:short", offs[2]))
	appendN(t, n.br, "h:short", 20, 21)
	got, _ = historyPayloads(t, old.waitCount(t, 6, 5*time.Second))
	assert.Equal(t, "m20", got[len(got)-1])

	// Through the API: the cause is ErrHistoryGap; a bad offset and a
	// topic without history are InvalidArgument.
	srvConn := serverConnOf(t, n)
	_, err := n.br.Resume(ctx, srvConn, "h:short", offs[0])
	assert.True(t, arsenal.IsCode(err, arsenal.NotFound) && errors.Is(err, wsredis.ErrHistoryGap), "%v", err)
	_, err = n.br.Resume(ctx, srvConn, "h:short", "yesterday")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v", err)
	_, err = n.br.Resume(ctx, srvConn, "plain", "")
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v", err)
	_, err = n.br.Append(ctx, "plain", websocket.Text, []byte("x"))
	assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%v", err)
	st := n.br.Stats()
	assert.Equal(t, uint64(22), st.Ops["append"].Count)
	assert.Equal(t, uint64(1), st.Ops["append"].Errors)
}

func TestHistoryByAgeDropsOldMessages(t *testing.T) {
	r := startRedis(t)
	n := startNode(t, redisConfig([]string{r.Addr}, ""), historyFor(wsredis.History{MaxAge: 300 * time.Millisecond}))
	ctx := context.Background()
	first, err := n.br.Append(ctx, "h:aged", websocket.Text, []byte("m0"))
	require.NoError(t, err)
	_, err = n.br.Append(ctx, "h:aged", websocket.Text, []byte("m1"))
	require.NoError(t, err)
	c := dialClient(t, n.url, "c")
	assert.Equal(t, "ok resume 1", c.resume(t, "h:aged", first))
	time.Sleep(400 * time.Millisecond)
	appendN(t, n.br, "h:aged", 2, 3) // trims m0 and m1
	late := dialClient(t, n.url, "late")
	assert.Equal(t, "err resume 1 NotFound", late.resume(t, "h:aged", first))
	got, _ := historyPayloads(t, late.waitCount(t, 1, 5*time.Second))
	assert.Equal(t, []string{"m2"}, got)
}

// serverConnOf opens a connection to n and returns the server's side of it.
func serverConnOf(t *testing.T, n *node) *websocket.Conn {
	t.Helper()
	var sc *websocket.Conn
	cfg := chatServerConfig(nil)
	cfg.Broker = nil
	opened := make(chan *websocket.Conn, 1)
	cfg.OnOpen = func(c *websocket.Conn) { opened <- c }
	srv, err := websocket.NewServer(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	url := startHTTP(t, srv)
	dialClient(t, url, "raw")
	select {
	case sc = <-opened:
	case <-time.After(5 * time.Second):
		t.Fatal("no server connection")
	}
	return sc
}

func TestAHistorySubscriberTooSlowForTheReplayIsClosedToResumeLater(t *testing.T) {
	r := startRedis(t)
	ctx := context.Background()
	rc, err := redis.Open(ctx, redisConfig([]string{r.Addr}, ""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	br, err := wsredis.New(ctx, wsredis.Config{Client: rc, Prefix: "t:" + t.Name(),
		History: func(string) wsredis.History { return wsredis.History{MaxLen: 10000} }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = br.Close() })
	cfg := chatServerConfig(br)
	cfg.BackpressureLimit = 4096
	srv, err := websocket.NewServer(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	url := startHTTP(t, srv)

	big := []byte(strings.Repeat("x", 8192))
	var first string
	for i := 0; i < 3000; i++ { // 24 MiB: more than the sockets buffer
		off, err := br.Append(ctx, "h:big", websocket.Text, big)
		require.NoError(t, err)
		if i == 0 {
			first = off
		}
	}
	// A client that sends its resume request and then does not read.
	conn, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Write(ctx, websocket.Text, wsredis.ResumeRequest("h:big", first)))
	require.Eventually(t, func() bool { return br.BridgeStats().SlowClosed == 1 }, 20*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		n, err := br.SubscriberCount(ctx, "h:big")
		return err == nil && n == 0
	}, 10*time.Second, 10*time.Millisecond, "the closed subscriber left the count")
	// Reading now, the client finds the close 1013 after what was queued.
	for {
		_, _, err := conn.Read(ctx)
		if err != nil {
			var ce *websocket.CloseError
			if assert.ErrorAs(t, err, &ce) {
				assert.Equal(t, websocket.StatusTryAgainLater, ce.Code)
			}
			break
		}
	}
}
