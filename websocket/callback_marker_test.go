package websocket

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
)

// The marker frame is on the callback's own goroutine only: a goroutine
// the callback starts has none, so its Ping waits for the callback to
// return and then succeeds, while the callback's own Ping fails fast.
func TestCallbackMarkerIsPerGoroutine(t *testing.T) {
	url := serveURL(t, echoConfig())
	own, spawned := make(chan error, 1), make(chan error, 1)
	cl, err := Dial(context.Background(), url, &Options{OnMessage: func(c *Conn, _ MessageType, _ []byte) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			spawned <- c.Ping(ctx)
		}()
		own <- c.Ping(context.Background())
		time.Sleep(100 * time.Millisecond) // the spawned Ping waits meanwhile
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })
	require.NoError(t, cl.WriteText(context.Background(), "go"))
	select {
	case err := <-own:
		assert.True(t, arsenal.IsCode(err, arsenal.FailedPrecondition), "the callback's own Ping: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the callback's own Ping blocked")
	}
	select {
	case err := <-spawned:
		assert.NoError(t, err, "Ping from a goroutine the callback started")
	case <-time.After(6 * time.Second):
		t.Fatal("the spawned Ping never returned")
	}
}

// Outside any callback the check costs one atomic load and never fires;
// inside one it finds the marker frame.
func TestInCallbackFrameFindsTheMarker(t *testing.T) {
	assert.False(t, inCallbackFrame())
	c := &Conn{}
	var inside bool
	c.callOpen(func(*Conn) { inside = inCallbackFrame() })
	assert.True(t, inside)
	c.callMessage(func(*Conn, MessageType, []byte) {
		// deep in the callback's own calls too
		var deep func(int) bool
		deep = func(n int) bool {
			if n == 0 {
				return inCallbackFrame()
			}
			return deep(n - 1)
		}
		inside = deep(100)
	}, Text, nil)
	assert.True(t, inside, "the marker is found beyond the first 32 frames")
	assert.False(t, c.inCallback.Load())
}
