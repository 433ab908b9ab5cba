package websocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// Kind is the component kind of every connection, client and server side.
const Kind = "websocket"

// MessageType is the type of a data message.
type MessageType int

// The two data message types of RFC 6455.
const (
	Text   MessageType = 1 // UTF-8 text, validated on receipt
	Binary MessageType = 2 // arbitrary bytes
)

// String returns "text" or "binary".
func (t MessageType) String() string {
	switch t {
	case Text:
		return "text"
	case Binary:
		return "binary"
	}
	return "MessageType(" + itoa(int(t)%100) + ")"
}

func (t MessageType) opcode() ws.OpCode {
	if t == Text {
		return ws.OpText
	}
	return ws.OpBinary
}

// StatusCode is a close code of RFC 6455 section 7.4.
type StatusCode int

// Close codes. 1005, 1006 and 1015 are never sent; they report what
// happened.
const (
	StatusNormalClosure   StatusCode = 1000
	StatusGoingAway       StatusCode = 1001
	StatusProtocolError   StatusCode = 1002
	StatusUnsupportedData StatusCode = 1003
	StatusNoStatus        StatusCode = 1005 // the close frame carried no code
	StatusAbnormalClosure StatusCode = 1006 // the TCP connection ended without a close frame
	StatusInvalidPayload  StatusCode = 1007 // a text message was not valid UTF-8
	StatusPolicyViolation StatusCode = 1008
	StatusMessageTooBig   StatusCode = 1009
	StatusMandatoryExt    StatusCode = 1010
	StatusInternalError   StatusCode = 1011
	StatusServiceRestart  StatusCode = 1012
	StatusTryAgainLater   StatusCode = 1013
	StatusBadGateway      StatusCode = 1014
	StatusTLSHandshake    StatusCode = 1015
)

// validWireCode reports whether code may appear in a close frame.
func validWireCode(code StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// CloseError reports how a connection ended: the close code and reason,
// and whether the peer sent them (Remote) or this side did.
type CloseError struct {
	Code   StatusCode
	Reason string
	Remote bool
}

func (e *CloseError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	s := "websocket closed by " + who + " with " + itoa4(int(e.Code))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

func itoa4(n int) string {
	b := []byte{'0', '0', '0', '0'}
	for i := 3; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

// CloseStatus returns the close code carried by err (a *CloseError in its
// chain), or -1 when err did not come from a close.
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// protocolError is a violation found in what the peer sent; the
// connection fails with its code.
type protocolError struct {
	code   StatusCode
	reason string
}

func (e *protocolError) Error() string { return "websocket protocol violation: " + e.reason }

// BackpressurePolicy says what Send does when a connection's queue of
// unsent bytes would pass its backpressure limit.
type BackpressurePolicy int

const (
	// BackpressureDrop refuses the message: Send returns a
	// ResourceExhausted error and the connection stays open (Bun's default).
	BackpressureDrop BackpressurePolicy = iota
	// BackpressureClose closes the connection (the peer sees 1006): a
	// consumer this slow is dropped rather than buffered for.
	BackpressureClose
)

// String names the policy.
func (p BackpressurePolicy) String() string {
	if p == BackpressureClose {
		return "close"
	}
	return "drop"
}

// connSettings are a connection's fixed parameters.
type connSettings struct {
	server        bool
	readLimit     int64
	compressMin   int
	compressLevel int
	bpLimit       int
	bpPolicy      BackpressurePolicy
	closeTimeout  time.Duration
	onMessage     func(*Conn, MessageType, []byte)
	onClose       func(*Conn, StatusCode, string)
	onDrain       func(*Conn)
}

type inMsg struct {
	typ  MessageType
	data []byte
	s    *stream
}

// Conn is one WebSocket connection, client or server side. It is an
// arsenal.Component: Health sends a ping and waits for the pong.
//
// A background goroutine reads frames, answers pings, and delivers data
// messages either to an OnMessage callback or, without one, to Read and
// Reader. Writes are safe for concurrent use. A Conn must be closed.
type Conn struct {
	nc       net.Conn
	fr       *frameReader
	set      *connSettings
	target   string
	proto    string
	comp     Compression
	defl     *deflater
	infl     *inflater
	header   http.Header // handshake response headers (client) or nil
	srv      *Server
	rec      *stats.Recorder
	opWrite  *stats.Op // rec's "write", kept to skip the lookup per message
	dialTime time.Duration
	started  time.Time
	mr       msgReader
	inbox    chan inMsg
	curRead  *stream
	readMu   sync.Mutex // guards curRead
	wsem     chan struct{}
	qmu      sync.Mutex
	queue    [][]byte
	queued   int
	data     any
	topics   map[string]struct{} // guarded by srv.topicMu
	pingSeq  atomic.Uint64
	pongMu   sync.Mutex
	pongWait map[uint64]chan struct{}

	lastActive atomic.Int64 // unix nanoseconds (client) or server ticks (server)
	pinged     atomic.Bool

	msgsIn, msgsOut   atomic.Uint64
	bpDrops           atomic.Uint64 // messages refused at the backpressure limit
	bytesIn, bytesOut atomic.Uint64
	wireOut           atomic.Uint64

	closing    chan struct{} // closed when Close starts or the loop ends
	closingOne sync.Once
	done       chan struct{} // closed when the read loop has ended and the socket is closed
	userClosed atomic.Bool
	closeSent  atomic.Bool
	inCallback atomic.Bool   // the read loop is running a user callback
	callbackG  atomic.Uint64 // the goroutine that runs the callbacks (see selfWait)
	termMu     sync.Mutex
	term       error // why the connection ended
	closeOnce  sync.Once
}

func newConn(nc net.Conn, primed []byte, set *connSettings, proto string, comp Compression) *Conn {
	c := &Conn{
		nc:      nc,
		set:     set,
		proto:   proto,
		comp:    comp,
		wsem:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		started: time.Now(),
	}
	c.fr = newFrameReader(nc, primed)
	if comp.Enabled {
		ours, peers := comp.ClientNoContextTakeover, comp.ServerNoContextTakeover
		ourBits := comp.ClientMaxWindowBits
		if set.server {
			ours, peers = comp.ServerNoContextTakeover, comp.ClientNoContextTakeover
			ourBits = comp.ServerMaxWindowBits
		}
		c.defl = newDeflater(set.compressLevel, !ours, ourBits > 0 && ourBits < 15)
		c.infl = &inflater{takeover: !peers}
	}
	c.mr.c = c
	if set.onMessage == nil {
		c.inbox = make(chan inMsg, 16)
	}
	c.lastActive.Store(time.Now().UnixNano())
	return c
}

// Subprotocol returns the negotiated subprotocol, or "" when none was.
func (c *Conn) Subprotocol() string { return c.proto }

// Compression returns the negotiated permessage-deflate parameters; its
// Enabled field is false when compression is off.
func (c *Conn) Compression() Compression { return c.comp }

// ResponseHeader returns the headers of the server's handshake response
// (client side only; nil on the server side). The map must not be changed.
func (c *Conn) ResponseHeader() http.Header { return c.header }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns this side's network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// SetData attaches an application value to the connection (Bun's ws.data).
func (c *Conn) SetData(v any) {
	c.qmu.Lock()
	c.data = v
	c.qmu.Unlock()
}

// Data returns the value set by SetData or by the server's Upgrade hook.
func (c *Conn) Data() any {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return c.data
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (nil while it is open). A close
// from either side is a *CloseError in the chain.
func (c *Conn) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.termMu.Lock()
	defer c.termMu.Unlock()
	return c.term
}

// Kind returns "websocket".
func (c *Conn) Kind() string { return Kind }

// Describe returns the target (client side) or the peer address.
func (c *Conn) Describe() string { return "websocket " + c.target }

// Traffic counts a connection's messages and bytes.
type Traffic struct {
	MessagesIn  uint64 `stat:",counter"`
	MessagesOut uint64 `stat:",counter"`
	PayloadIn   uint64 `stat:"payload_bytes_in,bytes,counter"`  // message bytes after decompression
	PayloadOut  uint64 `stat:"payload_bytes_out,bytes,counter"` // message bytes before compression
	WireIn      uint64 `stat:"wire_bytes_in,bytes,counter"`     // bytes on the wire, frame headers included
	WireOut     uint64 `stat:"wire_bytes_out,bytes,counter"`
	QueuedBytes int    `stat:",bytes"` // bytes waiting in the send queue
}

// Traffic returns the connection's counters; the ratio of WireOut to
// PayloadOut shows what compression saved. It is cheap (atomic loads).
func (c *Conn) Traffic() Traffic {
	c.qmu.Lock()
	q := c.queued
	c.qmu.Unlock()
	return Traffic{
		MessagesIn: c.msgsIn.Load(), MessagesOut: c.msgsOut.Load(),
		PayloadIn: c.bytesIn.Load(), PayloadOut: c.bytesOut.Load(),
		WireIn: c.fr.wireBytes(), WireOut: c.wireOut.Load(), QueuedBytes: q,
	}
}

// ConnStats are a Conn's typed gauges, the Detail of its Stats.
type ConnStats struct {
	Traffic
	BackpressureDrops uint64        `stat:",counter"`     // messages Send refused at the backpressure limit
	DialTime          time.Duration `stat:"dial_seconds"` // how long the dial and handshake took (client side)
	Compression       bool          // permessage-deflate was negotiated
}

// DegradationRules are the rules that judge a WebSocket connection or
// server by default: the common ones (stats.DefaultRules), plus any
// message dropped at the backpressure limit since the previous check
// (warn) and a ping round trip (the pong delay) over 500 ms at p99 (retry:
// when it persists).
func DegradationRules() []stats.Rule {
	return stats.Append(
		stats.Rule{Name: "websocket backpressure drops", Kind: Kind, Metric: "gauge:backpressure_drops", Threshold: 0, Rate: true, Action: stats.ActionWarn},
		stats.Rule{Name: "websocket pong delay", Kind: Kind, Op: "ping", Metric: stats.MetricP99, Baseline: 0.001, Threshold: 0.5, Action: stats.ActionRetry, MinCalls: 3},
	)
}

// DegradationRules makes ConnStats a stats.RuleSource.
func (ConnStats) DegradationRules() []stats.Rule { return DegradationRules() }

// ConnStats returns the connection's counters. It is cheap (atomic loads).
func (c *Conn) ConnStats() ConnStats {
	return ConnStats{
		Traffic: c.Traffic(), BackpressureDrops: c.bpDrops.Load(),
		DialTime: c.dialTime, Compression: c.comp.Enabled,
	}
}

// Stats returns the connection's operation latencies (client side: write
// and ping; histograms, about 28 KiB each, are allocated on first use;
// write latencies rest on every write for the first 1024 and on 1 in 8
// after that, counts on every write), with ConnStats as its Detail and
// Gauges.
func (c *Conn) Stats() arsenal.Stats {
	cs := c.ConnStats()
	s := arsenal.Stats{
		Kind:      Kind,
		Target:    c.target,
		Connected: c.Err() == nil && !c.userClosed.Load(),
		Since:     c.started,
		Gauges:    stats.Gauges(cs),
		Detail:    cs,
	}
	if c.rec != nil {
		s.Ops = c.rec.Snapshot()
	} else {
		s.Ops = map[string]arsenal.OpStats{}
	}
	return s
}

// Health sends a ping and waits for the pong (or ctx).
func (c *Conn) Health(ctx context.Context) error {
	return c.ping(ctx, "health")
}

// Ping sends a ping and waits for the matching pong; it fails when ctx
// ends first or the connection closes, and at once (FailedPrecondition)
// when called inside a callback, whose read loop delivers the pong only
// after the callback returns. The latency is recorded as "ping".
func (c *Conn) Ping(ctx context.Context) error { return c.ping(ctx, "ping") }

func (c *Conn) ping(ctx context.Context, op string) error {
	if err := c.usable(op); err != nil {
		return err
	}
	if err := c.selfWait(op, "the pong"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return arsenal.Wrap(Kind, op, err)
	}
	start := time.Now()
	id := c.pingSeq.Add(1)
	ch := make(chan struct{})
	c.pongMu.Lock()
	if c.pongWait == nil {
		c.pongWait = map[uint64]chan struct{}{}
	}
	c.pongWait[id] = ch
	c.pongMu.Unlock()
	defer func() {
		c.pongMu.Lock()
		delete(c.pongWait, id)
		c.pongMu.Unlock()
	}()
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], id)
	c.sendControl(ws.OpPing, payload[:])
	var err error
	select {
	case <-ch:
	case <-ctx.Done():
		err = arsenal.Wrap(Kind, op, ctx.Err())
	case <-c.done:
		err = c.usable(op)
		if err == nil {
			err = arsenal.E(arsenal.Unavailable, Kind, op, errors.New("connection closed"))
		}
	}
	if c.rec != nil {
		c.rec.Op("ping").Record(time.Since(start), err)
	}
	return err
}

// usable returns nil while the connection is open, else the coded error
// op must return.
func (c *Conn) usable(op string) error {
	if c.userClosed.Load() {
		return arsenal.Closed(Kind, op)
	}
	select {
	case <-c.done:
		return translate(op, c.Err())
	default:
		return nil
	}
}

// ---- reading ----

// Read waits for the next data message and returns it whole. It fails
// with ResourceExhausted (and the connection closes with 1009) when the
// message passes the read limit. A connection with an OnMessage callback
// cannot be read this way (FailedPrecondition).
func (c *Conn) Read(ctx context.Context) (MessageType, []byte, error) {
	typ, r, err := c.next(ctx, "read")
	if err != nil {
		return 0, nil, err
	}
	if r.data != nil || r.s == nil {
		return typ, r.data, nil
	}
	data, err := io.ReadAll(r.s)
	if err != nil {
		return 0, nil, translate("read", err)
	}
	return typ, data, nil
}

// Reader waits for the next data message and returns a reader over it, so
// a large message streams instead of being buffered whole. The reader must
// be read to io.EOF before the next message can arrive; the next Read or
// Reader call discards what is left of it.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	typ, r, err := c.next(ctx, "read")
	if err != nil {
		return 0, nil, err
	}
	if r.s != nil {
		return typ, r.s, nil
	}
	return typ, bytes.NewReader(r.data), nil
}

func (c *Conn) next(ctx context.Context, op string) (MessageType, inMsg, error) {
	if c.inbox == nil {
		return 0, inMsg{}, arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "messages are delivered to OnMessage")
	}
	if err := c.selfWait(op, "a message"); err != nil {
		return 0, inMsg{}, err
	}
	if c.userClosed.Load() {
		return 0, inMsg{}, arsenal.Closed(Kind, op)
	}
	if err := ctx.Err(); err != nil {
		return 0, inMsg{}, arsenal.Wrap(Kind, op, err)
	}
	c.readMu.Lock()
	if s := c.curRead; s != nil {
		c.curRead = nil
		_, _ = io.Copy(io.Discard, s)
	}
	c.readMu.Unlock()
	select {
	case m, ok := <-c.inbox:
		if !ok {
			if err := c.usable(op); err != nil {
				return 0, inMsg{}, err
			}
			return 0, inMsg{}, arsenal.E(arsenal.Unavailable, Kind, op, io.EOF)
		}
		if m.s != nil {
			c.readMu.Lock()
			c.curRead = m.s
			c.readMu.Unlock()
		}
		return m.typ, m, nil
	case <-ctx.Done():
		return 0, inMsg{}, arsenal.Wrap(Kind, op, ctx.Err())
	}
}

// stream hands one large or fragmented message from the read loop to a
// Reader caller; the loop waits on done until the caller has read it.
type stream struct {
	mr       *msgReader
	finished bool
	once     sync.Once
	done     chan struct{}
}

func (s *stream) Read(p []byte) (int, error) {
	if s.finished {
		return 0, io.EOF
	}
	n, err := s.mr.Read(p)
	if err != nil {
		s.finished = true // the loop may reuse mr once done is closed
		s.once.Do(func() { close(s.done) })
		if err != io.EOF {
			err = translate("read", err)
		}
	}
	return n, err
}

// msgReader reads one data message's payload across its frames, handling
// control frames that arrive between fragments, decompressing, checking
// UTF-8 and the size limit.
type msgReader struct {
	c          *Conn
	typ        MessageType
	compressed bool
	fin        bool
	n          int64
	v          utf8Validator
	zr         io.ReadCloser
	tail       int // bytes of finalTail handed to the decompressor
	src        decompressSource
	eof        bool
	err        error
}

func (mr *msgReader) start(h ws.Header) {
	mr.typ = Binary
	if h.OpCode == ws.OpText {
		mr.typ = Text
	}
	mr.compressed = h.Rsv&0x4 != 0
	mr.fin = h.Fin
	mr.n = 0
	mr.v.reset()
	mr.tail = 0
	mr.eof = false
	mr.err = nil
	if mr.compressed {
		mr.src.mr = mr
		mr.zr = getFlateReader(&mr.src, mr.c.infl.window())
	}
}

// rawRead reads undecompressed payload bytes across frames.
func (mr *msgReader) rawRead(p []byte) (int, error) {
	fr := mr.c.fr
	for fr.left == 0 {
		if mr.fin {
			return 0, io.EOF
		}
		h, err := mr.c.nextFrame(true)
		if err != nil {
			return 0, err
		}
		mr.fin = h.Fin
	}
	return fr.read(p)
}

// Read (for the decompressor) serves the raw payload then finalTail.
func (mr *msgReader) readCompressed(p []byte) (int, error) {
	n, err := mr.rawRead(p)
	if err == io.EOF {
		n = copy(p, finalTail[mr.tail:])
		mr.tail += n
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
	return n, err
}

// decompressSource is the decompressor's view of a message: its raw
// payload across frames, then finalTail.
type decompressSource struct{ mr *msgReader }

func (s *decompressSource) Read(p []byte) (int, error) { return s.mr.readCompressed(p) }

// ReadByte lets compress/flate read without wrapping in a bufio.Reader.
func (s *decompressSource) ReadByte() (byte, error) {
	var b [1]byte
	for {
		n, err := s.mr.readCompressed(b[:])
		if n == 1 {
			return b[0], nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// Read implements io.Reader over the decoded message.
func (mr *msgReader) Read(p []byte) (int, error) {
	if mr.err != nil {
		return 0, mr.err
	}
	if mr.eof {
		return 0, io.EOF
	}
	var n int
	var err error
	if mr.compressed {
		n, err = mr.zr.Read(p)
		if err != nil && err != io.EOF {
			var pe *protocolError
			if !errors.As(err, &pe) && !isNetErr(err) {
				err = &protocolError{StatusInvalidPayload, "bad deflate data: " + err.Error()}
			}
		}
	} else {
		n, err = mr.rawRead(p)
	}
	if n > 0 {
		mr.n += int64(n)
		if mr.n > mr.c.set.readLimit {
			err = &protocolError{StatusMessageTooBig, "message larger than the read limit"}
			n = 0
		} else {
			if mr.typ == Text && !mr.v.write(p[:n]) {
				err = &protocolError{StatusInvalidPayload, "text message is not valid UTF-8"}
				n = 0
			}
			if mr.compressed && (err == nil || err == io.EOF) {
				mr.c.infl.record(p[:n])
			}
		}
	}
	if err == io.EOF {
		if mr.typ == Text && !mr.v.done() {
			err = &protocolError{StatusInvalidPayload, "text message ends inside a UTF-8 sequence"}
		} else {
			mr.eof = true
			mr.finish()
			mr.c.msgsIn.Add(1)
			mr.c.bytesIn.Add(uint64(mr.n))
			return n, io.EOF
		}
	}
	if err != nil {
		mr.err = mr.c.fail(err)
		mr.finish()
		return n, mr.err
	}
	return n, nil
}

func (mr *msgReader) finish() {
	if mr.zr != nil {
		putFlateReader(mr.zr)
		mr.zr = nil
	}
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// eagerAlloc is the most readAll allocates for a message before its
// bytes arrive: a header alone may declare up to the read limit (16 MiB by
// default), and a peer that sends headers and then trickles (or nothing)
// must not make the server hold that much per connection.
const eagerAlloc = 64 << 10

// readAll reads the current message whole.
func (mr *msgReader) readAll(h ws.Header) ([]byte, error) {
	if h.Fin && !mr.compressed {
		want := int(h.Length) // at most the read limit (checkHeader)
		buf := make([]byte, min(want, eagerAlloc))
		if h.Length == 0 {
			_, err := mr.Read(nil)
			if err == io.EOF {
				err = nil
			}
			return buf, err
		}
		off := 0
		for {
			if off == len(buf) && len(buf) < want {
				// The bytes so far arrived: grow as they do, doubling.
				nb := make([]byte, min(want, 2*len(buf)))
				copy(nb, buf[:off])
				buf = nb
			}
			n, err := mr.Read(buf[off:])
			off += n
			if err == io.EOF {
				return buf[:off], nil
			}
			if err != nil {
				return nil, err
			}
			if off == want {
				// Let the reader see the end (and count the message).
				if _, err := mr.Read(nil); err != io.EOF && err != nil {
					return nil, err
				}
				return buf, nil
			}
		}
	}
	size := 512
	if !mr.compressed && h.Length > 0 {
		size = int(min(h.Length, 1<<20)) + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := mr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// nextFrame reads frames until a data frame, handling control frames.
func (c *Conn) nextFrame(fragmented bool) (ws.Header, error) {
	for {
		h, err := c.fr.next()
		if err != nil {
			if err == errHeaderLength {
				return h, &protocolError{StatusProtocolError, err.Error()}
			}
			return h, err
		}
		if c.srv != nil {
			c.lastActive.Store(c.srv.tick.Load())
		} else {
			c.lastActive.Store(time.Now().UnixNano())
		}
		c.pinged.Store(false)
		if err := c.checkHeader(h, fragmented); err != nil {
			return h, err
		}
		if h.OpCode.IsControl() {
			if err := c.handleControl(h); err != nil {
				return h, err
			}
			continue
		}
		return h, nil
	}
}

func (c *Conn) checkHeader(h ws.Header, fragmented bool) error {
	var st ws.State
	if c.set.server {
		st = ws.StateServerSide
	} else {
		st = ws.StateClientSide
	}
	if c.comp.Enabled {
		st = st.Set(ws.StateExtended)
	}
	if fragmented {
		st = st.Set(ws.StateFragmented)
	}
	if err := ws.CheckHeader(h, st); err != nil {
		return &protocolError{StatusProtocolError, err.Error()}
	}
	if h.Rsv&0x3 != 0 {
		return &protocolError{StatusProtocolError, "reserved bits RSV2/RSV3 set"}
	}
	if h.Rsv&0x4 != 0 && (h.OpCode.IsControl() || h.OpCode == ws.OpContinuation) {
		return &protocolError{StatusProtocolError, "RSV1 set on a control or continuation frame"}
	}
	if !h.OpCode.IsControl() && h.OpCode != ws.OpContinuation && h.Length > c.set.readLimit && h.Rsv == 0 {
		return &protocolError{StatusMessageTooBig, "message larger than the read limit"}
	}
	return nil
}

// errPeerClosed ends the read loop after a close frame.
var errPeerClosed = errors.New("websocket: peer sent close")

func (c *Conn) handleControl(h ws.Header) error {
	var buf [125]byte
	p := buf[:h.Length]
	if err := c.fr.readFull(p); err != nil {
		return err
	}
	switch h.OpCode {
	case ws.OpPing:
		c.sendControl(ws.OpPong, p)
	case ws.OpPong:
		if len(p) == 8 {
			id := binary.BigEndian.Uint64(p)
			c.pongMu.Lock()
			for k, ch := range c.pongWait {
				if k <= id {
					close(ch)
					delete(c.pongWait, k)
				}
			}
			c.pongMu.Unlock()
		}
	case ws.OpClose:
		code, reason := StatusNoStatus, ""
		switch {
		case len(p) == 1:
			return &protocolError{StatusProtocolError, "close frame with a 1-byte payload"}
		case len(p) >= 2:
			code = StatusCode(binary.BigEndian.Uint16(p))
			reason = string(p[2:])
			if !validWireCode(code) {
				return &protocolError{StatusProtocolError, "invalid close code " + itoa4(int(code))}
			}
			if !utf8.ValidString(reason) {
				return &protocolError{StatusInvalidPayload, "close reason is not valid UTF-8"}
			}
		}
		c.setTerm(&CloseError{Code: code, Reason: reason, Remote: true})
		if c.closeSent.CompareAndSwap(false, true) {
			// Echo the peer's code, as RFC 6455 section 5.5.1 asks.
			var body []byte
			if code != StatusNoStatus {
				body = ws.NewCloseFrameBody(ws.StatusCode(code), "")
			}
			c.writeControlNow(ws.OpClose, body, time.Second)
		}
		return errPeerClosed
	}
	return nil
}

func (c *Conn) setTerm(err error) {
	c.termMu.Lock()
	if c.term == nil {
		c.term = err
	}
	c.termMu.Unlock()
}

// fail ends the connection because of err: a protocol violation sends its
// close code first. It returns the coded error to report.
func (c *Conn) fail(err error) error {
	var pe *protocolError
	if errors.As(err, &pe) {
		c.setTerm(&CloseError{Code: pe.code, Reason: pe.reason})
		if c.closeSent.CompareAndSwap(false, true) {
			c.writeControlNow(ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(pe.code), truncateReason(pe.reason)), time.Second)
		}
		c.lingerClose()
		return translate("read", c.termErr())
	}
	if err == errPeerClosed {
		return translate("read", c.termErr())
	}
	c.setTerm(err)
	_ = c.nc.Close()
	return translate("read", c.termErr())
}

// lingerClose half-closes the socket and drains what the peer is still
// sending (for up to a second), so the close frame just written is not
// destroyed by a TCP reset answering unread data.
func (c *Conn) lingerClose() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		_ = c.nc.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = io.CopyN(io.Discard, c.nc, 64<<20)
	}
	_ = c.nc.Close()
}

func (c *Conn) termErr() error {
	c.termMu.Lock()
	defer c.termMu.Unlock()
	return c.term
}

func truncateReason(s string) string {
	if len(s) <= 123 {
		return s
	}
	s = s[:123]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// enterCallback marks the calling goroutine as the one running c's
// callbacks, from now until exitCallback.
func (c *Conn) enterCallback() {
	c.callbackG.Store(goroutineID())
	c.inCallback.Store(true)
}

func (c *Conn) exitCallback() { c.inCallback.Store(false) }

// selfWait fails a call that would wait for what only the read loop
// delivers (a pong, a message) when it is made from a callback, on the
// goroutine the read loop needs to deliver it: the call could only end
// with its context. The goroutine is compared so that a call from
// another goroutine while a callback runs still waits.
func (c *Conn) selfWait(op, what string) error {
	if c.inCallback.Load() && c.callbackG.Load() == goroutineID() {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, op,
			"called from a callback (OnOpen, OnMessage), which would wait for %s that only the read loop delivers once the callback returns; call it from another goroutine", what)
	}
	return nil
}

// goroutineID returns the calling goroutine's id, read from the header
// line of its stack trace ("goroutine 123 [running]:"). It is used only
// to tell the callback goroutine from others (see selfWait).
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	var id uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			break
		}
		id = id*10 + uint64(ch-'0')
	}
	return id
}

// readLoop runs for the life of the connection.
func (c *Conn) readLoop() {
	defer c.finish()
	if c.set.onMessage != nil {
		c.callbackG.Store(goroutineID())
	}
	for {
		h, err := c.nextFrame(false)
		if err != nil {
			c.fail(err)
			return
		}
		mr := &c.mr
		mr.start(h)
		if c.set.onMessage != nil || (h.Fin && h.Length <= 64<<10) {
			data, err := mr.readAll(h)
			if err != nil {
				return // fail already ran
			}
			if c.set.onMessage != nil {
				c.inCallback.Store(true) // callbackG was set when the loop started
				c.set.onMessage(c, mr.typ, data)
				c.inCallback.Store(false)
				continue
			}
			select {
			case c.inbox <- inMsg{typ: mr.typ, data: data}:
			case <-c.closing:
				return
			}
			continue
		}
		s := &stream{mr: mr, done: make(chan struct{})}
		select {
		case c.inbox <- inMsg{typ: mr.typ, s: s}:
		case <-c.closing:
			return
		}
		select {
		case <-s.done:
		case <-c.closing:
			return
		}
		if mr.err != nil {
			return
		}
	}
}

func (c *Conn) finish() {
	_ = c.nc.Close()
	c.setTerm(&CloseError{Code: StatusAbnormalClosure, Remote: true})
	c.closingOne.Do(func() { close(c.closing) })
	close(c.done)
	if c.inbox != nil {
		close(c.inbox)
	}
	c.pongMu.Lock()
	for k, ch := range c.pongWait {
		close(ch)
		delete(c.pongWait, k)
	}
	c.pongMu.Unlock()
	c.qmu.Lock()
	c.queue, c.queued = nil, 0
	c.qmu.Unlock()
	if c.srv != nil {
		c.srv.remove(c)
	}
	if c.set.onClose != nil {
		code, reason := StatusAbnormalClosure, ""
		var ce *CloseError
		if errors.As(c.termErr(), &ce) {
			code, reason = ce.Code, ce.Reason
		}
		c.set.onClose(c, code, reason)
	}
}

// ---- writing ----

// encode frames a message for the wire; the caller holds qmu (which
// orders compression with the queue).
func (c *Conn) encode(op ws.OpCode, p []byte, fin bool, allowCompress bool) []byte {
	payload := p
	rsv1 := false
	if allowCompress && c.defl != nil && len(p) >= c.set.compressMin && op != ws.OpContinuation && fin {
		payload = c.defl.compress(make([]byte, 0, len(p)/2+16), p)
		rsv1 = true
	}
	masked := !c.set.server
	var mask [4]byte
	if masked {
		mask = ws.NewMask()
	}
	out := make([]byte, 0, len(payload)+14)
	out = appendHeader(out, fin, rsv1, op, len(payload), masked, mask)
	hl := len(out)
	out = append(out, payload...)
	if masked {
		ws.Cipher(out[hl:], mask, 0)
	}
	return out
}

// Write sends one message and returns when it is handed to the kernel.
// Concurrent writers are serialised. If ctx ends while the frame is half
// written the connection is closed, since the stream can no longer be
// framed. Payloads of at least the compression threshold are compressed
// when permessage-deflate was negotiated.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	op := c.opWrite
	if op == nil {
		return c.write(ctx, typ, p)
	}
	start := op.Start()
	return op.Done(start, c.write(ctx, typ, p))
}

// WriteText sends s as a text message; see Write.
func (c *Conn) WriteText(ctx context.Context, s string) error {
	return c.Write(ctx, Text, []byte(s))
}

func (c *Conn) write(ctx context.Context, typ MessageType, p []byte) error {
	if err := c.usable("write"); err != nil {
		return err
	}
	if typ != Text && typ != Binary {
		return arsenal.Errorf(arsenal.InvalidArgument, Kind, "write", "unknown message type %d", int(typ))
	}
	if err := ctx.Err(); err != nil {
		return arsenal.Wrap(Kind, "write", err)
	}
	select {
	case c.wsem <- struct{}{}:
	case <-ctx.Done():
		return arsenal.Wrap(Kind, "write", ctx.Err())
	case <-c.closing:
		return c.closedErr("write")
	}
	if err := ctx.Err(); err != nil {
		// Done while waiting: the select may still have taken the lock.
		<-c.wsem
		c.kick()
		return arsenal.Wrap(Kind, "write", err)
	}
	c.qmu.Lock()
	bufs, n := c.takeLocked()
	frame := c.encode(typ.opcode(), p, true, true)
	c.qmu.Unlock()
	bufs = append(bufs, frame)
	wrote, err := c.writeBufs(ctx, bufs)
	c.settle(ctx, bufs[:len(bufs)-1], n, wrote, err)
	<-c.wsem
	c.kick()
	if err != nil {
		return err
	}
	c.msgsOut.Add(1)
	c.bytesOut.Add(uint64(len(p)))
	return nil
}

func (c *Conn) closedErr(op string) error {
	if err := c.usable(op); err != nil {
		return err
	}
	return arsenal.Closed(Kind, op)
}

// settle accounts for the queued frames a write took along (taken, of
// n bytes): when nothing reached the socket because the caller's context
// ended, they go back to the front of the queue for the next writer;
// otherwise they were written (or the connection is failing) and their
// bytes are uncounted.
func (c *Conn) settle(ctx context.Context, taken [][]byte, n int, wrote int64, err error) {
	if err != nil && wrote == 0 && len(taken) > 0 && ctx.Err() != nil {
		c.qmu.Lock()
		c.queue = append(slices.Clip(taken), c.queue...)
		c.qmu.Unlock()
		return
	}
	c.unqueue(n)
}

// writeBufs writes frames and reports how many bytes reached the socket;
// the caller holds wsem. The context bounds the write through the
// socket's write deadline, set by context.AfterFunc when the context ends
// (for its deadline as for a cancel): ctx.Err() is set before that runs,
// so a write timeout here is always the context's, never an early socket
// timer that would pass for a failed socket.
func (c *Conn) writeBufs(ctx context.Context, bufs [][]byte) (int64, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	var stop func() bool
	var fired chan struct{}
	if ctx.Done() != nil {
		fired = make(chan struct{})
		stop = context.AfterFunc(ctx, func() {
			_ = c.nc.SetWriteDeadline(time.Unix(1, 0))
			close(fired)
		})
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	var n int64
	var err error
	if len(bufs) == 1 {
		var m int
		m, err = c.nc.Write(bufs[0])
		n = int64(m)
	} else {
		nb := net.Buffers(bufs)
		n, err = nb.WriteTo(c.nc)
	}
	if stop != nil && !stop() {
		// The context fired: clear the deadline it set, once it is set
		// (stop reports only that the function has started).
		<-fired
		_ = c.nc.SetWriteDeadline(time.Time{})
	}
	c.wireOut.Add(uint64(n))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		switch {
		case ctx.Err() != nil && n > 0:
			// Half a frame is on the wire: the connection cannot continue.
			c.setTerm(err)
			_ = c.nc.Close()
		case ctx.Err() == nil:
			// The socket failed. The peer's close frame may still be
			// waiting to be read, so let the read loop end the connection
			// (and say why); close the socket shortly in any case.
			c.closeSent.Store(true)
			time.AfterFunc(time.Second, func() { _ = c.nc.Close() })
		}
		return n, translate("write", err)
	}
	return n, nil
}

// Send queues a message without waiting for the socket, as Bun's ws.send
// does, and returns at once. When the queue of unsent bytes would pass the
// backpressure limit, the policy applies: BackpressureDrop returns a
// ResourceExhausted error, BackpressureClose closes the connection. Use
// Write to wait for the socket instead.
func (c *Conn) Send(typ MessageType, p []byte) error {
	if err := c.usable("send"); err != nil {
		return err
	}
	if typ != Text && typ != Binary {
		return arsenal.Errorf(arsenal.InvalidArgument, Kind, "send", "unknown message type %d", int(typ))
	}
	c.qmu.Lock()
	if c.queued > 0 && c.queued+len(p) > c.set.bpLimit {
		c.qmu.Unlock()
		c.bpDrops.Add(1)
		if c.set.bpPolicy == BackpressureClose {
			c.setTerm(&CloseError{Code: StatusPolicyViolation, Reason: "backpressure limit exceeded"})
			_ = c.nc.Close()
			return arsenal.Errorf(arsenal.ResourceExhausted, Kind, "send", "backpressure limit of %d bytes exceeded: connection closed", c.set.bpLimit)
		}
		return arsenal.Errorf(arsenal.ResourceExhausted, Kind, "send", "backpressure limit of %d bytes exceeded: message dropped", c.set.bpLimit)
	}
	frame := c.encode(typ.opcode(), p, true, true)
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	c.qmu.Unlock()
	c.msgsOut.Add(1)
	c.bytesOut.Add(uint64(len(p)))
	c.kick()
	return nil
}

// sendPrepared queues an already framed server message (Publish).
func (c *Conn) sendFrame(frame []byte, payloadLen int) bool {
	c.qmu.Lock()
	if c.queued > 0 && c.queued+len(frame) > c.set.bpLimit {
		c.qmu.Unlock()
		if c.set.bpPolicy == BackpressureClose {
			c.setTerm(&CloseError{Code: StatusPolicyViolation, Reason: "backpressure limit exceeded"})
			_ = c.nc.Close()
		}
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	c.qmu.Unlock()
	c.msgsOut.Add(1)
	c.bytesOut.Add(uint64(payloadLen))
	c.kick()
	return true
}

// sendControl queues a control frame, ignoring the backpressure limit.
func (c *Conn) sendControl(op ws.OpCode, p []byte) {
	c.qmu.Lock()
	frame := c.encode(op, p, true, false)
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	c.qmu.Unlock()
	c.kick()
}

// writeControlNow writes a control frame, waiting at most timeout for the
// writer lock and the socket (used for close frames).
func (c *Conn) writeControlNow(op ws.OpCode, p []byte, timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case c.wsem <- struct{}{}:
	case <-t.C:
		return
	}
	c.qmu.Lock()
	bufs, n := c.takeLocked()
	bufs = append(bufs, c.encode(op, p, true, false))
	c.qmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	_, _ = c.writeBufs(ctx, bufs)
	cancel()
	c.unqueue(n)
	<-c.wsem
}

// kick starts flushing the queue if nobody holds the writer lock.
func (c *Conn) kick() {
	c.qmu.Lock()
	empty := len(c.queue) == 0
	c.qmu.Unlock()
	if empty {
		return
	}
	select {
	case c.wsem <- struct{}{}:
		go c.flushLoop()
	default: // the holder flushes before releasing
	}
}

// flushLoop writes the queue with blocking writes; it owns wsem.
func (c *Conn) flushLoop() {
	for {
		c.qmu.Lock()
		bufs, n := c.takeLocked()
		c.qmu.Unlock()
		if len(bufs) == 0 {
			<-c.wsem
			if c.set.onDrain != nil {
				c.set.onDrain(c)
			}
			c.kick()
			return
		}
		_, err := c.writeBufs(context.Background(), bufs)
		c.unqueue(n)
		if err != nil {
			<-c.wsem
			return
		}
	}
}

// takeLocked empties the queue and returns its frames and byte count;
// the bytes stay counted (they are still unsent) until unqueue. The caller
// holds qmu.
func (c *Conn) takeLocked() ([][]byte, int) {
	bufs := c.queue
	c.queue = nil
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	return bufs, n
}

// unqueue uncounts n bytes that were written (or abandoned).
func (c *Conn) unqueue(n int) {
	if n == 0 {
		return
	}
	c.qmu.Lock()
	c.queued = max(c.queued-n, 0)
	c.qmu.Unlock()
}

// Writer returns a writer that streams one message as a sequence of
// frames; it holds the connection's writer lock until Close, which sends
// the final frame. Streamed messages are not compressed.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (io.WriteCloser, error) {
	if err := c.usable("write"); err != nil {
		return nil, err
	}
	if typ != Text && typ != Binary {
		return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "write", "unknown message type %d", int(typ))
	}
	select {
	case c.wsem <- struct{}{}:
	case <-ctx.Done():
		return nil, arsenal.Wrap(Kind, "write", ctx.Err())
	case <-c.closing:
		return nil, c.closedErr("write")
	}
	if err := ctx.Err(); err != nil {
		<-c.wsem
		c.kick()
		return nil, arsenal.Wrap(Kind, "write", err)
	}
	c.qmu.Lock()
	bufs, n := c.takeLocked()
	c.qmu.Unlock()
	wrote, err := c.writeBufs(ctx, bufs)
	c.settle(ctx, bufs, n, wrote, err)
	if err != nil {
		<-c.wsem
		c.kick()
		return nil, err
	}
	return &msgWriter{c: c, ctx: ctx, op: typ.opcode()}, nil
}

type msgWriter struct {
	c      *Conn
	ctx    context.Context
	op     ws.OpCode
	buf    []byte
	n      int
	closed bool
	err    error
}

const streamFrameSize = 32 << 10

func (w *msgWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "write", "message writer is closed")
	}
	if w.err != nil {
		return 0, w.err
	}
	total := len(p)
	for len(p) > 0 {
		take := min(len(p), streamFrameSize-len(w.buf))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == streamFrameSize {
			if err := w.flush(false); err != nil {
				return total - len(p), err
			}
		}
	}
	w.n += total
	return total, nil
}

func (w *msgWriter) flush(fin bool) error {
	c := w.c
	c.qmu.Lock()
	frame := c.encode(w.op, w.buf, fin, false)
	c.qmu.Unlock()
	started := w.op == ws.OpContinuation
	w.op = ws.OpContinuation
	w.buf = w.buf[:0]
	if wrote, err := c.writeBufs(w.ctx, [][]byte{frame}); err != nil {
		w.err = err
		if started || wrote > 0 {
			// Part of this message is on the wire and the rest never will
			// be: the stream cannot be framed any more.
			c.setTerm(err)
			_ = c.nc.Close()
		}
		return err
	}
	return nil
}

// Close sends the final frame and releases the writer lock.
func (w *msgWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.err
	if err == nil {
		err = w.flush(true)
	}
	<-w.c.wsem
	w.c.kick()
	if err == nil {
		w.c.msgsOut.Add(1)
		w.c.bytesOut.Add(uint64(w.n))
	}
	return err
}

// ---- closing ----

// Close closes the connection with 1000 (normal closure); see CloseWith.
func (c *Conn) Close() error { return c.CloseWith(StatusNormalClosure, "") }

// CloseWith runs the closing handshake: it sends a close frame with code
// and reason (at most 123 bytes), waits up to the close timeout for the
// peer's close frame, then closes the socket. It is idempotent; every
// later call on the connection fails with FailedPrecondition.
func (c *Conn) CloseWith(code StatusCode, reason string) error {
	c.closeOnce.Do(func() {
		c.userClosed.Store(true)
		if code != StatusNoStatus && !validWireCode(code) {
			code = StatusNormalClosure
		}
		select {
		case <-c.done:
		default:
			c.setTerm(&CloseError{Code: code, Reason: reason})
			if c.closeSent.CompareAndSwap(false, true) {
				var body []byte
				if code != StatusNoStatus {
					body = ws.NewCloseFrameBody(ws.StatusCode(code), truncateReason(reason))
				}
				c.writeControlNow(ws.OpClose, body, c.set.closeTimeout)
			}
			c.closingOne.Do(func() { close(c.closing) })
			if c.inCallback.Load() {
				// Called from a callback on the read loop, which must go
				// on to read the peer's close frame: do not wait for it.
				time.AfterFunc(c.set.closeTimeout, func() { _ = c.nc.Close() })
				return
			}
			t := time.NewTimer(c.set.closeTimeout)
			select {
			case <-c.done:
			case <-t.C:
			}
			t.Stop()
			_ = c.nc.Close()
		}
		if !c.inCallback.Load() {
			<-c.done
		}
	})
	return nil
}

var _ arsenal.Component = (*Conn)(nil)
var _ arsenal.Describer = (*Conn)(nil)
