package websocket_test

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/websocket"
)

// A peer that sends its close frame as soon as the connection opens:
// writes racing the read loop's handling of that close (which ends by
// closing the socket) used to fail with the socket's own error ("use of
// closed network connection"). However a write loses the race, it reports
// why the connection ended: the peer's close, code 1000.
func TestWriteRacingThePeersCloseReportsTheClose(t *testing.T) {
	url := handshakeServer(t, func(nc net.Conn, key string) {
		h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		_, _ = nc.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(h[:]) + "\r\n\r\n"))
		_, _ = nc.Write([]byte{0x88, 0x02, 0x03, 0xE8}) // close 1000
		// Read (and drop) what the client sends until it hangs up after
		// its echo of the close.
		_, _ = io.Copy(io.Discard, nc)
	})
	msg := make([]byte, 16<<10)
	for i := 0; i < 40; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := websocket.Dial(ctx, url, &websocket.Options{PingInterval: -1, DisableCompression: true})
		require.NoError(t, err)
		for err == nil {
			err = c.Write(ctx, websocket.Binary, msg)
		}
		cancel()
		assert.True(t, arsenal.IsCode(err, arsenal.Unavailable), "round %d: %v", i, err)
		var ce *websocket.CloseError
		if assert.True(t, errors.As(err, &ce), "round %d: the write reports the peer's close, not a socket error: %v", i, err) {
			assert.True(t, ce.Remote, "round %d", i)
			assert.Equal(t, websocket.StatusNormalClosure, ce.Code, "round %d", i)
		}
		_ = c.Close()
	}
}
