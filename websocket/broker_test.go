package websocket_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/websocket"
)

// fakeBroker records what a Server tells its Broker (the real one,
// package wsredis, is tested against redis-server there).
type fakeBroker struct {
	mu        sync.Mutex
	attached  *websocket.Server
	attachErr error
	calls     []string
	published []string
}

func (f *fakeBroker) Attach(s *websocket.Server) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attached = s
	return f.attachErr
}
func (f *fakeBroker) Subscribe(topic string)   { f.record("sub " + topic) }
func (f *fakeBroker) Unsubscribe(topic string) { f.record("unsub " + topic) }
func (f *fakeBroker) Publish(topic string, typ websocket.MessageType, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, topic+" "+string(data))
	return nil
}
func (f *fakeBroker) SubscriberCount(context.Context, string) (int, error) { return 42, nil }

func (f *fakeBroker) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeBroker) snapshot() ([]string, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...), append([]string(nil), f.published...)
}

func TestServerTellsItsBrokerOfEachSubscriptionPublishAndClose(t *testing.T) {
	fb := &fakeBroker{}
	opened := make(chan *websocket.Conn, 1)
	srv, url := startServer(t, websocket.ServerConfig{
		Broker: fb,
		OnOpen: func(c *websocket.Conn) { opened <- c },
	})
	require.Same(t, srv, fb.attached)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	sc := <-opened

	require.NoError(t, sc.Subscribe("a"))
	require.NoError(t, sc.Subscribe("a")) // once per connection and topic
	require.NoError(t, sc.Subscribe("b"))
	require.NoError(t, sc.Unsubscribe("b"))
	require.NoError(t, sc.Unsubscribe("never"))

	n, err := srv.Publish("a", websocket.Text, []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the local fan-out")
	_, data, err := client.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "x", string(data))
	_, err = srv.Publish("a", websocket.MessageType(9), []byte("bad"))
	assert.Error(t, err)

	// A message from another server reaches local subscribers only.
	n, err = srv.DeliverLocal("a", websocket.Text, []byte("remote"))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, data, err = client.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "remote", string(data))

	got, err := srv.Subscribers(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, 42, got, "counted by the broker")
	assert.Equal(t, 1, srv.SubscriberCount("a"), "SubscriberCount stays local")

	require.NoError(t, client.Close())
	select {
	case <-sc.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server connection never ended")
	}
	calls, published := fb.snapshot()
	assert.Equal(t, []string{"sub a", "sub b", "unsub b", "unsub a"}, calls)
	assert.Equal(t, []string{"a x"}, published, "bad publishes never reach the broker; DeliverLocal never does")
}

func TestServerWithoutBrokerCountsLocallyAndRefusesABrokerThatWillNotAttach(t *testing.T) {
	srv, _ := startServer(t, websocket.ServerConfig{})
	got, err := srv.Subscribers(context.Background(), "a")
	require.NoError(t, err)
	assert.Zero(t, got)

	boom := errors.New("boom")
	_, err = websocket.NewServer(websocket.ServerConfig{Broker: &fakeBroker{attachErr: boom}})
	assert.ErrorIs(t, err, boom)
}
