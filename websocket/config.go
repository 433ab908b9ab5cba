package websocket

import (
	"compress/flate"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

func init() {
	arsenal.Register("ws", openURL)
	arsenal.Register("wss", openURL)
}

// openURL is the opener of the ws and wss schemes.
func openURL(ctx context.Context, u *url.URL) (arsenal.Component, error) {
	cfg, err := ParseURL(u.String())
	if err != nil {
		return nil, err
	}
	c, err := Open(ctx, cfg)
	if err != nil {
		// A nil interface, not an interface holding a nil *Conn.
		return nil, err
	}
	return c, nil
}

// Defaults, as Bun's client and Bun.serve use them where Bun has one.
const (
	DefaultHandshakeTimeout     = 10 * time.Second
	DefaultReadLimit            = 16 << 20 // 16 MiB, Bun's maxPayloadLength
	DefaultPingInterval         = 30 * time.Second
	DefaultPongTimeout          = 15 * time.Second
	DefaultCloseTimeout         = 5 * time.Second
	DefaultBackpressureLimit    = 16 << 20 // 16 MiB, Bun's backpressureLimit
	DefaultCompressionLevel     = 5
	DefaultCompressionThreshold = 32
)

// Options are the client settings for Dial. The zero value is valid and
// means every default below.
type Options struct {
	// Subprotocols are offered in preference order; the server picks one,
	// reported by Conn.Subprotocol. Default: none.
	Subprotocols []string
	// Header holds extra handshake request headers (Authorization, Cookie,
	// Origin, ...). The WebSocket headers themselves are not allowed.
	// Userinfo in the URL becomes a Basic Authorization header unless
	// Header has one.
	Header http.Header
	// DisableCompression stops offering permessage-deflate. Default false:
	// compression is offered (as Bun's client does) with context takeover.
	DisableCompression bool
	// NoContextTakeover asks both sides to reset their compressor after
	// every message: less memory per connection (no 32 KiB window kept, no
	// compressor of about 1 MiB kept by a compressing sender), worse ratio
	// on small messages. Default false.
	NoContextTakeover bool
	// CompressionLevel is the compress/flate level, 1 (fastest) to 9
	// (smallest). Default 5.
	CompressionLevel int
	// CompressionThreshold: messages shorter than this many bytes are sent
	// uncompressed. Default 32; negative means compress everything.
	CompressionThreshold int
	// TLSConfig is used for wss:// URLs; nil means the system roots and
	// the URL's host name. Default nil.
	TLSConfig *tls.Config
	// InsecureSkipVerify turns off certificate checks for wss:// (tests
	// only). Default false.
	InsecureSkipVerify bool
	// Proxy is an HTTP CONNECT proxy URL, http://[user:password@]host:port;
	// the userinfo becomes Proxy-Authorization: Basic. Default: none (the
	// environment's HTTPS_PROXY is not consulted).
	Proxy string
	// HandshakeTimeout bounds TCP connect, proxy CONNECT, TLS and the
	// upgrade together, and separately the Security.Credentials call.
	// Default 10 s.
	HandshakeTimeout time.Duration
	// ReadLimit is the largest message accepted, after decompression; a
	// larger one closes the connection with 1009. Default 16 MiB.
	ReadLimit int64
	// PingInterval: when nothing has arrived for this long, a keepalive
	// ping is sent. Default 30 s; negative disables keepalive.
	PingInterval time.Duration
	// PongTimeout: when nothing (not even the pong) arrives within this
	// long after a keepalive ping, the connection is dropped as dead
	// (DeadlineExceeded). Default 15 s.
	PongTimeout time.Duration
	// CloseTimeout bounds how long Close waits for the peer's close frame.
	// Default 5 s.
	CloseTimeout time.Duration
	// BackpressureLimit caps the bytes Send may leave queued. Default 16 MiB.
	BackpressureLimit int
	// BackpressurePolicy says what Send does past the limit. Default
	// BackpressureDrop.
	BackpressurePolicy BackpressurePolicy
	// OnMessage, when set, receives every data message on the connection's
	// read goroutine (data is the callee's to keep) and Read is not
	// available. Default nil: use Read or Reader.
	OnMessage func(c *Conn, typ MessageType, data []byte)
	// OnClose, when set, is called once when the connection ends, with the
	// close code and reason (1006 when none was received).
	OnClose func(c *Conn, code StatusCode, reason string)
	// Observer receives an OpStart/OpEnd pair for every dial, write, send,
	// read, ping and close, and connection events (connect, disconnect,
	// dial error). Default nil: no calls, no cost.
	Observer arsenal.Observer
	// Logger receives what an operator needs: disconnects (Info), dial
	// failures and operations slower than SlowThreshold (Warn), and the
	// warning that TLS verification is off. Targets are redacted. Default
	// nil: no logs, except the TLS warning, which goes to slog.Default().
	Logger *slog.Logger
	// SlowThreshold: a write, read or ping that takes longer is logged at
	// Warn. Default 0: off.
	SlowThreshold time.Duration
	// Security: Policy authorizes every dial (op "dial", resource the
	// redacted URL) before any I/O under the principal of the dial's
	// context, Audit records it, TLS replaces TLSConfig and
	// InsecureSkipVerify for wss://, and Credentials supplies the
	// Authorization header on every dial and reconnect (Basic with a User,
	// Bearer without). Default zero: none of it, as before.
	Security security.Options
}

// Config is a client connection's configuration: the URL and the Options.
// arsenal.Open("ws://...") builds one with ParseURL.
type Config struct {
	// URL is the ws:// or wss:// URL to dial. Required.
	URL string
	Options
}

var reservedHeaders = []string{"Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version",
	"Sec-Websocket-Extensions", "Sec-Websocket-Protocol", "Sec-Websocket-Accept"}

// Validate checks every field without any I/O and returns an
// InvalidArgument error naming each bad one.
func (c Config) Validate() error {
	v := arsenal.Validation{Component: Kind}
	if c.URL == "" {
		v.Add("URL", "is required")
	} else if u, err := url.Parse(c.URL); err != nil {
		v.Add("URL", "cannot be parsed: %s", arsenal.RedactURL(c.URL))
	} else {
		s := strings.ToLower(u.Scheme)
		v.Check(s == "ws" || s == "wss", "URL", "scheme must be ws or wss, not %q", u.Scheme)
		v.Check(u.Host != "", "URL", "has no host")
		if u.Host != "" {
			checkHost(&v, u)
		}
		v.Check(u.Fragment == "", "URL", "must not have a fragment (RFC 6455 section 3)")
	}
	c.Options.validate(&v)
	return v.Err()
}

func (o *Options) validate(v *arsenal.Validation) {
	seen := map[string]bool{}
	for _, p := range o.Subprotocols {
		if !isToken(p) {
			v.Add("Subprotocols", "%q is not an HTTP token", p)
		} else if seen[p] {
			v.Add("Subprotocols", "%q is listed twice", p)
		}
		seen[p] = true
	}
	for k := range o.Header {
		for _, r := range reservedHeaders {
			if http.CanonicalHeaderKey(k) == r {
				v.Add("Header", "%s is set by the handshake and cannot be given", r)
			}
		}
	}
	v.Check(o.CompressionLevel == 0 || (o.CompressionLevel >= flate.BestSpeed && o.CompressionLevel <= flate.BestCompression),
		"CompressionLevel", "must be 1..9 (0 for the default), got %d", o.CompressionLevel)
	if o.Proxy != "" {
		pu, err := url.Parse(o.Proxy)
		switch {
		case err != nil:
			v.Add("Proxy", "cannot be parsed: %s", arsenal.RedactURL(o.Proxy))
		case pu.Scheme != "http":
			v.Add("Proxy", "scheme must be http (an HTTP CONNECT proxy), not %q", pu.Scheme)
		case pu.Host == "":
			v.Add("Proxy", "has no host")
		}
	}
	v.Check(o.HandshakeTimeout >= 0, "HandshakeTimeout", "must not be negative")
	v.Check(o.ReadLimit >= 0, "ReadLimit", "must not be negative")
	v.Check(o.PongTimeout >= 0, "PongTimeout", "must not be negative")
	v.Check(o.CloseTimeout >= 0, "CloseTimeout", "must not be negative")
	v.Check(o.BackpressureLimit >= 0, "BackpressureLimit", "must not be negative")
	v.Check(o.SlowThreshold >= 0, "SlowThreshold", "must not be negative")
	v.Check(o.BackpressurePolicy == BackpressureDrop || o.BackpressurePolicy == BackpressureClose,
		"BackpressurePolicy", "unknown policy %d", int(o.BackpressurePolicy))
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.CompressionLevel == 0 {
		o.CompressionLevel = DefaultCompressionLevel
	}
	if o.CompressionThreshold == 0 {
		o.CompressionThreshold = DefaultCompressionThreshold
	} else if o.CompressionThreshold < 0 {
		o.CompressionThreshold = 0
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.ReadLimit == 0 {
		o.ReadLimit = DefaultReadLimit
	}
	if o.PingInterval == 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PongTimeout == 0 {
		o.PongTimeout = DefaultPongTimeout
	}
	if o.CloseTimeout == 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	if o.BackpressureLimit == 0 {
		o.BackpressureLimit = DefaultBackpressureLimit
	}
	return o
}

// URL query parameters ParseURL understands; they are removed from the
// URL that is dialled. An application parameter with one of these names
// must be set through Config instead.
var urlParams = []string{"subprotocols", "compression", "compression_level", "handshake_timeout",
	"read_limit", "ping_interval", "pong_timeout", "proxy", "insecure_skip_verify"}

// ParseURL builds a Config from a ws:// or wss:// URL. Options come from
// query parameters, removed from the dialled URL:
//
//	subprotocols=chat,superchat  compression=false  compression_level=1..9
//	handshake_timeout=5s  read_limit=1048576  ping_interval=30s (0 or "off" disables)
//	pong_timeout=15s  proxy=http://user:pass@host:port  insecure_skip_verify=true
//
// Errors never echo passwords.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "parse", "cannot parse URL %s", arsenal.RedactURL(raw))
	}
	var cfg Config
	v := arsenal.Validation{Component: Kind}
	q := u.Query()
	for _, name := range urlParams {
		if !q.Has(name) {
			continue
		}
		val := q.Get(name)
		q.Del(name)
		switch name {
		case "subprotocols":
			for _, p := range strings.Split(val, ",") {
				if p = strings.TrimSpace(p); p != "" {
					cfg.Subprotocols = append(cfg.Subprotocols, p)
				}
			}
		case "compression":
			b, err := strconv.ParseBool(val)
			v.Check(err == nil, "DisableCompression", "compression=%q is not a boolean", val)
			cfg.DisableCompression = !b
		case "compression_level":
			n, err := strconv.Atoi(val)
			v.Check(err == nil, "CompressionLevel", "compression_level=%q is not a number", val)
			cfg.CompressionLevel = n
		case "handshake_timeout":
			d, err := time.ParseDuration(val)
			v.Check(err == nil, "HandshakeTimeout", "handshake_timeout=%q is not a duration", val)
			cfg.HandshakeTimeout = d
		case "read_limit":
			n, err := strconv.ParseInt(val, 10, 64)
			v.Check(err == nil, "ReadLimit", "read_limit=%q is not a number", val)
			cfg.ReadLimit = n
		case "ping_interval":
			if val == "off" || val == "0" {
				cfg.PingInterval = -1
				break
			}
			d, err := time.ParseDuration(val)
			v.Check(err == nil, "PingInterval", "ping_interval=%q is not a duration", val)
			cfg.PingInterval = d
		case "pong_timeout":
			d, err := time.ParseDuration(val)
			v.Check(err == nil, "PongTimeout", "pong_timeout=%q is not a duration", val)
			cfg.PongTimeout = d
		case "proxy":
			cfg.Proxy = val
		case "insecure_skip_verify":
			b, err := strconv.ParseBool(val)
			v.Check(err == nil, "InsecureSkipVerify", "insecure_skip_verify=%q is not a boolean", val)
			cfg.InsecureSkipVerify = b
		}
	}
	u.RawQuery = q.Encode()
	cfg.URL = u.String()
	if err := v.Err(); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Open validates cfg and dials it: the returned connection is the
// Component (Health pings; Close runs the closing handshake).
func Open(ctx context.Context, cfg Config) (*Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return dial(ctx, cfg.URL, cfg.Options)
}

func configError(err error) *arsenal.ConfigError {
	var ce *arsenal.ConfigError
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}

// checkHost refuses a port outside 1..65535 and a host name that is not
// plain ASCII (a U+202E or other bidi control, or any non-ASCII letter,
// can make a URL read as another host; IDNs must be given in their
// punycode form, xn--...).
func checkHost(v *arsenal.Validation, u *url.URL) {
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		v.Check(err == nil && n >= 1 && n <= 65535, "URL", "port %q is not in 1..65535", p)
	} else if strings.HasSuffix(u.Host, ":") {
		v.Add("URL", "has an empty port")
	}
	host := u.Hostname()
	v.Check(host != "", "URL", "has no host name")
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c >= 0x80 || c <= ' ' || c == 0x7f {
			v.Add("URL", "host name %q is not plain ASCII (give an international name in its xn-- form)", strconv.QuoteToASCII(host))
			return
		}
	}
}
