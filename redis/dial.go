package redis

import (
	"context"
	"crypto/tls"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
)

// options maps the Config onto rueidis options. Its only error is a
// Security.TLS that does not build.
func (c *Client) options() (rueidis.ClientOption, error) {
	cfg := c.cfg
	opt := rueidis.ClientOption{
		InitAddress:           cfg.Addrs,
		Username:              cfg.Username,
		Password:              cfg.Password.Reveal(),
		ClientName:            cfg.ClientName,
		SelectDB:              cfg.DB,
		DisableCache:          cfg.DisableCache,
		CacheSizeEachConn:     cfg.CacheSizeEachConn,
		DisableAutoPipelining: cfg.DisableAutoPipelining,
		PipelineMultiplex:     multiplexOf(cfg.PipelineConns),
		MaxFlushDelay:         cfg.MaxFlushDelay,
		BlockingPoolCleanup:   cfg.IdleTimeout,
		ReplicaOnly:           cfg.ReplicaOnly,
		DisableRetry:          cfg.DisableOfflineQueue || cfg.DisableAutoReconnect,
		RetryDelay:            c.retryDelay,
		ClientSetInfo:         rueidis.DisableClientSetInfo,
	}
	opt.Dialer.Timeout = cfg.ConnectTimeout
	if cfg.UnixSocket != "" {
		opt.InitAddress = []string{cfg.UnixSocket}
		opt.ForceSingleClient = true
	}
	if cfg.TLS {
		opt.TLSConfig = cfg.TLSConfig
		if opt.TLSConfig == nil {
			opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.TLSInsecureSkipVerify} //nolint:gosec // opt-in for tests
		} else if cfg.TLSInsecureSkipVerify {
			opt.TLSConfig = opt.TLSConfig.Clone()
			opt.TLSConfig.InsecureSkipVerify = true
		}
	}
	if cfg.Security.TLS != nil {
		tc, err := cfg.Security.ClientTLS()
		if err != nil {
			return rueidis.ClientOption{}, wrapErr("open", err)
		}
		opt.TLSConfig = tc
	}
	if cfg.Security.Credentials != nil {
		opt.AuthCredentialsFn = c.credentials
	}
	if cfg.ReadFromReplicas {
		opt.SendToReplicas = func(cmd rueidis.Completed) bool { return cmd.IsReadOnly() }
	}
	switch cfg.mode() {
	case ModeStandalone:
		if len(cfg.ReplicaAddrs) > 0 {
			opt.Standalone.ReplicaAddress = cfg.ReplicaAddrs
			if opt.SendToReplicas == nil {
				opt.SendToReplicas = func(rueidis.Completed) bool { return false }
			}
		} else {
			opt.ForceSingleClient = true
		}
	case ModeAuto:
		if len(cfg.ReplicaAddrs) > 0 {
			opt.Standalone.ReplicaAddress = cfg.ReplicaAddrs
			if opt.SendToReplicas == nil {
				opt.SendToReplicas = func(rueidis.Completed) bool { return false }
			}
		}
	case ModeCluster:
		opt.ClusterOption.ShardsRefreshInterval = cfg.ClusterRefreshInterval
	case ModeSentinel:
		opt.Sentinel.MasterSet = cfg.SentinelMaster
		opt.Sentinel.Username = cfg.SentinelUsername
		opt.Sentinel.Password = cfg.SentinelPassword.Reveal()
		opt.Sentinel.Dialer.Timeout = cfg.ConnectTimeout
		opt.Sentinel.TLSConfig = opt.TLSConfig
		opt.Sentinel.TopologyRefreshInterval = cfg.ClusterRefreshInterval
	}
	opt.DialCtxFn = c.dial
	return opt, nil
}

// credentials asks Security.Credentials for the user and password of a
// new connection (rueidis's AuthCredentialsFn), bounded by
// ConnectTimeout. Credentials that expire are asked for again (and the
// connection re-authenticated) shortly before they do.
func (c *Client) credentials(rueidis.AuthCredentialsContext) (rueidis.AuthCredentials, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ConnectTimeout)
	defer cancel()
	cr, _, err := c.cfg.Security.Creds(ctx)
	if err != nil {
		return rueidis.AuthCredentials{}, wrapErr("auth", err)
	}
	a := rueidis.AuthCredentials{Username: cr.User, Password: cr.Secret.Reveal()}
	if a.Username == "default" {
		a.Username = ""
	}
	if !cr.Expires.IsZero() {
		if until := time.Until(cr.Expires); until > 2*time.Second {
			a.RefreshAfter = cr.Expires.Add(-min(until/10, time.Minute))
		}
	}
	return a, nil
}

// dial opens one connection (TCP or Unix, optionally TLS) and watches it so
// a dropped connection is noticed at once.
func (c *Client) dial(ctx context.Context, addr string, d *net.Dialer, tlsCfg *tls.Config) (net.Conn, error) {
	network := "tcp"
	if c.cfg.UnixSocket != "" && addr == c.cfg.UnixSocket {
		network = "unix"
	}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		c.st.dialErrors.Add(1)
		c.st.noteErr(err)
		c.connEvent(arsenal.ConnDialError, err)
		return nil, err
	}
	if tlsCfg != nil {
		cfg := tlsCfg
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify && network == "tcp" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			c.st.dialErrors.Add(1)
			c.st.noteErr(err)
			c.connEvent(arsenal.ConnDialError, err)
			return nil, err
		}
		conn = tc
	}
	c.st.dials.Add(1)
	c.connEvent(arsenal.ConnConnect, nil, "addr", addr)
	return &watchedConn{Conn: conn, c: c, guard: newRespGuard(c.cfg.MaxReplyBytes)}, nil
}

// watchedConn reports a connection the server dropped (EOF, reset) to the
// client's connection state. Errors after its own Close are not reported.
// Every byte read passes the reply guard (see respguard.go) before rueidis
// parses it.
type watchedConn struct {
	net.Conn
	c       *Client
	guard   *respGuard // used by rueidis's one reader goroutine only
	closing atomic.Bool
}

func (w *watchedConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if n > 0 {
		if gerr := w.guard.check(p[:n]); gerr != nil {
			w.closing.Store(true)
			w.Conn.Close()
			w.c.st.noteErr(gerr)
			w.c.hostileReply(gerr)
			return 0, gerr
		}
	}
	if err != nil {
		w.failed(err)
	}
	return n, err
}

// Write yields the processor once first when many calls are in flight:
// callers that are ready to run then queue their commands before this
// write returns, so the pipeline's next write carries more of them. On a
// small machine that cuts the write system calls per command under heavy
// concurrency (64-caller throughput about 1.5x); with few callers in
// flight it does nothing, so their latency is untouched.
func (w *watchedConn) Write(p []byte) (int, error) {
	if w.c.inflight.Load() >= w.c.yieldAt {
		runtime.Gosched()
	}
	n, err := w.Conn.Write(p)
	if err != nil {
		w.failed(err)
	}
	return n, err
}

func (w *watchedConn) Close() error {
	w.closing.Store(true)
	return w.Conn.Close()
}

func (w *watchedConn) failed(err error) {
	if w.closing.Load() || w.c.closed.Load() {
		return
	}
	if codeOf(err) == arsenal.Unavailable {
		w.c.markDown(err)
	}
}

// hostileReply reports a reply the guard refused.
func (c *Client) hostileReply(err error) {
	if l := c.cfg.Logger; l != nil {
		l.Warn("redis: closed a connection whose reply broke the protocol or the size limit", "target", c.cfg.target(), "error", err)
	}
}
