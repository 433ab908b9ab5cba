package websocket

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/stats"
)

// Server defaults, after Bun.serve's websocket options.
const (
	DefaultIdleTimeout = 120 * time.Second
	DefaultMaxPayload  = 16 << 20
)

// ServerConfig configures a Server. The zero value is valid: no
// subprotocols, no compression, same-origin only, 16 MiB messages, 120 s
// idle timeout with server pings, 16 MiB backpressure limit (drop).
type ServerConfig struct {
	// Subprotocols the server speaks, in its own order of preference: the
	// first of these that the client offered is chosen. Default: none (a
	// client offering subprotocols gets none, as RFC 6455 allows).
	Subprotocols []string
	// Compression negotiates permessage-deflate when the client offers it,
	// with context takeover on both sides unless the client (or
	// NoContextTakeover) says otherwise. Default false, as in Bun.serve.
	Compression bool
	// NoContextTakeover makes the server reset its compressor after every
	// message (less memory per connection, worse ratio). Default false.
	NoContextTakeover bool
	// CompressionLevel is the compress/flate level 1..9. Default 5.
	CompressionLevel int
	// CompressionThreshold: shorter messages are sent uncompressed.
	// Default 32 bytes; negative compresses everything.
	CompressionThreshold int
	// AllowedOrigins lists the browser origins accepted besides the
	// server's own (on a server listening on a loopback address, the
	// server's own origin counts only under a loopback name, localhost,
	// *.localhost, 127.0.0.0/8 or ::1, against DNS rebinding): host patterns ("app.example.com", "*.example.com",
	// "localhost:*") or whole origins ("https://app.example.com"); "*"
	// allows any. Default empty: same-origin only, so cross-site WebSocket
	// hijacking is refused with 403. Requests without an Origin header
	// (non-browser clients) are always accepted.
	AllowedOrigins []string
	// MaxPayload is the largest message accepted (after decompression);
	// larger ones close the connection with 1009. Default 16 MiB.
	MaxPayload int64
	// IdleTimeout closes a connection (1001) that has sent nothing for this
	// long. Default 120 s; negative disables.
	IdleTimeout time.Duration
	// DisablePings stops the server pinging connections idle for half the
	// idle timeout. Default false (pings on, as Bun's sendPings).
	DisablePings bool
	// BackpressureLimit caps the bytes queued for one connection by Send
	// and Publish. Default 16 MiB.
	BackpressureLimit int
	// BackpressurePolicy says what happens past the limit. Default
	// BackpressureDrop: the message is refused for that connection.
	BackpressurePolicy BackpressurePolicy
	// CloseTimeout bounds how long Close waits for a peer's close frame.
	// Default 5 s.
	CloseTimeout time.Duration
	// HandshakeTimeout bounds writing the handshake response. Default 10 s.
	// Reading the request is the http.Server's job: serve through
	// NewHTTPServer, or set ReadHeaderTimeout and MaxHeaderBytes, so a
	// slow or huge handshake cannot hold a connection.
	HandshakeTimeout time.Duration
	// Header holds extra handshake response headers. Default none.
	Header http.Header
	// Upgrade, when set, runs before the upgrade (authentication, routing).
	// It returns the value Conn.Data gives back and extra response headers.
	// An error refuses the upgrade with the HTTP status of its code:
	// Unauthenticated 401, PermissionDenied 403, NotFound 404,
	// InvalidArgument 400, ResourceExhausted 429, Unavailable 503, else 500.
	Upgrade func(r *http.Request) (data any, header http.Header, err error)
	// OnOpen is called once the connection is open, before any message is
	// read: on the connection's goroutine (ServeHTTP) or on the caller's
	// before Accept returns. It may call Close or CloseWith: the close
	// frame is sent and the call returns at once, and the closing
	// handshake completes on the read loop afterwards (a connection Accept
	// returns is then already closing).
	OnOpen func(c *Conn)
	// OnMessage receives each data message on the connection's goroutine;
	// data is the callee's to keep. Nil drops messages (ServeHTTP) —
	// connections from Accept are read with Conn.Read instead.
	OnMessage func(c *Conn, typ MessageType, data []byte)
	// OnClose is called once when a connection ends, after it has left
	// every topic.
	OnClose func(c *Conn, code StatusCode, reason string)
	// OnDrain is called when a connection's send queue has been written
	// out after backing up.
	OnDrain func(c *Conn)
	// Observer receives an OpStart/OpEnd pair for every upgrade and
	// publish, and for the write, send, read, ping and close calls on
	// server connections, and connect and disconnect events. Default nil:
	// no calls, no cost.
	Observer arsenal.Observer
	// Logger receives refused upgrades (Info), ended connections (Info),
	// messages dropped at the backpressure limit and operations slower
	// than SlowThreshold (Warn). Default nil: no logs.
	Logger *slog.Logger
	// SlowThreshold: an operation that takes longer is logged at Warn.
	// Default 0: off.
	SlowThreshold time.Duration
	// Security: Policy authorizes every upgrade (op "upgrade", resource
	// the request path), Subscribe (op "subscribe") and Publish (op
	// "publish"), resource the topic, before anything is sent; a refused
	// upgrade is answered 403. The principal is the one the upgrade
	// request's context carries (security.WithPrincipal, set by an
	// authenticating middleware); Server.Publish runs as the anonymous
	// principal, PublishContext as its context's. Audit records each of
	// these calls with its outcome. TLS
	// is the server's certificate: NewServer builds it (ServerTLS), and
	// NewHTTPServer serves it (ListenAndServeTLS("", "")). Default zero:
	// every call allowed, nothing audited, as before.
	Security security.Options
	// Broker carries topics to other servers (see Broker; package wsredis
	// does it on Redis). NewServer attaches it; the caller closes it after
	// the Server. Publish then still returns this server's fan-out only;
	// Subscribers counts every server's. Messages from other servers are
	// not checked against Security again (the publishing server did).
	// Default nil: topics are in-process.
	Broker Broker
}

// Validate checks every field without I/O.
func (sc ServerConfig) Validate() error {
	v := arsenal.Validation{Component: Kind}
	seen := map[string]bool{}
	for _, p := range sc.Subprotocols {
		if !isToken(p) {
			v.Add("Subprotocols", "%q is not an HTTP token", p)
		} else if seen[p] {
			v.Add("Subprotocols", "%q is listed twice", p)
		}
		seen[p] = true
	}
	v.Check(sc.CompressionLevel >= 0 && sc.CompressionLevel <= 9, "CompressionLevel", "must be 1..9 (0 for the default)")
	for _, o := range sc.AllowedOrigins {
		if _, err := path.Match(o, ""); err != nil || o == "" {
			v.Add("AllowedOrigins", "%q is not a valid pattern", o)
		}
	}
	v.Check(sc.MaxPayload >= 0, "MaxPayload", "must not be negative")
	v.Check(sc.BackpressureLimit >= 0, "BackpressureLimit", "must not be negative")
	v.Check(sc.BackpressurePolicy == BackpressureDrop || sc.BackpressurePolicy == BackpressureClose,
		"BackpressurePolicy", "unknown policy %d", int(sc.BackpressurePolicy))
	v.Check(sc.CloseTimeout >= 0, "CloseTimeout", "must not be negative")
	v.Check(sc.HandshakeTimeout >= 0, "HandshakeTimeout", "must not be negative")
	v.Check(sc.SlowThreshold >= 0, "SlowThreshold", "must not be negative")
	return v.Err()
}

// Server upgrades HTTP requests to WebSocket connections and keeps track of
// them: counts, topics (publish/subscribe as in Bun.serve), idle timeouts
// and server pings. It is an http.Handler and an arsenal.Component, safe
// for concurrent use, and must be closed.
type Server struct {
	cfg    ServerConfig
	cbSet  connSettings // connections served by ServeHTTP (callbacks)
	rdSet  connSettings // connections returned by Accept (Read)
	rec    *stats.Recorder
	opUp   *stats.Op
	opPub  *stats.Op
	tick   atomic.Int64
	closed atomic.Bool
	secOn  bool        // cfg.Security has a policy or an audit
	tls    *tls.Config // from cfg.Security.TLS; nil when unset

	mu      sync.Mutex
	conns   map[*Conn]struct{}
	janitor chan struct{} // closed to stop the janitor; nil until started
	jdone   chan struct{}

	topicMu sync.RWMutex
	topics  map[string]map[*Conn]struct{}

	accepted, refused atomic.Uint64
	gone              ServerStats // traffic of connections already closed (under mu)
}

// NewServer validates cfg and returns a Server.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.CompressionLevel == 0 {
		cfg.CompressionLevel = DefaultCompressionLevel
	}
	if cfg.CompressionThreshold == 0 {
		cfg.CompressionThreshold = DefaultCompressionThreshold
	} else if cfg.CompressionThreshold < 0 {
		cfg.CompressionThreshold = 0
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.BackpressureLimit == 0 {
		cfg.BackpressureLimit = DefaultBackpressureLimit
	}
	if cfg.CloseTimeout == 0 {
		cfg.CloseTimeout = DefaultCloseTimeout
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	s := &Server{cfg: cfg, conns: map[*Conn]struct{}{}, topics: map[string]map[*Conn]struct{}{}}
	s.secOn = cfg.Security.Active()
	if cfg.Security.TLS != nil {
		tc, err := cfg.Security.ServerTLS()
		if err != nil {
			return nil, arsenal.Errorf(arsenal.CodeOf(err), Kind, "new server", "Security.TLS: %w", err)
		}
		s.tls = tc
	}
	s.cbSet = connSettings{
		server: true, readLimit: cfg.MaxPayload, compressMin: cfg.CompressionThreshold,
		compressLevel: cfg.CompressionLevel, bpLimit: cfg.BackpressureLimit, bpPolicy: cfg.BackpressurePolicy,
		closeTimeout: cfg.CloseTimeout, onMessage: cfg.OnMessage, onClose: cfg.OnClose, onDrain: cfg.OnDrain,
		obs: cfg.Observer, log: cfg.Logger, slow: cfg.SlowThreshold,
	}
	if s.cbSet.onMessage == nil {
		s.cbSet.onMessage = func(*Conn, MessageType, []byte) {}
	}
	s.rdSet = s.cbSet
	s.rdSet.onMessage = nil
	s.rec = stats.NewRecorder()
	s.opUp = s.rec.Op("upgrade")
	s.opPub = s.rec.Op("publish")
	s.opPub.SampleEvery(8)
	s.tick.Store(time.Now().UnixNano())
	if cfg.Broker != nil {
		if err := cfg.Broker.Attach(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ServeHTTP upgrades the request and serves the connection with the
// configured callbacks on a goroutine of its own; it returns once the
// connection is open.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := s.upgrade(w, r, &s.cbSet)
	if err != nil {
		return
	}
	go func() {
		if s.cfg.OnOpen != nil {
			c.callOpen(s.cfg.OnOpen)
		}
		c.readLoop()
	}()
}

// Accept upgrades the request and returns the connection for the caller
// to Read and Write (OnMessage is not used). On failure the HTTP response
// has been written and the error says why.
func (s *Server) Accept(w http.ResponseWriter, r *http.Request) (*Conn, error) {
	c, err := s.upgrade(w, r, &s.rdSet)
	if err != nil {
		return nil, err
	}
	if s.cfg.OnOpen != nil {
		// As in ServeHTTP: OnOpen runs before the read loop, so a Close
		// from it (or from Server.Close meanwhile) must not wait for the
		// loop to end; the loop started below completes the handshake.
		c.callOpen(s.cfg.OnOpen)
	}
	go c.readLoop()
	return c, nil
}

func httpStatusFor(code arsenal.Code) int {
	switch code {
	case arsenal.Unauthenticated:
		return http.StatusUnauthorized
	case arsenal.PermissionDenied:
		return http.StatusForbidden
	case arsenal.NotFound:
		return http.StatusNotFound
	case arsenal.InvalidArgument:
		return http.StatusBadRequest
	case arsenal.ResourceExhausted:
		return http.StatusTooManyRequests
	case arsenal.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) refuse(w http.ResponseWriter, status int, op string, msg string) error {
	s.refused.Add(1)
	http.Error(w, http.StatusText(status), status)
	return arsenal.E(statusCode(status, false), Kind, op, &HandshakeError{StatusCode: status}).WithRetry(false)
}

func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, set *connSettings) (*Conn, error) {
	if s.cfg.Observer == nil && s.cfg.Logger == nil {
		return s.doUpgrade(w, r, set)
	}
	st := arsenal.OpStart{Component: Kind, Op: "upgrade", Target: r.RemoteAddr, Resource: r.URL.Path, Time: time.Now()}
	ctx := r.Context()
	if s.cfg.Observer != nil {
		ctx = s.cfg.Observer.OpStart(ctx, st)
	}
	c, err := s.doUpgrade(w, r, set)
	if s.cfg.Observer != nil {
		s.cfg.Observer.OpEnd(ctx, st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: time.Since(st.Time)})
		if c != nil {
			arsenal.NotifyConn(ctx, s.cfg.Observer, arsenal.ConnEvent{Component: Kind, Kind: arsenal.ConnConnect, Target: c.target})
		}
	}
	if err != nil && s.cfg.Logger != nil {
		s.cfg.Logger.Info("websocket: upgrade refused", "remote", r.RemoteAddr, "path", r.URL.Path, "code", arsenal.CodeOf(err).String(), "err", err)
	}
	return c, err
}

func (s *Server) doUpgrade(w http.ResponseWriter, r *http.Request, set *connSettings) (*Conn, error) {
	start := time.Now()
	if s.closed.Load() {
		return nil, s.refuse(w, http.StatusServiceUnavailable, "upgrade", "server closed")
	}
	if s.secOn {
		return s.securedUpgrade(w, r, set, start)
	}
	return s.acceptUpgrade(w, r, set, start)
}

// acceptUpgrade checks the origin, runs the Upgrade callback and writes
// the handshake.
func (s *Server) acceptUpgrade(w http.ResponseWriter, r *http.Request, set *connSettings, start time.Time) (*Conn, error) {
	if !s.originAllowed(r) {
		return nil, s.refuse(w, http.StatusForbidden, "upgrade", "origin not allowed")
	}
	var data any
	header := s.cfg.Header
	if s.cfg.Upgrade != nil {
		d, h, err := s.cfg.Upgrade(r)
		if err != nil {
			status := httpStatusFor(arsenal.CodeOf(err))
			s.refused.Add(1)
			for k, vs := range h {
				w.Header()[k] = vs
			}
			http.Error(w, http.StatusText(status), status)
			return nil, arsenal.Wrap(Kind, "upgrade", err)
		}
		data = d
		if len(h) > 0 {
			merged := header.Clone()
			if merged == nil {
				merged = http.Header{}
			}
			for k, vs := range h {
				merged[k] = vs
			}
			header = merged
		}
	}
	chosen := s.selectSubprotocol(r)
	var comp Compression
	up := ws.HTTPUpgrader{Timeout: s.cfg.HandshakeTimeout, Header: header}
	if chosen != "" {
		up.Protocol = func(p string) bool { return p == chosen }
	}
	if s.cfg.Compression {
		up.Negotiate = func(opt httphead.Option) (httphead.Option, error) {
			if comp.Enabled || !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
				return httphead.Option{}, nil
			}
			c, resp, ok := negotiateServer(opt, s.cfg.NoContextTakeover)
			if !ok {
				return httphead.Option{}, nil
			}
			comp = c
			return resp, nil
		}
	}
	nc, rw, hs, err := up.Upgrade(r, w)
	if err != nil {
		s.refused.Add(1)
		if nc != nil {
			_ = nc.Close()
		}
		return nil, translate("upgrade", err)
	}
	var primed []byte
	if rw != nil && rw.Reader.Buffered() > 0 {
		p, _ := rw.Reader.Peek(rw.Reader.Buffered())
		primed = append([]byte(nil), p...)
	}
	c := newConn(nc, primed, set, hs.Protocol, comp)
	c.srv = s
	c.data = data
	c.target = r.RemoteAddr
	c.lastActive.Store(s.tick.Load())
	if !s.add(c) {
		_ = nc.Close()
		return nil, arsenal.Closed(Kind, "upgrade")
	}
	s.accepted.Add(1)
	s.opUp.Record(time.Since(start), nil)
	return c, nil
}

func (s *Server) selectSubprotocol(r *http.Request) string {
	if len(s.cfg.Subprotocols) == 0 {
		return ""
	}
	var offered []string
	for _, h := range r.Header.Values("Sec-Websocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if p = strings.TrimSpace(p); p != "" {
				offered = append(offered, p)
			}
		}
	}
	for _, want := range s.cfg.Subprotocols {
		for _, p := range offered {
			if p == want {
				return want
			}
		}
	}
	return ""
}

// originAllowed applies the Origin policy: no Origin (not a browser) or
// the request's own host passes; otherwise AllowedOrigins decides.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Host)
	if host == strings.ToLower(r.Host) && (!servedOnLoopback(r) || isLoopbackHost(r.Host)) {
		// Same origin. On a server bound to loopback only loopback names
		// count: a DNS-rebinding page (evil.example resolving to
		// 127.0.0.1) is same-origin by its Host header alone, and must be
		// listed in AllowedOrigins to get in.
		return true
	}
	lo := strings.ToLower(origin)
	for _, pat := range s.cfg.AllowedOrigins {
		pat = strings.ToLower(pat)
		if pat == "*" {
			return true
		}
		target := host
		if strings.Contains(pat, "://") {
			target = lo
		}
		if ok, _ := path.Match(pat, target); ok {
			return true
		}
	}
	return false
}

// servedOnLoopback reports whether r arrived on a loopback address.
func servedOnLoopback(r *http.Request) bool {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// isLoopbackHost reports whether a Host header names loopback.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Request limits NewHTTPServer sets.
const (
	// DefaultReadHeaderTimeout bounds reading a handshake request.
	DefaultReadHeaderTimeout = 10 * time.Second
	// MaxRequestHeaderBytes bounds a handshake request's headers: 64 KiB.
	MaxRequestHeaderBytes = 64 << 10
)

// NewHTTPServer returns an *http.Server for addr serving h (a Server, or
// a mux routing to one) with the limits a server facing untrusted clients
// needs: ReadHeaderTimeout DefaultReadHeaderTimeout (a slowloris
// handshake is dropped after 10 s), MaxHeaderBytes MaxRequestHeaderBytes
// (larger requests get 431) and an IdleTimeout for keep-alive HTTP
// connections. WebSocket connections, once upgraded, are bounded by the
// Server's own IdleTimeout instead.
//
// When h is a *Server whose ServerConfig.Security.TLS is set, the
// returned server's TLSConfig is the Server's (serve it with
// ListenAndServeTLS("", "") or ServeTLS(ln, "", "")).
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	hs := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		MaxHeaderBytes:    MaxRequestHeaderBytes,
		IdleTimeout:       DefaultIdleTimeout,
	}
	if s, ok := h.(*Server); ok && s != nil {
		hs.TLSConfig = s.TLSConfig()
	}
	return hs
}

func (s *Server) add(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	if s.janitor == nil && (s.cfg.IdleTimeout > 0) {
		s.janitor = make(chan struct{})
		s.jdone = make(chan struct{})
		go s.runJanitor(s.janitor, s.jdone)
	}
	return true
}

func (s *Server) remove(c *Conn) {
	s.topicMu.Lock()
	for t := range c.topics {
		if s.cfg.Broker != nil {
			s.cfg.Broker.Unsubscribe(t)
		}
		if subs := s.topics[t]; subs != nil {
			delete(subs, c)
			if len(subs) == 0 {
				delete(s.topics, t)
			}
		}
	}
	c.topics = nil
	c.removed = true
	s.topicMu.Unlock()
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.gone.MessagesIn += c.msgsIn.Load()
		s.gone.MessagesOut += c.msgsOut.Load()
		s.gone.PayloadIn += c.bytesIn.Load()
		s.gone.PayloadOut += c.bytesOut.Load()
		s.gone.BackpressureDrops += c.bpDrops.Load()
	}
	s.mu.Unlock()
}

// runJanitor enforces idle timeouts and sends server pings.
func (s *Server) runJanitor(stop, done chan struct{}) {
	defer close(done)
	idle := s.cfg.IdleTimeout
	every := min(max(idle/8, 10*time.Millisecond), 15*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	var batch []*Conn
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			s.tick.Store(now.UnixNano())
			batch = batch[:0]
			s.mu.Lock()
			for c := range s.conns {
				batch = append(batch, c)
			}
			s.mu.Unlock()
			for _, c := range batch {
				quiet := time.Duration(now.UnixNano() - c.lastActive.Load())
				switch {
				case quiet >= idle:
					c.closeIdle()
				case !s.cfg.DisablePings && quiet >= idle/2 && !c.pinged.Load():
					c.pinged.Store(true)
					c.sendControl(ws.OpPing, nil)
				}
			}
		}
	}
}

func (c *Conn) closeIdle() {
	c.setTerm(&CloseError{Code: StatusGoingAway, Reason: "idle timeout"})
	if c.closeSent.CompareAndSwap(false, true) {
		c.sendControl(ws.OpClose, ws.NewCloseFrameBody(ws.StatusGoingAway, "idle timeout"))
	}
	time.AfterFunc(100*time.Millisecond, func() { _ = c.nc.Close() })
}

// ConnectionCount returns how many connections are open.
func (s *Server) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Kind returns "websocket".
func (s *Server) Kind() string { return Kind }

// Health reports whether the server still accepts connections.
func (s *Server) Health(ctx context.Context) error {
	if s.closed.Load() {
		return arsenal.Closed(Kind, "health")
	}
	return arsenal.Wrap(Kind, "health", ctx.Err())
}

// ServerStats are a Server's typed gauges, the Detail of its Stats; the
// traffic counters cover every connection the server has had, open or
// closed.
type ServerStats struct {
	Connections       int    // open connections
	Topics            int    // topics with at least one subscriber
	UpgradesAccepted  uint64 `stat:",counter"`
	UpgradesRefused   uint64 `stat:",counter"`
	MessagesIn        uint64 `stat:",counter"`
	MessagesOut       uint64 `stat:",counter"`
	PayloadIn         uint64 `stat:"payload_bytes_in,bytes,counter"`
	PayloadOut        uint64 `stat:"payload_bytes_out,bytes,counter"`
	BackpressureDrops uint64 `stat:",counter"` // messages refused at a connection's backpressure limit
}

// DegradationRules makes ServerStats a stats.RuleSource.
func (ServerStats) DegradationRules() []stats.Rule { return DegradationRules() }

// ServerStats returns the server's counters. It does no I/O.
func (s *Server) ServerStats() ServerStats {
	s.mu.Lock()
	st := s.gone
	st.Connections = len(s.conns)
	for c := range s.conns {
		st.MessagesIn += c.msgsIn.Load()
		st.MessagesOut += c.msgsOut.Load()
		st.PayloadIn += c.bytesIn.Load()
		st.PayloadOut += c.bytesOut.Load()
		st.BackpressureDrops += c.bpDrops.Load()
	}
	s.mu.Unlock()
	s.topicMu.RLock()
	st.Topics = len(s.topics)
	s.topicMu.RUnlock()
	st.UpgradesAccepted, st.UpgradesRefused = s.accepted.Load(), s.refused.Load()
	return st
}

// Stats returns the server's operation latencies, with ServerStats as its
// Detail and Gauges.
func (s *Server) Stats() arsenal.Stats {
	ss := s.ServerStats()
	return arsenal.Stats{
		Kind: Kind, Target: "server", Connected: !s.closed.Load(), Since: s.rec.Since(),
		Ops: s.rec.Snapshot(), Gauges: stats.Gauges(ss), Detail: ss,
	}
}

// Close refuses new upgrades, closes every connection with 1001 (going
// away) in parallel, waiting up to the close timeout for their replies,
// and stops the server's goroutine. It is idempotent.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.mu.Lock()
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	stop, done := s.janitor, s.jdone
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.CloseWith(StatusGoingAway, "server shutting down")
		}()
	}
	wg.Wait()
	if stop != nil {
		close(stop)
		<-done
	}
	return nil
}

var _ arsenal.Component = (*Server)(nil)
var _ http.Handler = (*Server)(nil)
