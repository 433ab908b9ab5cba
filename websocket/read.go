package websocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/infra-arsenal/arsenal"
)

// Read waits for the next data message and returns it whole. It fails
// with ResourceExhausted (and the connection closes with 1009) when the
// message passes the read limit. A connection with an OnMessage callback
// cannot be read this way (FailedPrecondition).
func (c *Conn) Read(ctx context.Context) (MessageType, []byte, error) {
	if c.set.observed() {
		ctx, st := c.opBegin(ctx, "read", "")
		typ, data, err := c.countedRead(ctx)
		c.opFinish(ctx, st, err, int64(len(data)), 0)
		return typ, data, err
	}
	return c.countedRead(ctx)
}

func (c *Conn) countedRead(ctx context.Context) (MessageType, []byte, error) {
	if op := c.opRead; op != nil {
		start := op.Start()
		typ, data, err := c.read(ctx)
		return typ, data, op.Done(start, err)
	}
	return c.read(ctx)
}

func (c *Conn) read(ctx context.Context) (MessageType, []byte, error) {
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
	if c.set.observed() {
		ctx, st := c.opBegin(ctx, "read", "")
		typ, r, err := c.countedReader(ctx)
		c.opFinish(ctx, st, err, 0, 0)
		return typ, r, err
	}
	return c.countedReader(ctx)
}

func (c *Conn) countedReader(ctx context.Context) (MessageType, io.Reader, error) {
	if op := c.opRead; op != nil {
		start := op.Start()
		typ, r, err := c.reader(ctx)
		return typ, r, op.Done(start, err)
	}
	return c.reader(ctx)
}

func (c *Conn) reader(ctx context.Context) (MessageType, io.Reader, error) {
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
		if err == io.EOF && (mr.c.fr.left > 0 || !mr.fin) {
			// The sender's deflate stream ended (BFINAL) before the
			// message did: what follows is neither compressed data nor
			// frames, and must never be parsed as either.
			err = &protocolError{StatusInvalidPayload, "data after the end of the deflate stream"}
		}
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

// eagerAlloc is the most readAll allocates for a message beyond the bytes
// that have arrived: a header alone may declare up to the read limit
// (16 MiB by default), and a peer that sends headers and then trickles (or
// nothing) must not make the server hold that much per connection. The
// buffer grows, doubling, as the payload arrives.
const eagerAlloc = 4 << 10

// initialSize is the first buffer size for a payload of want bytes.
func (mr *msgReader) initialSize(want int64) int {
	return int(min(want, max(mr.c.fr.buffered(), eagerAlloc)))
}

// readAll reads the current message whole.
func (mr *msgReader) readAll(h ws.Header) ([]byte, error) {
	if h.Fin && !mr.compressed {
		want := int(h.Length) // at most the read limit (checkHeader)
		buf := make([]byte, mr.initialSize(h.Length))
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
		// Only what has arrived (or eagerAlloc) is allocated up front;
		// append grows the buffer as the rest does.
		size = mr.initialSize(h.Length) + 1
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
			if err == errHeaderLength || err == errUnreadPayload {
				return h, &protocolError{StatusProtocolError, err.Error()}
			}
			return h, err
		}
		switch {
		case c.srv == nil:
			// Client keepalive: anything from the server shows it is alive.
			c.lastActive.Store(time.Now().UnixNano())
			c.pinged.Store(false)
		case h.OpCode != ws.OpPing:
			// Server idle timeout: a peer's pings are not activity, or a
			// client that pings and never reads would be kept for ever.
			// Data, pongs (answers to the server's pings) and close are.
			c.lastActive.Store(c.srv.tick.Load())
			c.pinged.Store(false)
		}
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

// readLoop runs for the life of the connection.
func (c *Conn) readLoop() {
	defer c.finish()
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
				c.callMessage(c.set.onMessage, mr.typ, data)
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
