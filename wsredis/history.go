package wsredis

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/websocket"
)

// History bounds a topic's history (see Config.History). A zero History
// keeps none.
type History struct {
	MaxLen int64         // keep at most this many messages
	MaxAge time.Duration // drop messages older than this
}

func (h History) on() bool { return h.MaxLen > 0 || h.MaxAge > 0 }

// ErrHistoryGap is the cause of Resume's NotFound error when messages
// after the client's offset are no longer in the history (trimmed, or
// lost by a Redis without persistence).
var ErrHistoryGap = errors.New("the history no longer holds every message after this offset")

// DefaultHistoryFrame is the frame a subscriber of a history topic gets
// when Config.HistoryFrame is nil: the offset, a space, the topic, a
// newline, the message ("1700000000000-0 news\nhello"). With it, history
// topics may not contain a newline.
func DefaultHistoryFrame(topic, offset string, data []byte) []byte {
	out := make([]byte, 0, len(offset)+len(topic)+2+len(data))
	out = append(append(out, offset...), ' ')
	out = append(append(out, topic...), '\n')
	return append(out, data...)
}

// ParseHistoryFrame splits a DefaultHistoryFrame; ok is false for any
// other message.
func ParseHistoryFrame(frame []byte) (topic, offset string, data []byte, ok bool) {
	sp := bytes.IndexByte(frame, ' ')
	if sp <= 0 {
		return "", "", nil, false
	}
	nl := bytes.IndexByte(frame[sp+1:], '\n')
	if nl < 0 {
		return "", "", nil, false
	}
	offset = string(frame[:sp])
	if _, ok := parseID(offset); !ok || !strings.Contains(offset, "-") {
		return "", "", nil, false
	}
	return string(frame[sp+1 : sp+1+nl]), offset, frame[sp+2+nl:], true
}

// checkTopic refuses topics the default frame cannot carry.
func (b *Bridge) checkTopic(op, topic string) error {
	if b.cfg.HistoryFrame == nil && strings.ContainsRune(topic, '\n') {
		return arsenal.Errorf(arsenal.InvalidArgument, Kind, op, "a history topic may not contain a newline (with the default HistoryFrame)")
	}
	return nil
}

// historyKeys are the topic's stream and its trim mark; in cluster mode
// they share the partition channel's slot, so one script appends and
// publishes.
func (b *Bridge) historyKeys(topic string) []string {
	p := strconv.Itoa(b.partition(topic))
	base := b.cfg.Prefix + ":"
	if b.sharded {
		base += "{p" + p + "}:"
	}
	return []string{base + "h:" + topic, base + "hcut:" + topic}
}

func (b *Bridge) historyOf(topic string) History {
	if b.cfg.History == nil {
		return History{}
	}
	return b.cfg.History(topic)
}

// appendScript adds the message to the stream, trims it (recording the
// newest trimmed ID in KEYS[2], so that Resume can tell a gap), and
// publishes the envelope with the new offset, atomically: offsets and
// publish order agree. KEYS: stream, trim mark; ARGV: channel, publish
// command, maxlen, minid, envelope head, data, type.
var appendScript = redis.NewScript(`
local id = redis.call('XADD', KEYS[1], '*', 't', ARGV[7], 'd', ARGV[6])
local cut
local maxlen = tonumber(ARGV[3])
if maxlen > 0 then
  local n = redis.call('XLEN', KEYS[1]) - maxlen
  if n > 0 then
    local e = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', n)
    cut = e[#e][1]
    redis.call('XTRIM', KEYS[1], 'MAXLEN', maxlen)
  end
end
if ARGV[4] ~= '' then
  local e = redis.call('XREVRANGE', KEYS[1], '(' .. ARGV[4], '-', 'COUNT', 1)
  if #e > 0 then
    cut = e[1][1]
    redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4])
  end
end
if cut then redis.call('SET', KEYS[2], cut) end
redis.call(ARGV[2], ARGV[1], ARGV[5] .. string.char(#id) .. id .. ARGV[6])
return id
`)

// infoScript returns the newest trimmed ID ('0-0' if none) and the
// stream's last-generated-id (” for a missing stream).
var infoScript = redis.NewScript(`
local ok, info = pcall(redis.call, 'XINFO', 'STREAM', KEYS[1])
if not ok then return {'', ''} end
local lg = '0-0'
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then lg = info[i+1] end
end
return {redis.call('GET', KEYS[2]) or '0-0', lg}
`)

// Append publishes a message on a history topic to every subscriber on
// every server (none excluded) and keeps it in the topic's Redis Stream,
// returning its offset. Unlike Publish it waits for Redis: an error means
// the message was neither kept nor sent. Subscribers of a history topic
// join with Resume; they get each message framed with its offset
// (Config.HistoryFrame).
func (b *Bridge) Append(ctx context.Context, topic string, typ websocket.MessageType, data []byte) (offset string, err error) {
	start := time.Now()
	defer func() { b.opAppend.Record(time.Since(start), err) }()
	if b.cfg.Observer != nil {
		st := arsenal.OpStart{Component: Kind, Op: "append", Target: b.c.Describe(), Resource: topic, Time: start}
		ctx = b.cfg.Observer.OpStart(ctx, st)
		defer func() {
			b.cfg.Observer.OpEnd(ctx, st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: time.Since(start), BytesOut: int64(len(data))})
		}()
	}
	if b.closed.Load() {
		return "", arsenal.Closed(Kind, "append")
	}
	h := b.historyOf(topic)
	if !h.on() {
		return "", arsenal.Errorf(arsenal.InvalidArgument, Kind, "append", "topic %q keeps no history (Config.History)", topic)
	}
	if typ != websocket.Text && typ != websocket.Binary {
		return "", arsenal.Errorf(arsenal.InvalidArgument, Kind, "append", "unknown message type %d", int(typ))
	}
	if err := b.checkTopic("append", topic); err != nil {
		return "", err
	}
	minID := ""
	if h.MaxAge > 0 {
		minID = strconv.FormatInt(time.Now().Add(-h.MaxAge).UnixMilli(), 10)
	}
	cmd := "PUBLISH"
	if b.sharded {
		cmd = "SPUBLISH"
	}
	head := encodeHistoryHead(b.cfg.NodeID, topic, typ)
	r, err := appendScript.Run(ctx, b.c, b.historyKeys(topic),
		b.chans[b.partition(topic)], cmd, strconv.FormatInt(h.MaxLen, 10), minID, head, string(data), strconv.Itoa(int(typ)))
	if err != nil {
		return "", arsenal.Wrap(Kind, "append", err)
	}
	id, err := r.String()
	if err != nil {
		return "", arsenal.Wrap(Kind, "append", err)
	}
	b.published.Add(1)
	return id, nil
}

// encodeHistoryHead is the envelope of a history message up to its
// offset: 'h' | type | node length | node | sequence 0 | topic length
// (uvarint) | topic; the script appends offset length (1 byte), offset,
// payload.
func encodeHistoryHead(node, topic string, typ websocket.MessageType) string {
	e := []byte(encode(node, 0, topic, typ, nil))
	e[0] = histVersion
	return string(e)
}

const histVersion = 'h'

// streamID is a parsed stream entry ID.
type streamID struct{ ms, seq uint64 }

func parseID(s string) (streamID, bool) {
	a, c, ok := strings.Cut(s, "-")
	ms, err1 := strconv.ParseUint(a, 10, 64)
	if !ok {
		return streamID{ms: ms}, err1 == nil
	}
	seq, err2 := strconv.ParseUint(c, 10, 64)
	return streamID{ms, seq}, err1 == nil && err2 == nil
}

func (a streamID) less(b streamID) bool { return a.ms < b.ms || a.ms == b.ms && a.seq < b.seq }

type histMsg struct {
	id   streamID
	off  string
	typ  websocket.MessageType
	data []byte
}

// histSub is one connection on a history topic: while Resume replays,
// live messages wait in pending; every message goes out once, in offset
// order.
type histSub struct {
	c        *websocket.Conn
	topic    string
	last     streamID
	ready    bool
	pending  []histMsg
	overflow bool
}

type histTopics struct {
	mu     sync.Mutex
	topics map[string]map[*websocket.Conn]*histSub
}

func (b *Bridge) frame(topic string, m histMsg) []byte {
	if b.cfg.HistoryFrame != nil {
		return b.cfg.HistoryFrame(topic, m.off, m.data)
	}
	return DefaultHistoryFrame(topic, m.off, m.data)
}

// sendHist sends m unless the connection already had it; under hist.mu.
func (b *Bridge) sendHist(s *histSub, m histMsg) bool {
	if !s.last.less(m.id) {
		return true
	}
	if err := s.c.Send(m.typ, b.frame(s.topic, m)); err != nil {
		select {
		case <-s.c.Done():
			return false
		default:
		}
		// Past the backpressure limit. Dropping the message would leave a
		// gap the client cannot see, so the connection is closed (1013):
		// the client reconnects and resumes from its last offset.
		b.slowClosed.Add(1)
		if b.cfg.Logger != nil {
			b.cfg.Logger.Warn("wsredis: history subscriber too slow, connection closed to resume later", "topic", s.topic)
		}
		go func() { _ = s.c.CloseWith(websocket.StatusTryAgainLater, "too slow for the history topic: resume") }()
		return false
	}
	s.last = m.id
	return true
}

// receiveHist delivers a history message to this node's connections.
func (b *Bridge) receiveHist(topic string, m histMsg) {
	b.hist.mu.Lock()
	defer b.hist.mu.Unlock()
	for c, s := range b.hist.topics[topic] {
		if !s.ready {
			if len(s.pending) >= b.cfg.QueueSize {
				s.pending, s.overflow = nil, true
			} else if !s.overflow {
				s.pending = append(s.pending, m)
			}
			continue
		}
		if !b.sendHist(s, m) {
			delete(b.hist.topics[topic], c)
			b.Unsubscribe(topic) // presence; Leave finds it gone
		}
		b.fanout.Add(1)
	}
}

// Resume subscribes c to a history topic on this server and sends it
// every message after offset that it missed, in order, before any newer
// one, each once. An empty offset just subscribes (from now on). When the
// history no longer holds everything after offset, c is subscribed from
// now on and Resume fails with NotFound (cause ErrHistoryGap): the client
// must rebuild its state. It returns how many messages it replayed.
//
// The connection leaves the topic when it closes, or with Leave.
func (b *Bridge) Resume(ctx context.Context, c *websocket.Conn, topic, offset string) (replayed int, err error) {
	start := time.Now()
	defer func() { b.opResume.Record(time.Since(start), err) }()
	if b.cfg.Observer != nil {
		st := arsenal.OpStart{Component: Kind, Op: "resume", Target: b.c.Describe(), Resource: topic, Time: start}
		ctx = b.cfg.Observer.OpStart(ctx, st)
		defer func() {
			b.cfg.Observer.OpEnd(ctx, st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: time.Since(start), Messages: int64(replayed)})
		}()
	}
	if b.closed.Load() {
		return 0, arsenal.Closed(Kind, "resume")
	}
	if !b.historyOf(topic).on() {
		return 0, arsenal.Errorf(arsenal.InvalidArgument, Kind, "resume", "topic %q keeps no history (Config.History)", topic)
	}
	if err := b.checkTopic("resume", topic); err != nil {
		return 0, err
	}
	since, ok := streamID{}, true
	if offset != "" {
		since, ok = parseID(offset)
	}
	if !ok {
		return 0, arsenal.Errorf(arsenal.InvalidArgument, Kind, "resume", "offset %q is not a stream ID", offset)
	}
	keys := b.historyKeys(topic)
	if offset == "" {
		// Live from the current end of the history: read it before
		// joining, so whatever is published after it is replayed or
		// delivered live.
		info, err := infoScript.Run(ctx, b.c, keys)
		if err != nil {
			return 0, arsenal.Wrap(Kind, "resume", err)
		}
		if v, _ := info.Strings(); len(v) == 2 && v[1] != "" {
			since, _ = parseID(v[1])
		}
	}
	s := &histSub{c: c, topic: topic, last: since}
	b.hist.mu.Lock()
	if b.hist.topics[topic] == nil {
		b.hist.topics[topic] = map[*websocket.Conn]*histSub{}
	}
	_, again := b.hist.topics[topic][c]
	b.hist.topics[topic][c] = s
	b.hist.mu.Unlock()
	if !again {
		b.Subscribe(topic) // presence
		go func() {
			select {
			case <-c.Done():
				b.Leave(c, topic)
			case <-b.ctx.Done():
			}
		}()
	}
	var gap error
	first := true
	for {
		n, err := b.replay(ctx, s, keys[0])
		replayed += n
		b.replayed.Add(uint64(n))
		if err != nil {
			b.Leave(c, topic)
			return replayed, err
		}
		if first && offset != "" {
			first = false
			// The trim mark only moves up: if it is not past the offset now,
			// nothing after the offset was trimmed before the read.
			info, err := infoScript.Run(ctx, b.c, keys)
			if err != nil {
				b.Leave(c, topic)
				return replayed, arsenal.Wrap(Kind, "resume", err)
			}
			v, _ := info.Strings()
			if len(v) != 2 || v[0] == "" {
				gap = ErrHistoryGap // no stream at all
			} else if md, _ := parseID(v[0]); since.less(md) {
				gap = ErrHistoryGap
			} else if lg, _ := parseID(v[1]); lg.less(since) {
				gap = ErrHistoryGap // an offset from another stream (lost and recreated)
			}
		}
		b.hist.mu.Lock()
		if s.overflow {
			s.overflow, s.pending = false, nil
			b.hist.mu.Unlock()
			continue // the missed live messages are in the stream
		}
		open := true
		for _, m := range s.pending {
			if open = b.sendHist(s, m); !open {
				break
			}
		}
		s.pending, s.ready = nil, true
		b.hist.mu.Unlock()
		if !open {
			b.Leave(c, topic)
			return replayed, arsenal.Errorf(arsenal.Unavailable, Kind, "resume", "connection closed")
		}
		break
	}
	if gap != nil {
		return replayed, &arsenal.Error{Code: arsenal.NotFound, Component: Kind, Op: "resume", Err: gap}
	}
	return replayed, nil
}

// replay reads the stream after s.last and sends it, in batches.
func (b *Bridge) replay(ctx context.Context, s *histSub, key string) (int, error) {
	n := 0
	for {
		b.hist.mu.Lock()
		from := "(" + strconv.FormatUint(s.last.ms, 10) + "-" + strconv.FormatUint(s.last.seq, 10)
		b.hist.mu.Unlock()
		es, err := b.c.XRange(ctx, key, from, "+", 256)
		if err != nil {
			return n, arsenal.Wrap(Kind, "resume", err)
		}
		if len(es) == 0 {
			return n, nil
		}
		b.hist.mu.Lock()
		for _, e := range es {
			id, ok := parseID(e.ID)
			if !ok {
				continue
			}
			typ := websocket.Text
			if e.Values["t"] == strconv.Itoa(int(websocket.Binary)) {
				typ = websocket.Binary
			}
			if !b.sendHist(s, histMsg{id: id, off: e.ID, typ: typ, data: []byte(e.Values["d"])}) {
				b.hist.mu.Unlock()
				return n, arsenal.Errorf(arsenal.Unavailable, Kind, "resume", "connection closed")
			}
			n++
		}
		b.hist.mu.Unlock()
	}
}

// Leave removes c from a history topic.
func (b *Bridge) Leave(c *websocket.Conn, topic string) {
	b.hist.mu.Lock()
	_, ok := b.hist.topics[topic][c]
	if ok {
		delete(b.hist.topics[topic], c)
		if len(b.hist.topics[topic]) == 0 {
			delete(b.hist.topics, topic)
		}
	}
	b.hist.mu.Unlock()
	if ok {
		b.Unsubscribe(topic)
	}
}

// decodeHistory parses the rest of a history envelope after its topic.
func decodeHistory(e envelope) (histMsg, error) {
	if len(e.data) < 1 || int(e.data[0]) > len(e.data)-1 {
		return histMsg{}, errMalformed
	}
	n := int(e.data[0])
	off := string(e.data[1 : 1+n])
	id, ok := parseID(off)
	if !ok {
		return histMsg{}, errMalformed
	}
	return histMsg{id: id, off: off, typ: e.typ, data: e.data[1+n:]}, nil
}
