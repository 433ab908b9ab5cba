package codegen

import (
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
)

func init() {
	matchers = append(matchers, func(c any) (Component, any, bool) {
		switch v := c.(type) {
		case redis.Config:
			return Redis, v, true
		case *redis.Config:
			if v != nil {
				return Redis, *v, true
			}
		}
		return "", nil, false
	})
	builders[Redis] = buildRedis
}

// redisJS is the view of the TypeScript and JavaScript Redis templates.
// Every string field is a literal or an expression.
type redisJS struct {
	Addr, Addrs, Socket, Username, Password   string
	DB                                        int
	ClientName                                string
	TLS, SkipVerify                           bool
	ConnectTimeoutMS, IdleTimeoutMS           string
	AutoReconnect, OfflineQueue               bool
	AutoPipelining                            bool
	MaxRetries                                string
	BackoffMinMS, BackoffMaxMS                string
	Mode                                      string // "standalone", "cluster" or "sentinel"
	SentinelMaster, SentinelUser, SentinelPwd string
	ReadFromReplicas                          bool
}

// redisGo is the view of the Go Redis template.
type redisGo struct {
	Config string // the redis.Config composite literal
	Split  bool   // the address list is split at run time (strings.Split)
	// Secrets says the literal wraps passwords in security.NewSecret.
	Secrets bool
}

func buildRedis(g *gen, config any) (any, error) {
	c := config.(redis.Config)
	mode := "standalone"
	switch {
	case c.Mode == redis.ModeCluster:
		mode = "cluster"
	case c.Mode == redis.ModeSentinel || (c.Mode == redis.ModeAuto && c.SentinelMaster != ""):
		mode = "sentinel"
	}
	addrs := c.Addrs
	if len(addrs) == 0 {
		addrs = []string{redis.DefaultAddr}
	}
	g.redisAdvice(c, mode, addrs)

	if g.t.Language == Go {
		g.dep("github.com/infra-arsenal/arsenal")
		exprs := map[string]string{}
		if c.UnixSocket != "" {
			exprs["UnixSocket"] = g.envVar("REDIS_SOCKET", "UnixSocket", c.UnixSocket)
		} else if len(addrs) == 1 {
			exprs["Addrs"] = "[]string{" + g.envVar("REDIS_ADDR", "Addrs", addrs[0]) + "}"
		} else {
			exprs["Addrs"] = "strings.Split(" + g.envVar("REDIS_ADDR", "Addrs", strings.Join(addrs, ",")) + `, ",")`
		}
		secrets := false
		if !c.Password.IsZero() {
			exprs["Password"] = "security.NewSecret(" + g.secret("REDIS_PASSWORD", "Password", c.Password.Reveal()) + ")"
			secrets = true
		}
		if !c.SentinelPassword.IsZero() {
			exprs["SentinelPassword"] = "security.NewSecret(" + g.secret("REDIS_SENTINEL_PASSWORD", "SentinelPassword", c.SentinelPassword.Reveal()) + ")"
			secrets = true
		}
		if c.TLSConfig != nil || c.Security.TLS != nil {
			exprs["TLS"] = "true" // the *tls.Config and security.TLS have no literal
		}
		return redisGo{Config: g.goConfig("redis", c, exprs), Split: c.UnixSocket == "" && len(addrs) > 1, Secrets: secrets}, nil
	}

	if g.t.Framework == Bun {
		g.dep("bun")
	} else {
		g.dep("ioredis")
	}
	v := redisJS{
		DB: c.DB, TLS: redisTLS(c), SkipVerify: redisSkipVerify(c),
		ConnectTimeoutMS: JSMillis(def(c.ConnectTimeout, redis.DefaultConnectTimeout)),
		IdleTimeoutMS:    JSMillis(c.IdleTimeout),
		AutoReconnect:    !c.DisableAutoReconnect, OfflineQueue: !c.DisableOfflineQueue,
		AutoPipelining: !c.DisableAutoPipelining,
		BackoffMinMS:   JSMillis(def(c.ReconnectBackoffMin, redis.DefaultReconnectBackoffMin)),
		BackoffMaxMS:   JSMillis(def(c.ReconnectBackoffMax, max(redis.DefaultReconnectBackoffMax, c.ReconnectBackoffMin))),
		Mode:           mode, ReadFromReplicas: c.ReadFromReplicas,
	}
	retries := c.MaxRetries
	if retries == 0 {
		retries = redis.DefaultMaxRetries
	}
	if retries < 0 {
		v.MaxRetries = g.int("MaxRetries", 1<<31-1)
	} else {
		v.MaxRetries = g.int("MaxRetries", int64(retries))
	}
	if c.UnixSocket != "" {
		v.Socket = g.envVar("REDIS_SOCKET", "UnixSocket", c.UnixSocket)
	} else {
		v.Addr = g.envVar("REDIS_ADDR", "Addrs", strings.Join(addrs, ","))
	}
	if c.Username != "" {
		v.Username = g.str("Username", c.Username)
	}
	if !c.Password.IsZero() {
		v.Password = g.secret("REDIS_PASSWORD", "Password", c.Password.Reveal())
	}
	name := c.ClientName
	if name == "" {
		name = redis.DefaultClientName
	}
	v.ClientName = g.str("ClientName", name)
	if mode == "sentinel" && g.t.Framework != Bun {
		v.SentinelMaster = g.str("SentinelMaster", c.SentinelMaster)
		if c.SentinelUsername != "" {
			v.SentinelUser = g.str("SentinelUsername", c.SentinelUsername)
		}
		if !c.SentinelPassword.IsZero() {
			v.SentinelPwd = g.secret("REDIS_SENTINEL_PASSWORD", "SentinelPassword", c.SentinelPassword.Reveal())
		}
	}
	return v, nil
}

// redisTLS reports whether c connects over TLS.
func redisTLS(c redis.Config) bool { return c.TLS || c.TLSConfig != nil || c.Security.TLS != nil }

// redisSkipVerify reports whether c turns certificate verification off.
func redisSkipVerify(c redis.Config) bool {
	if c.Security.TLS != nil {
		return c.Security.TLS.InsecureSkipVerify
	}
	return c.TLSInsecureSkipVerify
}

// def returns d, or fallback when d is zero.
func def(d, fallback time.Duration) time.Duration {
	if d == 0 {
		return fallback
	}
	return d
}

func (g *gen) redisAdvice(c redis.Config, mode string, addrs []string) {
	// Security.
	tls := redisTLS(c)
	if c.UnixSocket == "" && !tls {
		for _, a := range addrs {
			if !loopbackHost(a) {
				g.security = append(g.security, warn("TLS", "traffic to %s is not encrypted; use TLS (rediss://) beyond the local machine", a))
				break
			}
		}
	}
	if redisSkipVerify(c) {
		g.security = append(g.security, warn("TLSInsecureSkipVerify", "the server's certificate is not verified; anyone on the path can impersonate it"))
	}
	if sec := c.Security; g.t.Language != Go && (sec.Policy != nil || sec.Audit != nil || sec.Credentials != nil || sec.TLS != nil) {
		g.security = append(g.security, warn("Security", "the authorization policy, audit, credentials provider and TLS settings of Config.Security are not rendered: the program has none of them (TLS is on, verified against the system roots)"))
	}

	// Performance.
	if c.DisableAutoPipelining {
		g.perf = append(g.perf, warn("DisableAutoPipelining", "auto-pipelining is off: every concurrent call waits for its own round trip; turn it on for throughput"))
	}
	if !g.t.Has(RedisPipelining) {
		g.perf = append(g.perf, info("", "for batch writes, pipeline them (the pipelining feature) instead of awaiting each reply"))
	} else if g.t.Language == Go {
		g.perf = append(g.perf, info("", "batches go out in one write with DoMulti; concurrent single calls are pipelined automatically"))
	}
	if len(c.ReplicaAddrs) > 0 && !c.ReadFromReplicas {
		g.perf = append(g.perf, info("ReadFromReplicas", "replicas are configured but reads go to the primary; set ReadFromReplicas to spread read load"))
	}
	if c.ConnectTimeout > 30*time.Second {
		g.perf = append(g.perf, warn("ConnectTimeout", "%s is long: callers wait that long on an unreachable server", c.ConnectTimeout))
	}
	if g.t.Has(RedisPubSub) {
		g.perf = append(g.perf, info("", "subscriptions hold a connection of their own; share one subscriber per process rather than one per channel"))
	}

	// Compatibility.
	switch g.t.Framework {
	case Bun:
		if mode != "standalone" {
			g.compat = append(g.compat, warn("Mode", "Bun's RedisClient has no %s support: the program connects to the first address as a standalone server, so MOVED redirections or failovers will fail", mode))
		}
		if len(c.ReplicaAddrs) > 0 || c.ReadFromReplicas || c.ReplicaOnly {
			g.compat = append(g.compat, warn("ReplicaAddrs", "Bun's RedisClient cannot route reads to replicas; everything goes to the primary"))
		}
		if g.t.Has(RedisTransactions) {
			g.compat = append(g.compat, warn("", "Bun's RedisClient has no MULTI/EXEC API: the program sends MULTI and EXEC with send() on a duplicate() connection"))
		}
		g.compat = append(g.compat, info("ClientName", "Bun has no client-name option: the program sends CLIENT SETNAME after connecting, and a reconnected connection is unnamed"))
		if c.ReconnectBackoffMin != 0 && c.ReconnectBackoffMin != redis.DefaultReconnectBackoffMin || c.ReconnectBackoffMax != 0 && c.ReconnectBackoffMax != redis.DefaultReconnectBackoffMax {
			g.compat = append(g.compat, warn("ReconnectBackoffMin", "Bun's reconnect backoff is fixed (50 ms doubling to 2 s); the configured bounds are not applied"))
		}
		if c.TLSConfig != nil {
			g.compat = append(g.compat, warn("TLSConfig", "custom TLS settings are not rendered: pass them as the tls option"))
		}
		if !c.DisableCache {
			g.compat = append(g.compat, info("DisableCache", "Bun's RedisClient has no client-side caching"))
		}
	case Node, Deno:
		if c.IdleTimeout > 0 {
			g.compat = append(g.compat, warn("IdleTimeout", "ioredis has no idle timeout; connections stay open"))
		}
		g.compat = append(g.compat, info("MaxRetries", "ioredis's maxRetriesPerRequest counts reconnections a queued command waits through, close to MaxRetries"))
		if !c.DisableCache {
			g.compat = append(g.compat, info("DisableCache", "ioredis has no client-side caching"))
		}
		if c.TLSConfig != nil {
			g.compat = append(g.compat, warn("TLSConfig", "custom TLS settings are not rendered: pass them as the tls option"))
		}
		if g.t.Framework == Deno {
			g.compat = append(g.compat, info("", "Deno runs ioredis through its Node compatibility layer (npm:ioredis)"))
		}
	}
}
