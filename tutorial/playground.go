package tutorial

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/websocket"
)

// Playground is the WebSocket tutorial's server: the library's own
// websocket.Server on loopback, which records what each client (named by the
// ?name= query parameter) sends, and a watcher client of its own in the
// "lobby" topic that records what it receives. Clients speak a small
// protocol:
//
//	join:TOPIC        subscribe to TOPIC (the server answers "joined TOPIC")
//	say:TOPIC:TEXT    publish "NAME: TEXT" to everyone else in TOPIC
//	anything else     recorded, and echoed back as "echo: ..."
//
// Memory is bounded: messages are at most 64 KiB, and the playground keeps
// the last 256 messages per client and heard by the watcher, and the close
// status of at most 1024 client names.
type Playground struct {
	srv     *websocket.Server
	hs      *http.Server
	url     string
	watcher *websocket.Conn

	mu       sync.Mutex
	conns    map[string]*websocket.Conn // open connections by name
	received map[string][]string        // messages received, by sender
	closes   map[string]string          // "code reason" of each closed connection, by name
	heard    []string                   // messages the watcher received
}

// NewPlayground starts a playground on addr ("127.0.0.1:0" picks a free
// port). Close stops it.
func NewPlayground(ctx context.Context, addr string) (*Playground, error) {
	p := &Playground{conns: map[string]*websocket.Conn{}, received: map[string][]string{}, closes: map[string]string{}}
	srv, err := websocket.NewServer(websocket.ServerConfig{
		MaxPayload: maxMessage,
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			name := r.URL.Query().Get("name")
			if name == "" {
				return nil, nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "upgrade", "connect with ?name=YOURNAME")
			}
			return name, nil, nil
		},
		OnOpen: func(c *websocket.Conn) {
			p.mu.Lock()
			p.conns[c.Data().(string)] = c
			p.mu.Unlock()
		},
		OnMessage: p.onMessage,
		OnClose: func(c *websocket.Conn, code websocket.StatusCode, reason string) {
			name := c.Data().(string)
			p.mu.Lock()
			if p.conns[name] == c {
				delete(p.conns, name)
			}
			if len(p.closes) >= maxNames {
				clear(p.closes)
			}
			p.closes[name] = closeText(code, reason)
			p.mu.Unlock()
		},
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = srv.Close()
		return nil, arsenal.Errorf(arsenal.Unavailable, Kind, "playground", "listen on %s: %w", addr, err)
	}
	p.srv = srv
	p.hs = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.hs.Serve(ln) }()
	p.url = "ws://" + ln.Addr().String() + "/"

	w, err := websocket.Dial(ctx, p.url+"?name=watcher", nil)
	if err != nil {
		_ = p.Close()
		return nil, err
	}
	p.watcher = w
	if err := w.WriteText(ctx, "join:lobby"); err != nil {
		_ = p.Close()
		return nil, err
	}
	if _, _, err := w.Read(ctx); err != nil { // "joined lobby"
		_ = p.Close()
		return nil, err
	}
	go func() {
		for {
			_, m, err := w.Read(context.Background())
			if err != nil {
				return
			}
			p.mu.Lock()
			p.heard = keepLast(append(p.heard, string(m)))
			p.mu.Unlock()
		}
	}()
	return p, nil
}

// The playground's memory bounds.
const (
	maxMessage = 64 << 10 // bytes per message
	maxKept    = 256      // messages kept per client and by the watcher
	maxNames   = 1024     // close statuses kept
)

func keepLast(msgs []string) []string {
	if len(msgs) > maxKept {
		msgs = slices.Clone(msgs[len(msgs)-maxKept:])
	}
	return msgs
}

func closeText(code websocket.StatusCode, reason string) string {
	return strings.TrimSpace(itoa(int(code)) + " " + reason)
}

func itoa(n int) string { return strconv.Itoa(n) }

func (p *Playground) onMessage(c *websocket.Conn, typ websocket.MessageType, data []byte) {
	name, msg := c.Data().(string), string(data)
	p.mu.Lock()
	p.received[name] = keepLast(append(p.received[name], msg))
	p.mu.Unlock()
	switch {
	case strings.HasPrefix(msg, "join:"):
		t := strings.TrimPrefix(msg, "join:")
		if err := c.Subscribe(t); err == nil {
			_ = c.Send(websocket.Text, []byte("joined "+t))
		}
	case strings.HasPrefix(msg, "say:"):
		t, text, _ := strings.Cut(strings.TrimPrefix(msg, "say:"), ":")
		_, _ = c.Publish(t, websocket.Text, []byte(name+": "+text))
	default:
		_ = c.Send(typ, append([]byte("echo: "), data...))
	}
}

// URL is the playground's ws:// URL; add ?name=YOURNAME to connect.
func (p *Playground) URL() string { return p.url }

// ClientURL is the URL a client called name connects with.
func (p *Playground) ClientURL(name string) string { return p.url + "?name=" + url.QueryEscape(name) }

// Connected reports whether a client called name is connected.
func (p *Playground) Connected(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.conns[name]
	return ok
}

// Received returns the messages the client called name sent.
func (p *Playground) Received(name string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.received[name])
}

// Subscribed reports whether the client called name is in topic.
func (p *Playground) Subscribed(name, topic string) bool {
	p.mu.Lock()
	c := p.conns[name]
	p.mu.Unlock()
	return c != nil && c.IsSubscribed(topic)
}

// Heard returns the messages the watcher (in "lobby") received.
func (p *Playground) Heard() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.heard)
}

// Closed returns how the last connection of the client called name closed
// ("1000 bye"), or "" while none has.
func (p *Playground) Closed(name string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closes[name]
}

// Close stops the watcher and the server.
func (p *Playground) Close() error {
	if p.watcher != nil {
		_ = p.watcher.Close()
	}
	if p.srv != nil {
		_ = p.srv.Close()
	}
	if p.hs != nil {
		_ = p.hs.Close()
	}
	return nil
}
