package wsredis_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/infra-arsenal/arsenal/wsredis"
)

// node is one websocket.Server with its own redis.Client and Bridge, as a
// separate server process would have.
type node struct {
	rc  *redis.Client
	br  *wsredis.Bridge
	srv *websocket.Server
	url string
}

// chatServerConfig is the server side of the tests' tiny protocol: "sub
// T", "unsub T" (answered "ok sub T" / "ok unsub T" once done) and "pub T
// payload" (Conn.Publish: every subscriber but the sender); "stats"
// answers "ok stats <resubscribes> <partitions>"; "resume T offset"
// (Bridge.Resume) answers "ok resume <replayed>" or "err resume <replayed> <code>";
// "kick" closes the connection; ResumeRequest messages go to HandleResume.
func chatServerConfig(b *wsredis.Bridge) websocket.ServerConfig {
	return websocket.ServerConfig{
		Broker: b,
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			if b != nil {
				if handled, _, _ := b.HandleResume(context.Background(), c, typ, data); handled {
					return
				}
			}
			cmd, rest, _ := strings.Cut(string(data), " ")
			switch cmd {
			case "sub":
				if err := c.Subscribe(rest); err == nil {
					_ = c.Send(websocket.Text, []byte("ok sub "+rest))
				}
			case "unsub":
				if err := c.Unsubscribe(rest); err == nil {
					_ = c.Send(websocket.Text, []byte("ok unsub "+rest))
				}
			case "resume":
				topic, off, _ := strings.Cut(rest, " ")
				n, err := b.Resume(context.Background(), c, topic, off)
				if err != nil {
					_ = c.Send(websocket.Text, []byte(fmt.Sprintf("err resume %d %s", n, arsenal.CodeOf(err))))
				} else {
					_ = c.Send(websocket.Text, []byte(fmt.Sprintf("ok resume %d", n)))
				}
			case "kick":
				_ = c.Close()
			case "stats":
				st := b.BridgeStats()
				_ = c.Send(websocket.Text, []byte(fmt.Sprintf("ok stats %d %d", st.Resubscribes, st.Partitions)))
			case "pub":
				topic, payload, _ := strings.Cut(rest, " ")
				if _, err := c.Publish(topic, websocket.Text, []byte(payload)); err != nil {
					_ = c.Send(websocket.Text, []byte("err "+err.Error()))
				}
			}
		},
	}
}

func redisConfig(addrs []string, mode redis.Mode) redis.Config {
	return redis.Config{Addrs: addrs, Mode: mode, ReconnectBackoffMax: 200 * time.Millisecond}
}

func startNode(t testing.TB, rcfg redis.Config, mutate ...func(*wsredis.Config)) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc, err := redis.Open(ctx, rcfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	bcfg := wsredis.Config{Client: rc, Prefix: "t:" + t.Name()}
	for _, m := range mutate {
		m(&bcfg)
	}
	br, err := wsredis.New(ctx, bcfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = br.Close() })
	srv, err := websocket.NewServer(chatServerConfig(br))
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &node{rc: rc, br: br, srv: srv, url: startHTTP(t, srv)}
}

// startHTTP serves srv on loopback and returns its ws:// URL.
func startHTTP(t testing.TB, srv *websocket.Server) string {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

// client is a websocket client of the protocol above, recording every
// message it receives.
type client struct {
	id   string
	conn *websocket.Conn
	mu   sync.Mutex
	got  []string
	oks  chan string
	done chan struct{}
}

func dialClient(t *testing.T, url, id string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	c := &client{id: id, conn: conn, oks: make(chan string, 64), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			s := string(data)
			if strings.HasPrefix(s, "ok ") || strings.HasPrefix(s, "err ") {
				c.oks <- s
				continue
			}
			c.mu.Lock()
			c.got = append(c.got, s)
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-c.done
	})
	return c
}

func (c *client) send(t *testing.T, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.conn.Write(ctx, websocket.Text, []byte(msg)))
}

// sub subscribes and waits for the server's confirmation.
func (c *client) sub(t *testing.T, topic string) {
	t.Helper()
	c.send(t, "sub "+topic)
	select {
	case ok := <-c.oks:
		require.Equal(t, "ok sub "+topic, ok)
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no confirmation of sub %s", c.id, topic)
	}
}

func (c *client) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

// waitCount waits until the client has at least n messages.
func (c *client) waitCount(t *testing.T, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := c.messages()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkExactlyOnce publishes perClient messages from every client to
// topic and checks that each client received every other client's
// messages exactly once, in each publisher's order, and none of its own.
func checkExactlyOnce(t *testing.T, clients []*client, topic string, perClient int, tag string) {
	t.Helper()
	base := make([]int, len(clients))
	for i, c := range clients {
		base[i] = len(c.messages())
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < perClient; k++ {
				c.send(t, fmt.Sprintf("pub %s %s/%s/%d", topic, tag, c.id, k))
			}
		}()
	}
	wg.Wait()
	want := (len(clients) - 1) * perClient
	for i, c := range clients {
		c.waitCount(t, base[i]+want, 20*time.Second)
		// A little longer, so a duplicate arriving late is caught too.
		time.Sleep(50 * time.Millisecond)
		got := c.messages()[base[i]:]
		next := map[string]int{}
		for _, m := range got {
			parts := strings.Split(m, "/")
			require.Len(t, parts, 3, "message %q", m)
			require.Equal(t, tag, parts[0], "message %q from an earlier round", m)
			assert.NotEqual(t, c.id, parts[1], "%s received its own message %q", c.id, m)
			assert.Equal(t, fmt.Sprint(next[parts[1]]), parts[2], "%s: message from %s out of order or duplicated", c.id, parts[1])
			next[parts[1]]++
		}
		assert.Len(t, got, want, "%s: messages received", c.id)
		for _, o := range clients {
			if o != c {
				assert.Equal(t, perClient, next[o.id], "%s: messages from %s", c.id, o.id)
			}
		}
	}
}

// spread dials perNode clients to each node, all subscribed to topic.
func spread(t *testing.T, nodes []*node, perNode int, topic string) []*client {
	t.Helper()
	var out []*client
	for i, n := range nodes {
		for j := 0; j < perNode; j++ {
			c := dialClient(t, n.url, fmt.Sprintf("n%dc%d", i, j))
			c.sub(t, topic)
			out = append(out, c)
		}
	}
	return out
}

func startRedis(t testing.TB, args ...string) *testenv.Redis {
	t.Helper()
	return testenv.RequireRealRedis(t, args...)
}

func strconvMillis(t time.Time) string { return fmt.Sprint(t.UnixMilli()) }
