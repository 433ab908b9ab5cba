package tutorial_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/tutorial"
	"github.com/infra-arsenal/arsenal/websocket"
)

// A component that fails (here: closed) makes every check and solution
// fail with the component's own coded error, never a pass or a panic.
func TestEveryStepReportsTheErrorOfAFailingComponent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := liveEnv(t, ctx)
	require.NoError(t, env.Redis.Close())
	require.NoError(t, env.SQLite.Close())
	require.NoError(t, env.S3.Close())
	for _, name := range []string{"redis", "sqlite", "s3"} {
		tu, ok := tutorial.Get(name)
		require.True(t, ok)
		for i, s := range tu.Steps {
			err := s.Validate(ctx, env)
			require.Error(t, err, "%s step %d", name, i+1)
			assert.True(t, errors.Is(err, arsenal.ErrClosed), "%s step %d: %v", name, i+1, err)
			err = s.Solution(ctx, env)
			require.Error(t, err, "%s step %d solution", name, i+1)
			assert.True(t, errors.Is(err, arsenal.ErrClosed), "%s step %d solution: %v", name, i+1, err)
		}
	}
	// The WebSocket steps after the first need the connection step 1 makes.
	ws, _ := tutorial.Get("websocket")
	for i, s := range ws.Steps[1:] {
		err := s.Solution(ctx, &tutorial.Env{WS: env.WS})
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "step %d", i+2)
		assert.ErrorContains(t, err, "do step 1 first")
	}
}

func TestEnvKeepsValuesAndClosesThem(t *testing.T) {
	env := &tutorial.Env{Prefix: "p:"}
	assert.Equal(t, "p:k", env.Key("k"))
	_, ok := env.Value("x")
	assert.False(t, ok)
	c := &closer{}
	env.Set("x", c)
	env.Set("n", 3)
	v, ok := env.Value("x")
	require.True(t, ok)
	assert.Same(t, c, v)
	env.Close()
	assert.True(t, c.closed)
	_, ok = env.Value("x")
	assert.False(t, ok, "Close forgets the values")
}

type closer struct{ closed bool }

func (c *closer) Close() error { c.closed = true; return nil }

func TestAPlaygroundOnABusyAddressIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := tutorial.NewPlayground(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer p.Close()
	addr := p.URL()[len("ws://") : len(p.URL())-1]
	_, err = tutorial.NewPlayground(ctx, addr)
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(err))
}

func TestThePlaygroundKeepsBoundedHistoryAndRefusesHugeMessages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := tutorial.NewPlayground(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer p.Close()
	c, err := websocket.Dial(ctx, p.ClientURL("flood"), nil)
	require.NoError(t, err)
	defer c.Close()
	for i := range 300 {
		require.NoError(t, c.WriteText(ctx, "m"+strconv.Itoa(i)))
		_, _, err := c.Read(ctx) // the echo
		require.NoError(t, err)
	}
	got := p.Received("flood")
	require.Len(t, got, 256)
	assert.Equal(t, "m44", got[0])
	assert.Equal(t, "m299", got[255])

	require.NoError(t, c.Write(ctx, websocket.Text, make([]byte, 65<<10)))
	_, _, err = c.Read(ctx)
	require.Error(t, err)
	assert.Equal(t, websocket.StatusCode(1009), websocket.CloseStatus(err), "%v", err)
}
