// Package redis is Arsenal's Redis and Valkey client, built on
// github.com/redis/rueidis: typed commands with Go results, automatic and
// explicit pipelining, MULTI/EXEC transactions with WATCH, Lua scripts run
// by SHA, pub/sub that survives reconnects, client-side caching, cluster
// and sentinel support, and per-command latency statistics.
//
//	c, err := redis.Open(ctx, redis.Config{Addrs: []string{"127.0.0.1:6379"}})
//	if err != nil { ... }
//	defer c.Close()
//	_ = c.Set(ctx, "greeting", "hello")
//	v, err := c.Get(ctx, "greeting")
//	if redis.IsNotFound(err) { ... } // a missing key, never ""
//
// # Configuration
//
// Config holds every setting; each field's comment states its default, and
// the zero Config connects to localhost:6379. ParseURL reads redis://,
// rediss://, redis+tls://, redis+unix://, redis+tls+unix://, valkey://,
// valkeys:// and unix:// URLs (user, password, database, TLS and query
// options); DefaultConfig reads REDIS_URL, then VALKEY_URL. The package
// registers those schemes with arsenal.Register, so arsenal.Open(ctx,
// "redis://...") works after importing it. Validate checks a Config
// without I/O and names every bad field.
//
// The defaults follow Bun's RedisClient: 10 s connect timeout, automatic
// reconnection with backoff from 50 ms doubling to 2 s, an offline queue
// (calls made while disconnected wait for the reconnection), and
// auto-pipelining. While calls are waiting the client re-dials every
// ReconnectBackoffMin, so service resumes soon after the server accepts
// again; an idle client backs off.
//
// Open detects servers without CLIENT TRACKING (older Redis, miniredis,
// some compatible stores) and then runs without client-side caching and
// over RESP2; CacheInfo says which. An ACL user that may not run CLIENT
// TRACKING (a least-privilege user) gets the same degradation over RESP3,
// and CacheInfo names the refused command. The Cached* methods are plain
// reads there.
//
// # Outages
//
// How long a call can wait while the server is down:
//
//   - With the offline queue (the default), a call made while the client
//     is disconnected waits for the reconnection, and fails with
//     Unavailable (cause ErrDisconnected) at the first of: its context's
//     deadline or cancellation; for a context without a deadline,
//     Config.CommandTimeout (default 5 s); and the end of MaxRetries
//     reconnect delays since the outage began (50 ms doubling to 2 s, ten
//     of them: about 11 s by default). So a call with
//     context.Background() waits at most 5 s by default, and a call with
//     a deadline at most until its deadline (and never past 11 s of
//     outage).
//   - Without it (DisableOfflineQueue, or DisableAutoReconnect), such a
//     call fails at once with Unavailable.
//   - A call already sent when the connection drops fails when the client
//     sees the drop; read-only commands are retried by rueidis with the
//     reconnect backoff, within the same bounds (the context, or
//     CommandTimeout).
//
// CommandTimeout also bounds a call to a server that is up but does not
// answer (DeadlineExceeded). A command sent under a context that is never
// cancelled (context.Background, or one that only carries values) shares
// a timer with the calls started within the same sixteenth of
// CommandTimeout, so it ends between CommandTimeout and CommandTimeout
// plus a sixteenth, and costs no allocation under context.Background (one
// small one under a value context). Under a context that can be cancelled
// but has no deadline, a lone caller's command costs one small
// allocation, and a command sent while others are in flight gets a
// context with its own timer (about 390 bytes in 5 allocations); set a
// context deadline, or a negative CommandTimeout, to do without. Blocking
// commands (BLPop, XRead with Block) are bounded by their own timeout and
// the context only.
//
// A cache in front of a database should fail fast rather than queue, so
// that a Redis outage costs each request nothing:
//
//	redis.Config{Addrs: addrs, DisableOfflineQueue: true, CommandTimeout: 100 * time.Millisecond}
//
// (in a URL: ?offline_queue=false&command_timeout=100ms).
//
// Every call is counted in Stats, including calls that fail before
// anything is sent (validation, the offline queue, a closed client).
//
// # Errors
//
// Every error is an *arsenal.Error. Redis error replies are translated
// once by their typed prefix: NOAUTH and WRONGPASS are Unauthenticated,
// NOPERM PermissionDenied, WRONGTYPE and READONLY FailedPrecondition,
// LOADING, BUSY, TRYAGAIN, MASTERDOWN and CLUSTERDOWN Unavailable
// (retryable), OOM ResourceExhausted, ERR (syntax, arity, bad values)
// InvalidArgument, NOSCRIPT and NOGROUP NotFound, BUSYGROUP AlreadyExists;
// an error type outside this list (a module's own) is Unknown. The error
// text is the server's without the "ERR " of generic errors (rueidis
// removes it), and errors.As still finds the *rueidis.RedisError.
// Refused or reset connections are Unavailable, timeouts
// DeadlineExceeded, and the caller's own cancellation Canceled (never
// retryable). A typed method that promises a value (Get, HGet, LPop,
// ZScore ...) returns a NotFound error whose cause is ErrNil when the
// server replies nil: test it with IsNotFound. Methods whose reply may
// legitimately hold missing elements return Opt values (MGet, HMGet,
// ZMScore, GetSet) or Reply.IsNil (Do, Eval). A WATCH conflict is Aborted
// with cause ErrTxAborted.
//
// Every call honours its context's deadline, Publish included; a call
// made after Close fails with FailedPrecondition wrapping
// arsenal.ErrClosed.
//
// # Hostile servers
//
// rueidis's reply reader trusts the lengths a server sends: a blob length
// of -2, an array length of -3 or of 2^62 panics in its reader goroutine
// (which has no recover, so the process dies), and $2000000000 allocates
// 2 GB before any data arrives (rueidis v1.0.79 and v1.0.80 alike). Every
// connection this package dials therefore reads through a guard that
// follows the RESP2/RESP3 framing before rueidis sees a byte and closes
// the connection on what rueidis would mishandle: negative lengths other
// than the -1 null, lengths over 64 bits, malformed lines, unknown type
// bytes, nesting deeper than 512, lines over 1 MiB, and replies declaring
// more than Config.MaxReplyBytes (default 512 MiB; string lengths plus 40
// bytes per aggregate element). The calls waiting on that connection fail
// with DataLoss (malformed) or ResourceExhausted (too big), and the Client
// reconnects. What remains: a reply within the limit is still allocated
// whole (so up to MaxReplyBytes per connection, per reply in flight), and
// a server that stalls mid-reply holds the connection until the calls'
// contexts or CommandTimeout end them.
//
// # Concurrency
//
// A Client is safe for concurrent use and must be closed. Concurrent calls
// are pipelined automatically on shared connections (one by default,
// Config.PipelineConns), which is where the throughput comes from: use
// many goroutines rather than many Clients. While 16 or more calls per
// connection are in flight, the pipeline's writer yields the processor
// once before each write so that one write carries more commands (about
// 1.5x the 64-caller throughput on 2 cores). On a standalone server a call
// made while no other is in flight skips the pipeline: it is written and
// its reply read from the caller's goroutine on a pooled connection of a
// second, unpipelined rueidis client, which takes about 2 µs off a lone
// caller's round trip (this needs a context with a deadline or none that
// can be cancelled, as rueidis's own synchronous path does; Do always
// uses the pipeline). Blocking commands (BLPop,
// XRead with Block) and transactions with Watch use dedicated pooled
// connections. Subscriptions deliver to their handler from one goroutine
// each, fed by a queue, so a slow handler never stalls the connection it
// shares with other commands. A Pipeline is for one goroutine. OnEvent listeners run on one
// goroutine of the Client's and must not block.
//
// Stats reports per-command counts and p50/p95/p99 latencies, and gauges
// for the connection (connected, reconnects, disconnects, last error),
// the cache and pub/sub; State gives the same connection facts as Go
// values, and OnEvent reports disconnects, reconnects and restored
// subscriptions as they happen.
//
// # Observability
//
// Config.Observer receives an arsenal.OpStart/OpEnd pair for every call
// (Op as Stats names it, Statement the command name, Resource the key or
// channel of a typed method, never a value; OpEnd with the error and its
// code, calls refused before I/O included) and, when it is an
// arsenal.ConnObserver, connect, dial-error, disconnect and reconnect
// events. Config.Logger gets disconnects and give-ups (Warn), reconnects
// (Info), calls slower than SlowThreshold (Warn), refused replies and TLS
// verification turned off (Warn), with the target redacted and no secret.
// With neither set a call pays one branch and no allocation. Sentinel
// failovers and cluster slot moves are followed but not reported as
// events: rueidis exposes no hook for them.
//
// # Security
//
// Config.Security (a security.Options) authorizes and audits calls and
// can supply TLS and credentials; its zero value changes nothing. Its
// Policy is checked before any I/O, command by command, for the
// principal the call's context carries (security.WithPrincipal): the
// operation is the command's name in lower case ("get", "psetex",
// "flushall"; "script load", "config set" for container commands) and
// the resource each key the command names, found as Redis's own key
// specs place them (DEL, MGET, MSET, EVAL's numkeys, XREAD's STREAMS ...):
// a call naming several keys is allowed only when every key is.
// Publish, Subscribe and PSubscribe name their channels or patterns;
// keyless commands (FLUSHALL, PING, KEYS, SCAN, INFO) have resource "".
// Do's commands are checked the same way; for a command it does not
// know, Do takes the first argument as the key. Pipelines and
// transactions are checked whole before anything is sent: one denied
// command refuses them all. A denied call is PermissionDenied naming the
// rule (or saying no rule allows it), audited, counted in Stats, reported
// to the Observer, and never reaches the server. Health is not checked:
// it only sends PING, and monitors call it without a principal.
// Security.Audit records every call with its principal, operation,
// keys, outcome, code and latency. Security.TLS builds the TLS
// configuration (in place of TLSConfig and TLSInsecureSkipVerify, and
// turning TLS on), and Security.Credentials is asked for the user and
// password on every new connection (in place of Username and Password),
// again shortly before credentials with an Expires run out.
//
// # Cluster and sentinel
//
// With several Addrs, or a single node that has cluster mode on, the
// Client speaks Redis Cluster: commands follow their key's slot and
// MOVED/ASK redirects. Multi-key commands need their keys in one slot
// (use {hash tags}); MGet, MSet, Del, Exists, Unlink and Touch instead
// split their keys by slot into one pipelined command per slot (so they
// are not atomic across slots). With Mode sentinel (or a master_set URL
// parameter) Addrs are sentinels and the Client follows failovers.
package redis
