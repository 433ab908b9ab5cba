// Package security holds what Arsenal's components share to defend
// themselves and their users: Secret, a string that never prints; input
// validators; CSRF protection; a TLS builder and checker; credential
// providers; an authorization Policy; audit events and a tamper-evident
// audit file; and Options, the one shape in which a domain's Config
// takes all of them. It imports only the root package, the standard
// library and bluemonday, and importing it changes no process-wide state.
//
// # Secrets
//
// Every Config field that holds a password, a secret key, a session token
// or a credential header is a Secret: fmt, slog, JSON and text
// marshalling show [REDACTED], and only Reveal returns the value.
//
// # Validation
//
// Validate(input, Context) returns Result{Safe, Sanitized, Warnings}.
// Safe means the input can be used as it is in that context; Sanitized is
// what to use instead (quoted, escaped, cleaned, or "" when the input is
// refused outright); Warnings name stable rules ("sql.union") and never
// quote the input. Result.Err and CheckInput turn an unsafe result into an
// InvalidArgument error.
//
// # Threat model
//
// What each validator defends against, and what it does not:
//
//   - SQLIdent, QuoteIdent, Allowlist: a dynamic table or column name
//     cannot break out of its identifier (quotes are doubled, NUL dropped).
//     Quoting does not stop access to another table: check the name
//     against an Allowlist. Allowlist.OrderBy accepts only listed columns
//     with ASC or DESC.
//   - SQLString, QuoteLiteral: a value cannot break out of a string
//     literal in SQLite or PostgreSQL (standard_conforming_strings on).
//     It does not cover MySQL's backslash escapes. Bind parameters instead.
//   - SQLLike, EscapeLike: a user's text matches literally inside LIKE
//     (with ESCAPE '\'); it stops wildcard abuse (a % that scans every
//     row), not injection, which binding stops.
//   - SQLText: reports the shapes of SQL injection (stacked statements,
//     comments, tautologies, UNION SELECT, subqueries, time delays,
//     catalogue access, file and command functions, a stray quote) for
//     logs, audit and rate limiting. It is a signal, not a defence: it
//     misses obfuscated payloads and flags some honest text. Parameter
//     binding is the defence: never build SQL from input.
//   - RedisPattern, EscapeGlob: a user's text matches literally in KEYS,
//     SCAN MATCH and PSUBSCRIBE patterns (no * that walks the keyspace).
//   - RedisInline: CR, LF and NUL, which could end an inline command and
//     start another, are removed. RESP arrays (what the redis package
//     sends) are not affected by them; the risk is in hand-built protocol
//     lines and in values echoed into line-based logs.
//   - Lua: names what a script should not do (load code, reach os, io or
//     debug, change metatables, call administrative commands, loop
//     forever, build keys by concatenation). Redis's own sandbox is the
//     defence; the warnings are a review aid, and miss obfuscated code.
//   - JSONDoc: removes $-operator keys (operator injection into document
//     queries) and __proto__, constructor and prototype keys (prototype
//     pollution in JavaScript consumers), at any depth; it bounds nesting
//     at 64. It does not validate a schema.
//   - HTML and HTMLUGC: bluemonday's strict and user-generated-content
//     policies; output is safe to place between tags. It is not safe
//     inside attributes, scripts, styles or URLs: use those contexts.
//   - HTMLAttr and JSString: html/template's escapers, for a value inside
//     a quoted attribute or a JavaScript string literal. An unquoted
//     attribute or an event handler attribute is still unsafe.
//   - URL: refuses javascript:, vbscript:, data:, file: and every scheme
//     but http, https and mailto, also when hidden by case, white space,
//     control characters or HTML entities, and protocol-relative URLs
//     (//host) that leave the site. It does not stop an open redirect to
//     an absolute https URL: check the host against your own list.
//   - S3Key: refuses empty keys, keys over 1024 bytes, invalid UTF-8,
//     control characters and . or .. segments (which a file-backed store,
//     a CDN or a proxy may resolve to another key). It does not decide
//     who may read a key: use a Policy.
//   - WSOrigin, OriginPolicy: a handshake's Origin is well formed and in
//     the trusted list (exact origins or *.domain wildcards). Origin only
//     binds browsers: non-browser clients send what they like, so
//     authenticate them (bearer tokens, mutual TLS).
//   - CSRF: net/http.CrossOriginProtection refuses cross-origin unsafe
//     requests from browsers (Sec-Fetch-Site, Origin); token mode adds an
//     HMAC token bound to the session for requests that carry neither.
//     It does not protect state-changing GET handlers, nor the bypass
//     patterns you list.
//
// # Transport and identity
//
// TLS builds client and server configs with TLS 1.2 at least,
// verification on, the system roots plus extra CAs, mutual TLS, and
// certificate pairs reloaded when their files change; Check lists the
// weaknesses of any *tls.Config. The credential providers (Static, Env,
// File with rotation, ProviderFunc) return a user or key id with a Secret
// and a session token. Policy decides, before any I/O, whether a
// principal (carried in the context with WithPrincipal) may do an
// operation on a resource of a component; deny wins and no matching rule
// denies. An Auditor writes structured events to any slog.Handler with
// secrets redacted, and optionally to an AuditChain, a hash-chained file
// in which VerifyAuditChain detects edited, removed, inserted and
// reordered records (removing records from the end needs the head kept
// elsewhere; a Key stops whoever can write the file from forging a new
// chain).
//
// # Wiring into a domain
//
// A domain's Config embeds Options as a field named Security; its zero
// value changes nothing. Around each public operation the domain calls
// Options.Authorize(ctx, Kind, op, resource) before any I/O (returning
// its PermissionDenied error as is, already audited), and, when
// Options.Active, Options.Record(ctx, Kind, op, resource, start, err)
// after the call. At Open it uses Options.ClientTLS in place of its own
// TLS fields when Security.TLS is set, and asks Options.Creds on every
// (re)connection or request signing when Security.Credentials is set.
// The Options example shows the pattern.
//
// # Concurrency
//
// Secret, Policy, Allowlist, OriginPolicy, CSRF, the providers, Auditor
// and AuditChain are safe for concurrent use; Validate is a pure function.
package security
