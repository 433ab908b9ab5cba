package tutorial_test

import (
	"context"

	"github.com/infra-arsenal/arsenal/websocket"
)

func websocketDial(ctx context.Context, url string) (*websocket.Conn, error) {
	c, err := websocket.Dial(ctx, url, nil)
	if err == nil {
		_ = c.Close()
	}
	return c, err
}
