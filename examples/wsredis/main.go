// Command wsredis shows WebSocket topics shared by several servers
// through Redis (package wsredis): a publish on server A reaching a
// client of server B, cross-server subscriber counts, and a history topic
// a late client resumes from its last offset.
//
// It needs a Redis 7 or Valkey server: REDIS_URL (or VALKEY_URL).
//
//	REDIS_URL=redis://127.0.0.1:6379/0 go run ./examples/wsredis
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/infra-arsenal/arsenal/wsredis"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// server is one WebSocket server with its own Redis client and bridge, as
// each process of a service would have.
type server struct {
	rc  *redis.Client
	br  *wsredis.Bridge
	ws  *websocket.Server
	url string
	hs  *http.Server
}

func (s *server) close() {
	_ = s.hs.Close()
	_ = s.ws.Close()
	_ = s.br.Close()
	_ = s.rc.Close()
}

func start(ctx context.Context, rcfg redis.Config, prefix string) (*server, error) {
	rc, err := redis.Open(ctx, rcfg)
	if err != nil {
		return nil, err
	}
	s := &server{rc: rc}
	s.br, err = wsredis.New(ctx, wsredis.Config{
		Client: rc, Prefix: prefix,
		History: func(topic string) wsredis.History {
			if topic == "news" {
				return wsredis.History{MaxLen: 100}
			}
			return wsredis.History{}
		},
	})
	if err != nil {
		_ = rc.Close()
		return nil, err
	}
	s.ws, err = websocket.NewServer(websocket.ServerConfig{
		Broker: s.br,
		OnOpen: func(c *websocket.Conn) { _ = c.Subscribe("chat") },
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			// A client resuming a history topic sends wsredis.ResumeRequest.
			_, _, _ = s.br.HandleResume(context.Background(), c, typ, data)
		},
	})
	if err != nil {
		_ = s.br.Close()
		_ = rc.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.hs = &http.Server{Handler: s.ws, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.hs.Serve(ln) }()
	s.url = "ws://" + ln.Addr().String() + "/"
	return s, nil
}

// run runs the tour, writing what it does to out.
func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if os.Getenv("REDIS_URL") == "" && os.Getenv("VALKEY_URL") == "" {
		return errors.New("set REDIS_URL (or VALKEY_URL) to a Redis 7 or Valkey server")
	}
	rcfg, err := redis.DefaultConfig()
	if err != nil {
		return err
	}
	prefix := "example:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	a, err := start(ctx, rcfg, prefix)
	if err != nil {
		return err
	}
	defer a.close()
	b, err := start(ctx, rcfg, prefix)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Fprintln(out, "two servers share their topics through", a.rc.Describe())

	// A client of server B; server A publishes.
	conn, err := websocket.Dial(ctx, b.url, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	for n := 0; n == 0; time.Sleep(10 * time.Millisecond) {
		if n, err = a.ws.Subscribers(ctx, "chat"); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "subscribers of chat on every server, seen from A: 1")
	if _, err := a.ws.Publish("chat", websocket.Text, []byte("hello from A")); err != nil {
		return err
	}
	_, data, err := conn.Read(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "client of B got: %s\n", data)

	// A history topic: three messages, then a client that saw only the
	// first resumes on B and gets the other two.
	var first string
	for i, m := range []string{"one", "two", "three"} {
		off, err := a.br.Append(ctx, "news", websocket.Text, []byte(m))
		if err != nil {
			return err
		}
		if i == 0 {
			first = off
		}
	}
	late, err := websocket.Dial(ctx, b.url, nil)
	if err != nil {
		return err
	}
	defer late.Close()
	if err := late.Write(ctx, websocket.Text, wsredis.ResumeRequest("news", first)); err != nil {
		return err
	}
	for i := 0; i < 2; {
		_, frame, err := late.Read(ctx)
		if err != nil {
			return err
		}
		topic, _, msg, ok := wsredis.ParseHistoryFrame(frame)
		if !ok {
			continue // a "chat" message
		}
		fmt.Fprintf(out, "resumed %s: %s\n", topic, msg)
		i++
	}
	st := a.br.BridgeStats()
	fmt.Fprintf(out, "server A: dropped=%d resubscribes=%d\n", st.Dropped, st.Resubscribes)
	return nil
}
