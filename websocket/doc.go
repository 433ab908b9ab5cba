// Package websocket is Arsenal's WebSocket component: an RFC 6455 client
// and server built on github.com/gobwas/ws (handshakes, frame headers,
// masking, wsflate parameter parsing), matching Bun's WebSocket client and
// Bun.serve's server feature for feature.
//
// Client: Dial (or Open with a Config, or arsenal.Open("ws://...")) with
// subprotocols, custom headers, permessage-deflate offered by default with
// context takeover, TLS options, an HTTP CONNECT proxy with Basic auth, a
// handshake timeout, a read limit and keepalive pings. A *Conn reads and
// writes text and binary messages with a context (Read, Reader for
// streaming, Write, Writer for streaming, Send without waiting), answers
// pings, and closes with a code and reason. Reconnecting redials with
// exponential backoff and jitter, replays SendOnConnect messages (topic
// subscriptions) and can queue sends while disconnected.
//
// Server: a Server is an http.Handler that upgrades with subprotocol
// selection by server preference, permessage-deflate with context
// takeover where the client allows (including server_max_window_bits
// below 15, honoured with Huffman-only output), a same-origin policy with
// an allowlist (cross-site upgrades get 403), a 16 MiB payload limit
// (1009), a 120 s idle timeout with server pings, a per-connection
// backpressure limit with a policy, and Bun-style topics: Subscribe,
// Unsubscribe, Conn.Publish (everyone but the sender), Server.Publish,
// SubscriberCount, ConnectionCount.
//
// # Configuration
//
// Options (client) and ServerConfig (server) are plain structs whose zero
// values mean the documented defaults; Config is a URL plus Options, with
// Validate listing every bad field without I/O, and ParseURL reading
// options from query parameters (subprotocols, compression,
// handshake_timeout, read_limit, ping_interval, proxy, ...). The ws and
// wss schemes are registered with arsenal.Register.
//
// # Errors
//
// Every error is an *arsenal.Error. A refused handshake wraps
// *HandshakeError (401 Unauthenticated, 403 PermissionDenied, 404
// NotFound, 429 ResourceExhausted, 5xx Unavailable; a 407 from the proxy
// is Unauthenticated); a refused or reset connection is Unavailable; a
// timeout is DeadlineExceeded; a cancelled context is Canceled. A closed
// connection reports a *CloseError (CloseStatus gives its code): 1000,
// 1001, 1006 and 1012-1014 are Unavailable, 1002 and 1011 Internal, 1003
// and 1007 InvalidArgument, 1008 PermissionDenied, 1009 ResourceExhausted
// (not retryable). Protocol violations by the peer close the connection
// with 1002, invalid UTF-8 with 1007, oversized messages with 1009. Calls
// after Close fail with FailedPrecondition wrapping arsenal.ErrClosed.
//
// # Concurrency
//
// A Conn is safe for concurrent use: writers are serialised frame by
// frame, Send never waits for the socket, and one goroutine per
// connection reads frames and answers pings. Read and Reader are meant
// for one reader at a time. Callbacks (OnMessage, OnOpen, OnClose) run on
// the connection's read goroutine: a slow callback delays that
// connection's reads, not others'. For the same reason a Ping, Health or
// Read made inside a callback, which would wait for a pong or message
// that only the read loop delivers once the callback returns, fails at
// once with FailedPrecondition; made from another goroutine meanwhile,
// it waits for the callback to return. (Callbacks run inside a marker
// function whose frame identifies their goroutine; a callback of one
// connection that waits on another connection at the moment that one runs
// a callback fails fast too.) An idle connection holds no read or
// write buffer (they are pooled); compression state (a 32 KiB window per
// direction, and a compressor of several hundred KiB when this side compresses
// with context takeover) is allocated on first use. Conn, Server and
// Reconnecting must be closed.
//
// # Observability
//
// Options and ServerConfig take an arsenal.Observer, a *slog.Logger and a
// SlowThreshold. The Observer gets an OpStart/OpEnd pair for every dial,
// write, send, read, ping, health and close (client and server
// connections) and every upgrade and publish (server; OpEnd.Messages is
// the fan-out, OpStart.Resource the topic), and ConnObserver events for
// connect, disconnect, reconnect (Reconnecting) and dial errors. The
// Logger gets disconnects and refused upgrades at Info, reconnect
// attempts, dial failures, messages dropped at the backpressure limit and
// operations slower than SlowThreshold at Warn, with targets redacted.
// With neither set nothing is built or called. Stats count every call,
// those that fail at once included.
//
// # Hostile peers
//
// A peer can cost a connection only bounded memory, and cannot keep it
// past its timeouts. The package is tested against raw-socket peers that
// send what no well-behaved one would (hostile_test.go, the fuzz targets
// FuzzServerFrameReader and FuzzClientFrameReader):
//
//   - Ping floods from a peer that never reads: pongs coalesce (only the
//     answer to the latest ping is queued, as RFC 6455 section 5.5.3
//     allows) and so do this side's own pings, so the send queue holds at
//     most one pong, one ping and one close frame (under 400 bytes) beyond
//     what the writer has taken. A peer's pings are not activity for the
//     server's IdleTimeout: a client that only pings is closed with 1001.
//   - A frame header declaring a large payload: at most 4 KiB (or what has
//     arrived) is allocated before the payload does, growing by doubling as
//     it arrives, up to the read limit (16 MiB by default, 1009 past it).
//   - A compressed frame whose deflate stream ends (BFINAL) before its
//     payload or message does: 1007; the rest is never parsed as frames.
//   - Handshake responses (client side): at most MaxHandshakeHeaderBytes
//     (1 MiB) and MaxHandshakeHeaderLines (1000 header lines), past which
//     Dial fails with ResourceExhausted, not at the handshake timeout.
//   - Handshake requests (server side) are read by the http.Server:
//     NewHTTPServer sets ReadHeaderTimeout (10 s) and MaxHeaderBytes
//     (64 KiB); a Server mounted on an http.Server of one's own should set
//     both too.
//   - DNS rebinding: a Server listening on loopback counts a request as
//     same-origin only under a loopback host name (localhost, *.localhost,
//     127.0.0.0/8, ::1); other names must be listed in AllowedOrigins.
//
// # Authorization, audit, TLS and credentials
//
// Options.Security and ServerConfig.Security take security.Options; the
// zero value changes nothing. With a Policy, a client's every dial and
// reconnect (op "dial", resource the redacted URL) and a server's every
// upgrade (op "upgrade", resource the request path), Subscribe (op
// "subscribe") and Publish (op "publish", resource the topic) are
// authorized before anything is sent: a refused call returns the policy's
// PermissionDenied error naming the rule (a refused upgrade is answered
// 403), and a refused publish reaches no subscriber. Unsubscribe is never
// refused. The principal is the one the dial's context carries (a
// Reconnecting client dials as the anonymous principal) or, on a server,
// the one the upgrade request's context carries: put it there with
// security.WithPrincipal in the middleware that authenticates the
// request. Server.Publish runs as the anonymous principal and
// Server.PublishContext as the principal of its context. With an Audit,
// each of these calls is recorded with its principal, outcome, code and
// latency. Security.TLS replaces TLSConfig and InsecureSkipVerify for
// wss:// dials, and is the Server's certificate (Server.TLSConfig, served
// by NewHTTPServer). Security.Credentials is asked on every dial for the
// Authorization header, which replaces any in Header or the URL: Basic
// user:secret when the credentials name a User, Bearer secret otherwise.
// With no Security option set, all of this costs a few nil tests.
//
// Configurations never print secrets: Config, Options and ReconnectConfig
// redact the URL's password and secret query parameters, the proxy's
// password, credential headers and the credential provider (xxxxx) under
// every fmt verb and slog, and
// Conn, Reconnecting and Server print only their redacted target. A wss://
// dial with InsecureSkipVerify (insecure_skip_verify=true) logs a warning.
package websocket
