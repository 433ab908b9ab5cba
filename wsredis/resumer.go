package wsredis

import (
	"context"
	"strings"
	"sync"

	"github.com/infra-arsenal/arsenal/websocket"
)

// resumePrefix starts a resume request: "wsredis:resume <offset|-> <topic>".
const resumePrefix = "wsredis:resume "

// ResumeRequest is the text message a client sends to resume topic after
// offset ("" for none: live from now on); HandleResume answers it.
func ResumeRequest(topic, offset string) []byte {
	if offset == "" {
		offset = "-"
	}
	return []byte(resumePrefix + offset + " " + topic)
}

// HandleResume runs Resume for a ResumeRequest message; call it first in
// ServerConfig.OnMessage. handled is false (and nothing done) for any other
// message.
func (b *Bridge) HandleResume(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, data []byte) (handled bool, replayed int, err error) {
	if typ != websocket.Text || len(data) < len(resumePrefix) || string(data[:len(resumePrefix)]) != resumePrefix {
		return false, 0, nil
	}
	off, topic, ok := strings.Cut(string(data[len(resumePrefix):]), " ")
	if !ok {
		return false, 0, nil
	}
	if off == "-" {
		off = ""
	}
	n, err := b.Resume(ctx, c, topic, off)
	return true, n, err
}

// Resumer is the client side of resume: it remembers the last offset of
// each history topic from the DefaultHistoryFrame messages it sees, drops
// any message it already had, and on every (re)connect of a
// websocket.Reconnecting client sends a ResumeRequest per topic with its
// last offset, so a client that reconnects receives what it missed by
// itself. It is safe for concurrent use.
type Resumer struct {
	mu     sync.Mutex
	topics []string
	last   map[string]streamID
	offs   map[string]string
}

// NewResumer returns a Resumer for topics.
func NewResumer(topics ...string) *Resumer {
	return &Resumer{topics: append([]string(nil), topics...), last: map[string]streamID{}, offs: map[string]string{}}
}

// Wrap returns cfg with OnOpen sending the resume requests (before
// cfg.OnOpen runs) and OnMessage recording offsets and dropping repeats
// (before cfg.OnMessage gets the frame).
func (r *Resumer) Wrap(cfg websocket.ReconnectConfig) websocket.ReconnectConfig {
	open, msg := cfg.OnOpen, cfg.OnMessage
	cfg.OnOpen = func(c *websocket.Conn, reconnected bool) {
		for _, t := range r.topics {
			_ = c.Send(websocket.Text, ResumeRequest(t, r.Offset(t)))
		}
		if open != nil {
			open(c, reconnected)
		}
	}
	cfg.OnMessage = func(typ websocket.MessageType, data []byte) {
		if !r.Seen(data) && msg != nil {
			msg(typ, data)
		}
	}
	return cfg
}

// Seen records a received frame's offset and reports whether it was
// delivered before (an older or equal offset of its topic). Other
// messages are never seen.
func (r *Resumer) Seen(frame []byte) bool {
	topic, off, _, ok := ParseHistoryFrame(frame)
	if !ok {
		return false
	}
	id, _ := parseID(off)
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, had := r.last[topic]; had && !last.less(id) {
		return true
	}
	r.last[topic], r.offs[topic] = id, off
	return false
}

// Offset returns the last offset seen on topic ("" if none).
func (r *Resumer) Offset(topic string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.offs[topic]
}
