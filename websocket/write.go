package websocket

import (
	"context"
	"io"
	"net"
	"slices"
	"time"

	"github.com/gobwas/ws"

	"github.com/infra-arsenal/arsenal"
)

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
	if c.set.observed() {
		ctx, st := c.opBegin(ctx, "write", "")
		err := c.countedWrite(ctx, typ, p)
		c.opFinish(ctx, st, err, 0, int64(len(p)))
		return err
	}
	return c.countedWrite(ctx, typ, p)
}

func (c *Conn) countedWrite(ctx context.Context, typ MessageType, p []byte) error {
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
	if err := c.endingErr(op); err != nil {
		return err
	}
	return arsenal.Closed(Kind, op)
}

// endingErr says why the connection is ending when it is ending, not yet
// ended, for a reason other than the caller's own Close (the peer's close
// frame read, say); nil otherwise.
func (c *Conn) endingErr(op string) error {
	if term := c.termErr(); term != nil && !c.userClosed.Load() {
		return translate(op, term)
	}
	return nil
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
		c.pongAt, c.pingAt = 0, 0 // their slots moved; a new one may be queued
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
			if err := c.endingErr("write"); err != nil {
				// Report why the connection was ending, not the socket
				// error that caused.
				return n, err
			}
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
	if c.set.observed() {
		ctx, st := c.opBegin(context.Background(), "send", "")
		err := c.countedSend(typ, p)
		c.opFinish(ctx, st, err, 0, int64(len(p)))
		return err
	}
	return c.countedSend(typ, p)
}

func (c *Conn) countedSend(typ MessageType, p []byte) error {
	if op := c.opSend; op != nil {
		start := op.Start()
		return op.Done(start, c.send(typ, p))
	}
	return c.send(typ, p)
}

func (c *Conn) send(typ MessageType, p []byte) error {
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
		c.dropped(len(p), c.set.bpPolicy == BackpressureClose)
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
		c.bpDrops.Add(1)
		c.dropped(payloadLen, c.set.bpPolicy == BackpressureClose)
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

// sendControl queues a control frame. Control frames are not refused at
// the backpressure limit, but they cannot pile up either: a queued pong is
// replaced by a newer one (RFC 6455 section 5.5.3 allows answering only
// the most recent ping) and a queued ping by one with a newer id (its pong
// answers every older ping), so a peer that floods pings and never reads
// costs at most one pong frame (131 bytes) in the queue, plus the frames
// the writer has already taken.
func (c *Conn) sendControl(op ws.OpCode, p []byte) {
	c.qmu.Lock()
	frame := c.encode(op, p, true, false)
	var slot *int
	switch op {
	case ws.OpPong:
		slot = &c.pongAt
	case ws.OpPing:
		slot = &c.pingAt
	}
	if slot != nil && *slot > 0 && *slot <= len(c.queue) {
		i := *slot - 1
		if op == ws.OpPing && len(p) == 0 {
			// A keepalive ping (no id) adds nothing to a queued one.
			c.qmu.Unlock()
			return
		}
		c.queued += len(frame) - len(c.queue[i])
		c.queue[i] = frame
		c.qmu.Unlock()
		c.kick()
		return
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	if slot != nil {
		*slot = len(c.queue)
	}
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
	c.pongAt, c.pingAt = 0, 0
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
