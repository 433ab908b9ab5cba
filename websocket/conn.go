package websocket

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

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
	obs           arsenal.Observer // nil: no events
	log           *slog.Logger     // nil: no logs
	slow          time.Duration    // slow-operation log threshold; 0: off
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
	secCtx   context.Context // server side, with Security active: the upgrade's principal
	rec      *stats.Recorder
	opWrite  *stats.Op // rec's "write", kept to skip the lookup per message
	opSend   *stats.Op // rec's "send"
	opRead   *stats.Op // rec's "read"
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
	pongAt   int // 1 + the index in queue of the queued pong; 0 when none
	pingAt   int // likewise for a queued ping
	data     any
	topics   map[string]struct{} // guarded by srv.topicMu
	removed  bool                // the connection has left srv; guarded by srv.topicMu
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
	inCallback atomic.Bool // the read loop is running a user callback
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

var _ arsenal.Component = (*Conn)(nil)
var _ arsenal.Describer = (*Conn)(nil)
