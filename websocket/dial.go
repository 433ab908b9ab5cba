package websocket

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// Dial opens a client connection to a ws:// or wss:// URL. opts may be
// nil for every default: permessage-deflate offered, 10 s handshake
// timeout, 16 MiB read limit, keepalive pings every 30 s of silence.
//
// A refused handshake is a coded error wrapping *HandshakeError (401 ->
// Unauthenticated, 403 -> PermissionDenied, 404 -> NotFound); a refused or
// reset connection is Unavailable; a timeout is DeadlineExceeded. Dial
// costs one TCP connect (plus TLS and proxy round trips) and one HTTP
// round trip; the returned Conn owns one goroutine until it is closed.
func Dial(ctx context.Context, rawURL string, opts *Options) (*Conn, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	cfg := Config{URL: rawURL, Options: o}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return dial(ctx, rawURL, o)
}

// dial dials with the observer's dial events and logs.
func dial(ctx context.Context, rawURL string, o Options) (*Conn, error) {
	target := arsenal.RedactURL(rawURL)
	return observeDial(ctx, target, o, func(ctx context.Context) (*Conn, error) {
		if o.usesSecurity() {
			return secureDial(ctx, rawURL, target, o)
		}
		return dialConn(ctx, rawURL, o)
	})
}

func dialConn(ctx context.Context, rawURL string, o Options) (*Conn, error) {
	o = o.withDefaults()
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, arsenal.Wrap(Kind, "dial", err)
	}
	u, _ := url.Parse(rawURL) // validated
	u.Scheme = strings.ToLower(u.Scheme)
	header := http.Header{}
	for k, vs := range o.Header {
		header[http.CanonicalHeaderKey(k)] = vs
	}
	if u.User != nil {
		if header.Get("Authorization") == "" {
			pw, _ := u.User.Password()
			header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
		}
		u.User = nil
	}
	resp := http.Header{}
	lines := 0
	var hc *handshakeConn
	var status *HandshakeError
	d := ws.Dialer{
		Timeout:   o.HandshakeTimeout,
		Protocols: o.Subprotocols,
		Header:    ws.HandshakeHeaderHTTP(header),
		OnHeader: func(k, v []byte) error {
			if lines++; lines > MaxHandshakeHeaderLines {
				return arsenal.Errorf(arsenal.ResourceExhausted, Kind, "dial",
					"handshake response has more than %d header lines", MaxHandshakeHeaderLines).WithRetry(false)
			}
			resp.Add(string(k), string(v))
			return nil
		},
		WrapConn: func(nc net.Conn) net.Conn {
			if nc == nil { // the dial failed (gobwas wraps it anyway)
				return nil
			}
			hc = &handshakeConn{Conn: nc, left: MaxHandshakeHeaderBytes}
			return hc
		},
		OnStatusError: func(code int, _ []byte, r io.Reader) {
			status = &HandshakeError{StatusCode: code}
			tp := textproto.NewReader(bufio.NewReader(io.LimitReader(r, 64<<10)))
			if _, err := tp.ReadLine(); err == nil {
				if h, err := tp.ReadMIMEHeader(); err == nil || len(h) > 0 {
					status.Header = http.Header(h)
				}
			}
		},
	}
	if o.InsecureSkipVerify && u.Scheme == "wss" {
		lg := o.Logger
		if lg == nil {
			lg = slog.Default()
		}
		lg.Warn("websocket: TLS certificate verification is off (InsecureSkipVerify / insecure_skip_verify): anyone on the path can read and change this connection",
			"target", arsenal.RedactURL(rawURL))
	}
	if o.TLSConfig != nil || o.InsecureSkipVerify {
		tc := &tls.Config{}
		if o.TLSConfig != nil {
			tc = o.TLSConfig.Clone()
		}
		if o.InsecureSkipVerify {
			tc.InsecureSkipVerify = true
		}
		d.TLSConfig = tc
	}
	if !o.DisableCompression {
		p := wsflate.Parameters{
			ClientMaxWindowBits:     1, // "client_max_window_bits": we can honour a limit
			ClientNoContextTakeover: o.NoContextTakeover,
			ServerNoContextTakeover: o.NoContextTakeover,
		}
		d.Extensions = []httphead.Option{p.Option()}
	}
	if o.Proxy != "" {
		pu, _ := url.Parse(o.Proxy) // validated
		d.NetDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialProxy(ctx, pu, addr)
		}
	}
	nc, br, hs, err := d.Dial(ctx, u.String())
	if err != nil {
		if nc != nil {
			_ = nc.Close()
		}
		var he *HandshakeError
		if status != nil {
			err = status
		} else if errors.As(err, &he) {
			err = he
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, translate("dial", err)
	}
	if hc != nil {
		// The handshake is read: frames go to the socket unmetered.
		nc = hc.Conn
	}
	var primed []byte
	if br != nil {
		if n := br.Buffered(); n > 0 {
			p, _ := br.Peek(n)
			primed = append([]byte(nil), p...)
		}
		ws.PutReader(br)
	}
	var comp Compression
	for _, ext := range hs.Extensions {
		if string(ext.Name) != wsflate.ExtensionName {
			continue
		}
		var p wsflate.Parameters
		if err := p.Parse(ext); err != nil || o.DisableCompression || p.ClientMaxWindowBits == 1 {
			_ = nc.Close()
			return nil, arsenal.Errorf(arsenal.Unimplemented, Kind, "dial", "server answered with unusable permessage-deflate parameters %q", string(ext.Parameters.String()))
		}
		comp = compressionFrom(p)
	}
	set := &connSettings{
		readLimit:     o.ReadLimit,
		compressMin:   o.CompressionThreshold,
		compressLevel: o.CompressionLevel,
		bpLimit:       o.BackpressureLimit,
		bpPolicy:      o.BackpressurePolicy,
		closeTimeout:  o.CloseTimeout,
		onMessage:     o.OnMessage,
		onClose:       o.OnClose,
		obs:           o.Observer,
		log:           o.Logger,
		slow:          o.SlowThreshold,
	}
	c := newConn(nc, primed, set, hs.Protocol, comp)
	c.header = resp
	c.target = arsenal.RedactURL(rawURL)
	c.rec = stats.NewRecorder()
	// A message write takes microseconds: time 1 in 8 after the first 1024.
	c.opWrite = c.rec.Op("write")
	c.opWrite.SampleEvery(8)
	c.opSend = c.rec.Op("send")
	c.opSend.SampleEvery(8)
	c.opRead = c.rec.Op("read")
	c.opRead.SampleEvery(8)
	c.dialTime = time.Since(start)
	go c.readLoop()
	if o.PingInterval > 0 {
		c.startKeepalive(o.PingInterval, o.PongTimeout)
	}
	return c, nil
}

// dialProxy opens a tunnel to addr through an HTTP CONNECT proxy.
func dialProxy(ctx context.Context, proxy *url.URL, addr string) (net.Conn, error) {
	host := proxy.Host
	if proxy.Port() == "" {
		host = net.JoinHostPort(proxy.Hostname(), "80")
	}
	var nd net.Dialer
	pc, err := nd.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		_ = pc.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = pc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var b strings.Builder
	b.WriteString("CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n")
	if proxy.User != nil {
		pw, _ := proxy.User.Password()
		b.WriteString("Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(proxy.User.Username()+":"+pw)) + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(pc, b.String()); err != nil {
		_ = pc.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(pc, 1024)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_ = pc.Close()
		return nil, &HandshakeError{StatusCode: resp.StatusCode, Header: resp.Header, Proxy: true}
	}
	_ = pc.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		p, _ := br.Peek(br.Buffered())
		return &prefixConn{Conn: pc, prefix: append([]byte(nil), p...)}, nil
	}
	return pc, nil
}

// prefixConn replays bytes a proxy sent along with its 200 response.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// Limits on a server's handshake response, which a hostile server could
// otherwise make as large as it likes until the handshake timeout.
const (
	// MaxHandshakeHeaderBytes bounds the bytes read for the handshake
	// response (status line and headers), as net/http's
	// DefaultMaxHeaderBytes bounds a request's: 1 MiB.
	MaxHandshakeHeaderBytes = 1 << 20
	// MaxHandshakeHeaderLines bounds the response's header lines: 1000.
	MaxHandshakeHeaderLines = 1000
)

// handshakeConn meters what the handshake reads: past
// MaxHandshakeHeaderBytes the read fails with ResourceExhausted. dial
// unwraps it once the response is read.
type handshakeConn struct {
	net.Conn
	left int
}

func (h *handshakeConn) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, arsenal.Errorf(arsenal.ResourceExhausted, Kind, "dial",
			"handshake response is larger than %d bytes", MaxHandshakeHeaderBytes).WithRetry(false)
	}
	if len(p) > h.left {
		p = p[:h.left]
	}
	n, err := h.Conn.Read(p)
	h.left -= n
	return n, err
}
