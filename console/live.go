package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal/websocket"
)

// The live topics: the page subscribes to all of them.
var topics = []string{"stats", "redis", "perf", "ws"}

// event is one live update, pushed over the WebSocket and kept for the
// polling fallback.
type event struct {
	Seq   uint64          `json:"seq"`
	Topic string          `json:"topic"`
	Data  json.RawMessage `json:"data"`
}

const eventRing = 256

// live pushes updates over this library's WebSocket server (one topic per
// kind of update) and keeps the last eventRing for GET api/events.
type live struct {
	c   *Console
	srv *websocket.Server

	mu   sync.Mutex
	seq  uint64
	ring []event
}

func newLive(c *Console) (*live, error) {
	l := &live{c: c}
	srv, err := websocket.NewServer(websocket.ServerConfig{
		Compression: true,
		MaxPayload:  4 << 10,
		OnOpen: func(conn *websocket.Conn) {
			for _, t := range topics {
				_ = conn.Subscribe(t)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	l.srv = srv
	return l, nil
}

func (l *live) serve(w http.ResponseWriter, r *http.Request) { l.srv.ServeHTTP(w, r) }

// publish sends v on topic to every live page and records it.
func (l *live) publish(topic string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	l.mu.Lock()
	l.seq++
	ev := event{Seq: l.seq, Topic: topic, Data: data}
	l.ring = append(l.ring, ev)
	if len(l.ring) > eventRing {
		l.ring = l.ring[len(l.ring)-eventRing:]
	}
	l.mu.Unlock()
	msg, _ := json.Marshal(ev)
	_, _ = l.srv.Publish(topic, websocket.Text, msg)
}

// poll is GET api/events?since=N: the events after N (the polling
// fallback when the WebSocket cannot connect).
func (l *live) poll(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
	l.mu.Lock()
	out := []event{}
	for _, ev := range l.ring {
		if ev.Seq > since {
			out = append(out, ev)
		}
	}
	seq := l.seq
	l.mu.Unlock()
	writeJSON(w, map[string]any{"seq": seq, "events": out})
}

// run pushes the state once a second while a page is connected.
func (l *live) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if l.srv.SubscriberCount("stats") == 0 {
			continue
		}
		st := l.c.state(ctx)
		data, err := json.Marshal(event{Topic: "stats", Data: mustJSON(st)})
		if err == nil {
			_, _ = l.srv.Publish("stats", websocket.Text, data)
		}
	}
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (l *live) close() { _ = l.srv.Close() }
