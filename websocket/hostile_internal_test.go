package websocket

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maskedPing is a client ping frame with a 125-byte payload.
func maskedPing(seq byte) []byte {
	f := []byte{0x89, 0x80 | 125, 1, 2, 3, 4}
	for i := 0; i < 125; i++ {
		f = append(f, seq^byte(i%4+1))
	}
	return f
}

// A peer that floods pings and never reads costs a bounded send queue: the
// pongs coalesce into the latest one instead of piling up (issue 13 #1).
func TestPingFloodFromAPeerThatNeverReadsQueuesOnePong(t *testing.T) {
	local, remote := net.Pipe() // a pipe nobody reads: every write blocks
	set := &connSettings{server: true, readLimit: 1 << 20, bpLimit: 1 << 20, closeTimeout: 100 * time.Millisecond,
		onMessage: func(*Conn, MessageType, []byte) {}}
	c := newConn(local, nil, set, "", Compression{})
	done := make(chan struct{})
	go func() { c.readLoop(); close(done) }()
	const pings = 20000 // 2.6 MB of pings, 2.5 MB of pongs before the fix
	flood := make([]byte, 0, 131*1000)
	for i := 0; i < 1000; i++ {
		flood = append(flood, maskedPing(byte(i))...)
	}
	for i := 0; i < pings/1000; i++ {
		_, err := remote.Write(flood)
		require.NoError(t, err)
	}
	// Every ping has been read (the pipe is synchronous); at most the pong
	// the blocked writer holds and the one queued behind it remain.
	q := c.Traffic().QueuedBytes
	assert.LessOrEqual(t, q, 2*127, "queued bytes after %d pings", pings)
	c.qmu.Lock()
	frames := len(c.queue)
	c.qmu.Unlock()
	assert.LessOrEqual(t, frames, 1, "frames queued behind the blocked writer")
	_ = remote.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("read loop did not end")
	}
}

// Our own pings coalesce too: a queued ping is replaced by one with a newer
// id (whose pong answers both), and a keepalive ping adds nothing to it.
func TestQueuedPingsCoalesce(t *testing.T) {
	local, remote := net.Pipe()
	t.Cleanup(func() { _ = remote.Close(); _ = local.Close() })
	set := &connSettings{server: true, readLimit: 1 << 20, bpLimit: 1 << 20, closeTimeout: 100 * time.Millisecond}
	c := newConn(local, nil, set, "", Compression{})
	for i := 0; i < 100; i++ {
		c.sendControl(0x9, []byte{0, 0, 0, 0, 0, 0, 0, byte(i)})
		c.sendControl(0x9, nil)
	}
	c.qmu.Lock()
	defer c.qmu.Unlock()
	assert.LessOrEqual(t, len(c.queue), 1)
	if len(c.queue) == 1 {
		assert.Equal(t, byte(99), c.queue[0][len(c.queue[0])-1], "the queued ping carries the newest id")
	}
}

// The ws opener itself returns a nil interface on failure, so no caller
// of the registry (not only arsenal.Open) gets a typed nil (issue 14 #13).
func TestOpenerReturnsANilInterfaceOnFailure(t *testing.T) {
	for _, raw := range []string{"ws://127.0.0.1:1/ws?handshake_timeout=500ms", "ws://127.0.0.1/ws?read_limit=x"} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		c, err := openURL(context.Background(), u)
		assert.Error(t, err, raw)
		assert.True(t, c == nil, "%s: opener returned %#v", raw, c)
	}
}
