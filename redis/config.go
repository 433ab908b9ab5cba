package redis

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// Kind is the component kind every Client reports.
const Kind = "redis"

// Defaults applied by Open to zero-valued Config fields.
const (
	DefaultAddr                = "localhost:6379"
	DefaultConnectTimeout      = 10 * time.Second
	DefaultReconnectBackoffMin = 50 * time.Millisecond
	DefaultReconnectBackoffMax = 2 * time.Second
	DefaultMaxRetries          = 10
	DefaultClientName          = "arsenal"
	DefaultCacheSizeEachConn   = 64 << 20
	DefaultCommandTimeout      = 5 * time.Second
	maxPipelineConns           = 256
)

// Pipelining defaults, chosen with benchmarks/redis on a 2-core machine.
const (
	DefaultPipelineConns               = 1
	DefaultMaxFlushDelay time.Duration = 0
)

// Mode says what kind of deployment a Config points at.
type Mode string

// The deployment modes.
const (
	ModeAuto       Mode = ""           // standalone, or cluster when the server has cluster mode on
	ModeStandalone Mode = "standalone" // one server (plus optional ReplicaAddrs); never a cluster
	ModeCluster    Mode = "cluster"    // Redis Cluster: Addrs are seed nodes
	ModeSentinel   Mode = "sentinel"   // Addrs are sentinels watching SentinelMaster
)

// Config configures a Client. The zero value is usable: every zero field
// takes the default its comment states. DefaultConfig reads the address from
// the environment instead (REDIS_URL, then VALKEY_URL).
type Config struct {
	// Addrs are host:port addresses: the server, cluster seed nodes, or the
	// sentinels (ModeSentinel). Default ["localhost:6379"]. Ignored when
	// UnixSocket is set.
	Addrs []string
	// UnixSocket is the path of a Unix domain socket to dial instead of TCP.
	UnixSocket string
	// Username and Password authenticate with AUTH (ACL user "default" when
	// Username is empty). Password is a security.Secret: printing or
	// logging a Config (%v, %+v, %#v, slog, JSON) shows it redacted.
	Username string
	Password security.Secret
	// DB is the database SELECTed on every connection. Default 0; must be 0
	// in cluster mode.
	DB int
	// ClientName is sent with CLIENT SETNAME. Default "arsenal".
	ClientName string

	// TLS turns on TLS with TLSConfig (or a default config verifying the
	// server's certificate against the system roots).
	TLS bool
	// TLSConfig is the TLS configuration; setting it implies TLS. Default nil.
	TLSConfig *tls.Config
	// TLSInsecureSkipVerify skips certificate verification (tests only).
	// Open logs a warning when it is set, to Logger or else slog.Default().
	TLSInsecureSkipVerify bool

	// ConnectTimeout bounds each dial and handshake. Default 10 s.
	ConnectTimeout time.Duration
	// CommandTimeout bounds a call whose context has no deadline: the
	// whole call, its wait in the offline queue while disconnected
	// included, ends after this long (Unavailable while the client was
	// still disconnected, DeadlineExceeded once the command was sent;
	// under a context that is never cancelled, a command sent ends up to
	// a sixteenth of CommandTimeout later, see the package doc).
	// A context deadline, shorter or longer, takes precedence, and
	// blocking commands (BLPop, XRead with Block ...) are bounded by their
	// own timeout and context only. Default 5 s; a negative value means no
	// bound other than the context. See the package doc, "Outages".
	CommandTimeout time.Duration
	// IdleTimeout closes connections of the dedicated/blocking pool (used by
	// blocking commands, transactions and pub/sub) idle for longer than
	// this. The shared pipelined connections are never idle-closed. Default
	// 0: never.
	IdleTimeout time.Duration

	// DisableAutoReconnect turns automatic reconnection off: after a
	// disconnect every call fails with Unavailable. Default false (the client
	// reconnects with capped exponential backoff).
	DisableAutoReconnect bool
	// ReconnectBackoffMin is the first reconnect delay; it doubles after each
	// failed attempt. Default 50 ms.
	ReconnectBackoffMin time.Duration
	// ReconnectBackoffMax caps the reconnect delay. Default 2 s.
	ReconnectBackoffMax time.Duration
	// MaxRetries is how many reconnect attempts a call waits through while
	// the client is disconnected (with the offline queue on), and how many
	// times read-only commands are retried after network errors. Default 10;
	// a negative value means no limit other than the call's context.
	MaxRetries int
	// DisableOfflineQueue makes calls fail fast with Unavailable while the
	// client is disconnected, instead of waiting for the reconnection.
	// Default false (calls wait, bounded by their context and MaxRetries).
	DisableOfflineQueue bool
	// DisableAutoPipelining sends each call on a pooled connection of its
	// own instead of pipelining concurrent calls on shared connections.
	// Default false.
	DisableAutoPipelining bool
	// PipelineConns is the number of shared pipelined connections per
	// server, a power of two from 1 to 256. Fewer connections carry bigger
	// batches (fewer system calls per command); more spread the load over
	// server threads. Default DefaultPipelineConns.
	PipelineConns int
	// MaxFlushDelay lets the pipeline writer wait up to this long to batch
	// more commands per write (less CPU, more latency). Default
	// DefaultMaxFlushDelay (none); a negative value means no delay. The
	// wait is a timer sleep, which overshoots on a loaded machine: on 2
	// cores 20µs raised 64-caller GET throughput about 1.2-1.8x over no
	// delay but cut 4-caller throughput to a fifth or less, while the
	// writer's yield under heavy concurrency (see the package doc) gains
	// as much at 64 callers without that cost.
	MaxFlushDelay time.Duration

	// DisableCache turns client-side caching (CLIENT TRACKING, used by the
	// Cached* methods) off. Default false; servers without CLIENT TRACKING
	// are detected at Open and run without caching.
	DisableCache bool
	// CacheSizeEachConn is the client-side cache size per connection, in
	// bytes. Default 64 MiB.
	CacheSizeEachConn int

	// MaxReplyBytes caps what one reply from the server may declare (its
	// strings' lengths plus 40 bytes per array, set or map element, which
	// is what the client allocates before the data arrives). A reply over
	// it fails the connection with ResourceExhausted before anything is
	// allocated. Default DefaultMaxReplyBytes (512 MiB, Redis's own
	// proto-max-bulk-len); a negative value turns the size check off (the
	// framing checks of the package doc's "Hostile servers" stay on).
	MaxReplyBytes int64

	// Observer receives an OpStart/OpEnd pair for every call and, when it
	// is an arsenal.ConnObserver, the connection events. Default nil: no
	// hooks, no cost.
	Observer arsenal.Observer
	// Logger receives operators' logs: disconnects and reconnects (Warn,
	// Info), calls slower than SlowThreshold (Warn), refused replies and
	// TLS verification turned off (Warn). Targets are redacted, secrets
	// never logged. Default nil: no logs.
	Logger *slog.Logger
	// SlowThreshold makes calls that take longer than this a Warn log
	// (with Logger). Default 0: off.
	SlowThreshold time.Duration

	// Security authorizes and audits every call and can supply the TLS
	// configuration and the credentials. Security.Policy is checked before
	// any I/O, command by command: the operation is the command's name in
	// lower case ("get", "del", "flushall"; "script load", "config set"
	// for container commands) and the resource each key the command names
	// (all must be allowed), its channels for Publish and the
	// subscriptions, or "" for commands without keys (FLUSHALL, PING,
	// KEYS, SCAN ...). A denied call is PermissionDenied naming the rule,
	// counted in Stats and reported to the Observer, and never reaches the
	// server. Security.Audit records every call (and every denial) with
	// its outcome and code. Security.TLS, when set, builds the TLS
	// configuration in place of TLS, TLSConfig and TLSInsecureSkipVerify
	// (and turns TLS on); Security.Credentials, when set, is asked for the
	// user and password on every connection in place of Username and
	// Password. Default: the zero Options, which changes nothing.
	Security security.Options

	// Mode selects standalone, cluster or sentinel. Default ModeAuto.
	Mode Mode
	// SentinelMaster is the master set name sentinels watch; required in
	// ModeSentinel.
	SentinelMaster string
	// SentinelUsername and SentinelPassword authenticate with the sentinels
	// (SentinelPassword redacted like Password).
	SentinelUsername string
	SentinelPassword security.Secret
	// ReplicaAddrs are read replicas of a standalone primary; read-only
	// commands go to them when ReadFromReplicas is set.
	ReplicaAddrs []string
	// ReadFromReplicas sends read-only commands to replicas (cluster,
	// sentinel, or ReplicaAddrs). Default false.
	ReadFromReplicas bool
	// ReplicaOnly connects to replicas only (read-only client).
	ReplicaOnly bool
	// ClusterRefreshInterval rescans the cluster (or sentinel) topology
	// periodically in addition to reacting to MOVED and failover events.
	// Default 0: no periodic scan for clusters, 5 s for sentinels.
	ClusterRefreshInterval time.Duration
}

// DefaultConfig returns the Config for the environment: ParseURL of
// REDIS_URL, else of VALKEY_URL, else of redis://localhost:6379.
func DefaultConfig() (Config, error) { return ParseURL("") }

// EnvURL returns the URL DefaultConfig uses: REDIS_URL, then VALKEY_URL,
// then redis://localhost:6379.
func EnvURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	if u := os.Getenv("VALKEY_URL"); u != "" {
		return u
	}
	return "redis://" + DefaultAddr
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if len(c.Addrs) == 0 && c.UnixSocket == "" {
		c.Addrs = []string{DefaultAddr}
	}
	if c.ClientName == "" {
		c.ClientName = DefaultClientName
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ReconnectBackoffMin == 0 {
		c.ReconnectBackoffMin = DefaultReconnectBackoffMin
	}
	if c.ReconnectBackoffMax == 0 {
		c.ReconnectBackoffMax = max(DefaultReconnectBackoffMax, c.ReconnectBackoffMin)
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.CommandTimeout == 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if c.PipelineConns == 0 {
		c.PipelineConns = DefaultPipelineConns
	}
	if c.MaxFlushDelay == 0 {
		c.MaxFlushDelay = DefaultMaxFlushDelay
	}
	if c.MaxFlushDelay < 0 {
		c.MaxFlushDelay = 0
	}
	if c.CacheSizeEachConn == 0 {
		c.CacheSizeEachConn = DefaultCacheSizeEachConn
	}
	if c.MaxReplyBytes == 0 {
		c.MaxReplyBytes = DefaultMaxReplyBytes
	}
	if c.TLSConfig != nil || c.Security.TLS != nil {
		c.TLS = true
	}
	if c.Mode == ModeSentinel && c.ClusterRefreshInterval == 0 {
		c.ClusterRefreshInterval = 5 * time.Second
	}
	return c
}

// Validate checks the configuration without any I/O and reports every bad
// field at once, as an InvalidArgument *arsenal.Error wrapping an
// *arsenal.ConfigError. Zero fields are valid (they take defaults).
func (c Config) Validate() error {
	v := arsenal.Validation{Component: Kind}
	for i, a := range c.Addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			v.Add("Addrs", "entry %d %q is not host:port", i, a)
			continue
		}
		if !plainHost(host) {
			v.Add("Addrs", "entry %d %+q has a host with characters outside printable ASCII (use the punycode form of an international name)", i, a)
			continue
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			v.Add("Addrs", "entry %d %q has an invalid port", i, a)
		}
	}
	for i, a := range c.ReplicaAddrs {
		host, _, err := net.SplitHostPort(a)
		switch {
		case err != nil:
			v.Add("ReplicaAddrs", "entry %d %q is not host:port", i, a)
		case !plainHost(host):
			v.Add("ReplicaAddrs", "entry %d %+q has a host with characters outside printable ASCII", i, a)
		}
	}
	if c.UnixSocket != "" && len(c.Addrs) > 0 {
		v.Add("UnixSocket", "set together with Addrs; use one")
	}
	if c.UnixSocket != "" && (c.Mode == ModeCluster || c.Mode == ModeSentinel) {
		v.Add("UnixSocket", "cannot be used in %s mode", c.Mode)
	}
	v.Check(c.DB >= 0, "DB", "must not be negative (got %d)", c.DB)
	v.Check(c.DB == 0 || c.Mode != ModeCluster, "DB", "must be 0 in cluster mode (got %d)", c.DB)
	v.Check(len(c.ClientName) <= 128 && !strings.ContainsAny(c.ClientName, " \r\n"), "ClientName", "must be at most 128 characters without spaces or newlines")
	v.Check(c.ConnectTimeout >= 0, "ConnectTimeout", "must not be negative")
	v.Check(c.IdleTimeout >= 0, "IdleTimeout", "must not be negative")
	v.Check(c.ReconnectBackoffMin >= 0, "ReconnectBackoffMin", "must not be negative")
	v.Check(c.ReconnectBackoffMax >= 0, "ReconnectBackoffMax", "must not be negative")
	if c.ReconnectBackoffMin > 0 && c.ReconnectBackoffMax > 0 && c.ReconnectBackoffMax < c.ReconnectBackoffMin {
		v.Add("ReconnectBackoffMax", "must be at least ReconnectBackoffMin (%s)", c.ReconnectBackoffMin)
	}
	v.Check(c.PipelineConns >= 0 && c.PipelineConns <= maxPipelineConns && c.PipelineConns&(c.PipelineConns-1) == 0,
		"PipelineConns", "must be a power of two from 1 to %d (got %d)", maxPipelineConns, c.PipelineConns)
	v.Check(c.MaxFlushDelay <= time.Second, "MaxFlushDelay", "must be at most 1s")
	v.Check(c.CacheSizeEachConn >= 0, "CacheSizeEachConn", "must not be negative")
	switch c.Mode {
	case ModeAuto, ModeStandalone, ModeCluster, ModeSentinel:
	default:
		v.Add("Mode", "unknown mode %q (want standalone, cluster or sentinel)", string(c.Mode))
	}
	v.Check(c.Mode != ModeSentinel || c.SentinelMaster != "", "SentinelMaster", "is required in sentinel mode")
	v.Check(c.SentinelMaster == "" || c.Mode == ModeSentinel || c.Mode == ModeAuto, "SentinelMaster", "set but Mode is %s", c.Mode)
	v.Check(len(c.ReplicaAddrs) == 0 || c.Mode == ModeAuto || c.Mode == ModeStandalone, "ReplicaAddrs", "only apply to standalone mode")
	v.Check(!(c.ReplicaOnly && c.ReadFromReplicas), "ReplicaOnly", "cannot be combined with ReadFromReplicas")
	v.Check(c.ClusterRefreshInterval >= 0, "ClusterRefreshInterval", "must not be negative")
	return v.Err()
}

// plainHost reports whether host is made of the characters a DNS name or
// an IP literal uses (printable ASCII without spaces or URL delimiters):
// no bidirectional overrides (U+202E), no homoglyphs, no control bytes.
func plainHost(host string) bool {
	for i := 0; i < len(host); i++ {
		b := host[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte("/?#@\\\"'<>`", b) >= 0 {
			return false
		}
	}
	return true
}

// mode is the effective mode: SentinelMaster implies sentinel.
func (c Config) mode() Mode {
	if c.Mode == ModeAuto && c.SentinelMaster != "" {
		return ModeSentinel
	}
	return c.Mode
}

// target describes the configuration for logs and Stats, without secrets.
func (c Config) target() string {
	var b strings.Builder
	switch {
	case c.UnixSocket != "":
		b.WriteString("unix:" + c.UnixSocket)
	default:
		b.WriteString(strings.Join(c.Addrs, ","))
	}
	if c.DB != 0 {
		b.WriteString("/" + strconv.Itoa(c.DB))
	}
	if c.TLS || c.TLSConfig != nil || c.Security.TLS != nil {
		b.WriteString(" tls")
	}
	if m := c.mode(); m != ModeAuto {
		b.WriteString(" " + string(m))
		if m == ModeSentinel {
			b.WriteString(" master=" + c.SentinelMaster)
		}
	}
	return b.String()
}

// ParseURL parses a Redis or Valkey URL into a Config. An empty string
// means EnvURL(). Schemes:
//
//	redis://[user[:password]@]host[:port][/db]    valkey:// is the same
//	rediss://…  redis+tls://…  valkeys://…         the same over TLS
//	redis+unix:///path/to/sock[?db=N]              unix:///path is the same
//	redis+tls+unix:///path/to/sock                 TLS over a Unix socket
//
// Query parameters (all optional): db, client_name, connect_timeout,
// command_timeout, idle_timeout (Go durations), max_retries, auto_reconnect, offline_queue,
// auto_pipelining, cache, skip_verify (booleans), pipeline_conns,
// max_flush_delay, addr (extra host:port,
// repeatable), mode (standalone, cluster, sentinel), master_set (sentinel
// master name; implies sentinel mode), read_from_replicas, replica_only,
// pipeline_multiplex. An unknown parameter is an error. Errors never echo
// the password.
func ParseURL(raw string) (Config, error) {
	if raw == "" {
		raw = EnvURL()
	}
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "parse url", "%s: "+format, append([]any{redactForError(raw)}, args...)...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a URL")
	}
	var c Config
	var unix bool
	switch strings.ToLower(u.Scheme) {
	case "redis", "valkey":
	case "rediss", "redis+tls", "valkeys", "valkey+tls":
		c.TLS = true
	case "redis+unix", "unix", "valkey+unix":
		unix = true
	case "redis+tls+unix", "rediss+unix", "valkey+tls+unix":
		unix, c.TLS = true, true
	case "":
		return bad("no scheme (want redis://, rediss://, redis+unix:// ...)")
	default:
		return bad("unsupported scheme %q", u.Scheme)
	}
	if u.User != nil {
		c.Username = u.User.Username()
		pw, _ := u.User.Password()
		c.Password = security.NewSecret(pw)
		if c.Username == "default" {
			c.Username = ""
		}
	}
	if unix {
		p := u.Path
		if p == "" && u.Opaque != "" {
			p = u.Opaque
		}
		if p == "" {
			return bad("a Unix socket URL needs a path, such as redis+unix:///run/redis.sock")
		}
		c.UnixSocket = p
	} else {
		if u.Host != "" {
			host, port := u.Hostname(), u.Port()
			if host == "" {
				host = "localhost"
			}
			if port == "" {
				port = "6379"
			}
			c.Addrs = []string{net.JoinHostPort(host, port)}
		}
		if p := strings.Trim(u.Path, "/"); p != "" {
			db, err := strconv.Atoi(p)
			if err != nil || strings.Contains(p, "/") {
				return bad("path %q is not a database number", u.Path)
			}
			c.DB = db
		}
	}
	q := u.Query()
	var problems []string
	boolParam := func(name string, dst *bool, invert bool) {
		s := q.Get(name)
		if s == "" && q.Has(name) {
			s = "true"
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			problems = append(problems, name+" must be a boolean")
			return
		}
		*dst = b != invert
	}
	durParam := func(name string, dst *time.Duration) {
		d, err := time.ParseDuration(q.Get(name))
		if err != nil {
			problems = append(problems, name+" must be a duration such as 5s")
			return
		}
		*dst = d
	}
	intParam := func(name string, dst *int) {
		n, err := strconv.Atoi(q.Get(name))
		if err != nil {
			problems = append(problems, name+" must be an integer")
			return
		}
		*dst = n
	}
	for name := range q {
		switch name {
		case "db":
			intParam(name, &c.DB)
		case "client_name":
			c.ClientName = q.Get(name)
		case "connect_timeout", "dial_timeout":
			durParam(name, &c.ConnectTimeout)
		case "command_timeout":
			durParam(name, &c.CommandTimeout)
		case "idle_timeout":
			durParam(name, &c.IdleTimeout)
		case "max_retries":
			intParam(name, &c.MaxRetries)
		case "auto_reconnect":
			boolParam(name, &c.DisableAutoReconnect, true)
		case "offline_queue":
			boolParam(name, &c.DisableOfflineQueue, true)
		case "auto_pipelining":
			boolParam(name, &c.DisableAutoPipelining, true)
		case "cache", "client_cache":
			boolParam(name, &c.DisableCache, true)
		case "skip_verify", "insecure_skip_verify":
			boolParam(name, &c.TLSInsecureSkipVerify, false)
		case "read_from_replicas":
			boolParam(name, &c.ReadFromReplicas, false)
		case "replica_only":
			boolParam(name, &c.ReplicaOnly, false)
		case "pipeline_conns":
			intParam(name, &c.PipelineConns)
		case "max_flush_delay":
			durParam(name, &c.MaxFlushDelay)
		case "mode":
			c.Mode = Mode(strings.ToLower(q.Get(name)))
		case "master_set", "sentinel_master":
			c.SentinelMaster = q.Get(name)
			if c.Mode == ModeAuto {
				c.Mode = ModeSentinel
			}
		case "addr":
			for _, a := range q[name] {
				if _, _, err := net.SplitHostPort(a); err != nil {
					a = net.JoinHostPort(a, "6379")
				}
				c.Addrs = append(c.Addrs, a)
			}
		default:
			if arsenal.IsSecretName(name) {
				problems = append(problems, "unknown parameter (a secret belongs in the user info)")
			} else {
				problems = append(problems, "unknown parameter "+strconv.Quote(name))
			}
		}
	}
	if len(problems) > 0 {
		return bad("%s", strings.Join(problems, "; "))
	}
	return c, nil
}

// redactForError shows a URL in an error without any secret: passwords are
// masked, and an opaque URL (no "//", where user info cannot be told
// apart) shows its scheme only.
func redactForError(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable URL>"
	}
	if u.Opaque != "" {
		return u.Scheme + ":<opaque>"
	}
	return arsenal.RedactedURL(u)
}

// opener is the arsenal.Opener for every scheme the package registers.
func opener(ctx context.Context, u *url.URL) (arsenal.Component, error) {
	cfg, err := ParseURL(u.String())
	if err != nil {
		return nil, err
	}
	c, err := Open(ctx, cfg)
	if err != nil {
		return nil, err // a nil interface, never one holding a nil *Client
	}
	return c, nil
}

// Schemes are the URL schemes this package registers with arsenal.Register.
var Schemes = []string{
	"redis", "rediss", "redis+tls", "redis+unix", "redis+tls+unix",
	"valkey", "valkeys", "valkey+tls", "valkey+unix", "valkey+tls+unix", "unix",
}

func init() {
	for _, s := range Schemes {
		arsenal.Register(s, opener)
	}
}
