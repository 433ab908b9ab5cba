package websocket

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
)

// readBufSize is the size of the pooled read buffer a connection borrows
// while frames arrive. An idle connection holds none.
const readBufSize = 8 << 10

// idleBufSize is the size of the buffer an idle connection reads into
// while it waits for the next frame.
const idleBufSize = 512

var readBufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// errHeaderLength is a 64-bit frame length with its top bit set.
var errHeaderLength = errors.New("websocket: frame length has its most significant bit set")

// errUnreadPayload is a frame header requested before the current frame's
// payload was read; the connection fails with 1002 rather than parse
// payload bytes as frames.
var errUnreadPayload = errors.New("websocket: frame payload left unread")

// frameReader reads WebSocket frames from a net.Conn through a pooled
// buffer that it gives back whenever it is empty at a frame boundary, so an
// idle connection costs no read buffer. It is used by one goroutine at a
// time.
type frameReader struct {
	nc   net.Conn
	bp   *[]byte // pooled buffer; nil when idle
	idle [idleBufSize]byte
	r    int
	w    int

	// The current frame.
	h       ws.Header
	left    int64 // payload bytes of the current frame not yet read
	maskPos int
	wire    atomic.Uint64 // bytes read from the wire, headers included
}

func newFrameReader(nc net.Conn, primed []byte) *frameReader {
	fr := &frameReader{nc: nc}
	if len(primed) > 0 {
		fr.acquire()
		if len(primed) > len(*fr.bp) {
			b := make([]byte, len(primed)+readBufSize)
			fr.bp = &b
		}
		fr.w = copy(*fr.bp, primed)
	}
	return fr
}

func (fr *frameReader) acquire() {
	if fr.bp == nil {
		fr.bp = readBufPool.Get().(*[]byte)
		fr.r, fr.w = 0, 0
	}
}

func (fr *frameReader) release() {
	if fr.bp != nil && fr.r == fr.w {
		if len(*fr.bp) == readBufSize {
			readBufPool.Put(fr.bp)
		}
		fr.bp = nil
		fr.r, fr.w = 0, 0
	}
}

// readIdle reads into the connection's small idle buffer and only then
// borrows a pooled one for what arrived, so an idle connection, parked in
// the runtime's poller inside Read, holds idleBufSize bytes instead of a
// whole read buffer. It goes through net.Conn.Read only: no raw system
// calls on a socket the runtime owns.
func (fr *frameReader) readIdle() error {
	n, err := fr.nc.Read(fr.idle[:])
	fr.wire.Add(uint64(n))
	if n == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	fr.acquire()
	fr.w = copy(*fr.bp, fr.idle[:n])
	return nil
}

// fill makes at least n (<= 14) bytes available in the buffer.
func (fr *frameReader) fill(n int) error {
	if fr.bp == nil {
		if err := fr.readIdle(); err != nil {
			return err
		}
	}
	buf := *fr.bp
	if fr.w-fr.r >= n {
		return nil
	}
	if fr.r > 0 && len(buf)-fr.r < n {
		fr.w = copy(buf, buf[fr.r:fr.w])
		fr.r = 0
	}
	for fr.w-fr.r < n {
		m, err := fr.nc.Read(buf[fr.w:])
		fr.w += m
		fr.wire.Add(uint64(m))
		if err != nil {
			if fr.w-fr.r >= n {
				return nil
			}
			if errors.Is(err, io.EOF) && fr.w-fr.r > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// next reads the next frame header. The payload is then read with read.
func (fr *frameReader) next() (ws.Header, error) {
	if fr.left != 0 {
		// Payload of the current frame is still unread: parsing on would
		// read it as frame headers.
		return ws.Header{}, errUnreadPayload
	}
	if fr.bp != nil && fr.r == fr.w {
		fr.release()
	}
	if err := fr.fill(2); err != nil {
		return ws.Header{}, err
	}
	buf := *fr.bp
	b0, b1 := buf[fr.r], buf[fr.r+1]
	h := ws.Header{
		Fin:    b0&0x80 != 0,
		Rsv:    (b0 >> 4) & 0x7,
		OpCode: ws.OpCode(b0 & 0x0f),
		Masked: b1&0x80 != 0,
	}
	need := 2
	l := int64(b1 & 0x7f)
	switch l {
	case 126:
		need += 2
	case 127:
		need += 8
	}
	if h.Masked {
		need += 4
	}
	if err := fr.fill(need); err != nil {
		return ws.Header{}, err
	}
	buf = *fr.bp
	p := buf[fr.r+2 : fr.r+need]
	switch l {
	case 126:
		l = int64(binary.BigEndian.Uint16(p))
		p = p[2:]
	case 127:
		u := binary.BigEndian.Uint64(p)
		if u&(1<<63) != 0 {
			return ws.Header{}, errHeaderLength
		}
		l = int64(u)
		p = p[8:]
	}
	if h.Masked {
		copy(h.Mask[:], p[:4])
	}
	h.Length = l
	fr.r += need
	fr.h = h
	fr.left = l
	fr.maskPos = 0
	return h, nil
}

// read reads payload bytes of the current frame into p, unmasking them. It
// returns io.EOF at the end of the frame's payload.
func (fr *frameReader) read(p []byte) (int, error) {
	if fr.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > fr.left {
		p = p[:fr.left]
	}
	var n int
	switch {
	case fr.bp != nil && fr.r < fr.w:
		n = copy(p, (*fr.bp)[fr.r:fr.w])
		fr.r += n
	case len(p) >= readBufSize:
		// Large reads go straight into the caller's slice.
		m, err := fr.nc.Read(p)
		fr.wire.Add(uint64(m))
		n = m
		if err != nil && m == 0 {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	default:
		if fr.bp == nil {
			fr.acquire()
		}
		buf := *fr.bp
		fr.r, fr.w = 0, 0
		m, err := fr.nc.Read(buf)
		fr.wire.Add(uint64(m))
		fr.w = m
		if m == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		n = copy(p, buf[:m])
		fr.r = n
	}
	if fr.h.Masked {
		ws.Cipher(p[:n], fr.h.Mask, fr.maskPos)
		fr.maskPos += n
	}
	fr.left -= int64(n)
	return n, nil
}

// buffered returns how many payload bytes of the current frame are
// already in the buffer.
func (fr *frameReader) buffered() int64 {
	if fr.bp == nil {
		return 0
	}
	return min(int64(fr.w-fr.r), fr.left)
}

// readFull reads exactly len(p) payload bytes of the current frame.
func (fr *frameReader) readFull(p []byte) error {
	for len(p) > 0 {
		n, err := fr.read(p)
		p = p[n:]
		if err != nil {
			if err == io.EOF && len(p) > 0 {
				return io.ErrUnexpectedEOF
			}
			if len(p) == 0 {
				return nil
			}
			return err
		}
	}
	return nil
}

// appendHeader appends the wire form of a frame header. mask is applied
// only when masked is set.
func appendHeader(dst []byte, fin bool, rsv1 bool, op ws.OpCode, length int, masked bool, mask [4]byte) []byte {
	b0 := byte(op)
	if fin {
		b0 |= 0x80
	}
	if rsv1 {
		b0 |= 0x40
	}
	var mbit byte
	if masked {
		mbit = 0x80
	}
	switch {
	case length <= 125:
		dst = append(dst, b0, mbit|byte(length))
	case length <= 0xffff:
		dst = append(dst, b0, mbit|126, byte(length>>8), byte(length))
	default:
		dst = append(dst, b0, mbit|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(length))
	}
	if masked {
		dst = append(dst, mask[:]...)
	}
	return dst
}

func (fr *frameReader) wireBytes() uint64 { return fr.wire.Load() }
