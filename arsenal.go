package arsenal

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// Component is a managed infrastructure client: a SQLite database, a Redis
// client, a WebSocket connection, an S3 client, or a plugin's backend.
//
// The contract is small on purpose. Further abilities are optional
// interfaces a caller finds by type assertion (Pinger-style), such as
// Describer.
//
// Every method is safe for concurrent use. Close is idempotent: the first
// call releases resources and returns their error; later calls return nil.
// Every other call made after Close fails with an *Error whose code is
// FailedPrecondition and whose cause is ErrClosed.
type Component interface {
	// Kind names the domain, such as "sqlite", "redis", "websocket" or "s3".
	Kind() string
	// Health checks the component is usable right now (a ping, a HEAD, a
	// trivial query). It honours ctx and returns a coded error.
	Health(ctx context.Context) error
	// Stats returns a snapshot of the component's counters and latencies.
	// It does no I/O and is cheap enough to call once a second.
	Stats() Stats
	// Close releases the component's resources.
	Close() error
}

// Describer is an optional Component ability: a one-line description safe
// to log (target address, mode), with secrets redacted.
type Describer interface {
	Describe() string
}

// Stats is a snapshot of a component's activity, common to every domain.
// Each domain also keeps a typed stats value with named fields (such as
// redis.ClientStats or sqlite.DBStats, as database/sql's DBStats): it is
// Detail, and Gauges lists its numeric fields with their units for
// consumers that handle every domain alike (dashboards, exporters,
// degradation rules).
type Stats struct {
	Kind      string             // the component's Kind
	Target    string             // where it points, secrets redacted (host:port, path, bucket)
	Connected bool               // whether it holds a usable connection right now
	Since     time.Time          // when counting began
	Ops       map[string]OpStats // per-operation counters and latencies, by operation name
	Gauges    []Gauge            // Detail's numeric fields, named and with units, in field order
	Detail    any                // the domain's typed stats value, or nil
}

// Gauge returns the value of the gauge called name, and whether there is
// one.
func (s Stats) Gauge(name string) (float64, bool) {
	for _, g := range s.Gauges {
		if g.Name == name {
			return g.Value, true
		}
	}
	return 0, false
}

// Unit is what a Gauge's value measures.
type Unit string

// The units of gauges.
const (
	UnitCount    Unit = "count"    // a number of things or events
	UnitBytes    Unit = "bytes"    // a size
	UnitSeconds  Unit = "seconds"  // a duration
	UnitBool     Unit = "bool"     // 1 for true, 0 for false
	UnitUnixTime Unit = "unixtime" // seconds since 1970-01-01 UTC; 0 means never
	UnitRatio    Unit = "ratio"    // a fraction (0.25 is 25%)
	UnitCode     Unit = "code"     // an arsenal Code (see Code.String)
)

// Gauge is one named value of a component's typed stats.
type Gauge struct {
	Name  string  // snake_case, such as "reconnects"
	Value float64 // in Unit
	Unit  Unit
	// Counter reports that the value only grows while Since stays the
	// same (a total, such as reconnects), as opposed to a level that can
	// fall (such as queued bytes).
	Counter bool
}

// OpStats summarises one operation's calls.
type OpStats struct {
	Count  uint64        // calls completed, successful or not
	Errors uint64        // calls that returned an error
	Mean   time.Duration // mean latency
	P50    time.Duration
	P95    time.Duration
	P99    time.Duration
	Max    time.Duration
}

// ErrorRate is Errors/Count, or 0 when nothing ran.
func (o OpStats) ErrorRate() float64 {
	if o.Count == 0 {
		return 0
	}
	return float64(o.Errors) / float64(o.Count)
}

// Total sums the counts and errors of every operation.
func (s Stats) Total() (count, errors uint64) {
	for _, o := range s.Ops {
		count += o.Count
		errors += o.Errors
	}
	return count, errors
}

// OpNames returns the operation names in sorted order.
func (s Stats) OpNames() []string {
	names := make([]string, 0, len(s.Ops))
	for n := range s.Ops {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Plugin is an outside backend (or a built-in domain) that brings its own
// components. It is the small required core of Caddy's module model: a
// name, a version and what it serves. Everything else a plugin may do
// (provision, validate, clean up, list components) is an optional
// interface of the plugin package, found by type assertion.
type Plugin interface {
	// Name is the plugin's unique name, such as "postgres".
	Name() string
	// Version is the plugin's semantic version, such as "1.2.0".
	Version() string
	// Databases lists the database or service kinds the plugin serves.
	Databases() []string
}

// PerformanceProfile describes what a CustomClient is built for, so a
// caller can pick timeouts and concurrency.
type PerformanceProfile struct {
	ExpectedLatency time.Duration // typical round trip on a local network
	MaxConcurrency  int           // useful parallel calls; 0 means unbounded
	Pipelining      bool          // whether concurrent calls share a connection
	Streaming       bool          // whether results can stream
}

// Query is one request to a CustomClient.
type Query struct {
	Statement string         // the command or statement text
	Args      []any          // positional arguments
	Options   map[string]any // backend-specific options
}

// Result is what a CustomClient returns from Execute.
type Result struct {
	Columns      []string
	Rows         [][]any
	RowsAffected int64
	Metadata     map[string]any
}

// CustomClient is the contract a plugin's client meets: a named protocol
// that connects, executes queries and disconnects.
type CustomClient interface {
	Name() string
	Protocol() string
	Features() []string
	Performance() PerformanceProfile
	Connect(ctx context.Context, config map[string]any) error
	Execute(ctx context.Context, q Query) (Result, error)
	Disconnect(ctx context.Context) error
}

// Opener opens a Component from a URL whose scheme it was registered for.
type Opener func(ctx context.Context, u *url.URL) (Component, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{}
)

// Register makes open the Opener for URLs with scheme. Domains call it from
// init. It panics if the scheme is empty, the opener nil, or the scheme
// registered twice, as database/sql.Register does.
func Register(scheme string, open Opener) {
	scheme = strings.ToLower(scheme)
	if scheme == "" || open == nil {
		panic("arsenal: Register needs a scheme and an opener")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic("arsenal: Register called twice for scheme " + scheme)
	}
	registry[scheme] = open
}

// Schemes lists the registered URL schemes in sorted order.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for s := range registry {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Open parses rawURL and opens a Component with the Opener registered for
// its scheme. An unknown scheme is InvalidArgument with a hint naming the
// package to import.
func Open(ctx context.Context, rawURL string) (Component, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &Error{Code: InvalidArgument, Op: "open", Message: "cannot parse URL: " + RedactURL(rawURL)}
	}
	if u.Scheme == "" {
		return nil, &Error{Code: InvalidArgument, Op: "open", Message: fmt.Sprintf("URL %q has no scheme", RedactURL(rawURL))}
	}
	scheme := strings.ToLower(u.Scheme)
	registryMu.RLock()
	open, ok := registry[scheme]
	registryMu.RUnlock()
	if !ok {
		return nil, &Error{Code: InvalidArgument, Op: "open", Message: fmt.Sprintf(
			"unknown URL scheme %q (forgotten import? %s; registered: %s)",
			scheme, importHint(scheme), strings.Join(Schemes(), ", "))}
	}
	c, err := open(ctx, u)
	if err != nil {
		// An opener that returns a typed nil pointer with its error would
		// hand back a non-nil Component whose methods panic.
		return nil, err
	}
	if isNilComponent(c) {
		return nil, &Error{Code: Internal, Op: "open", Message: fmt.Sprintf("the opener for scheme %q returned no component and no error", scheme)}
	}
	return c, nil
}

func isNilComponent(c Component) bool {
	if c == nil {
		return true
	}
	v := reflect.ValueOf(c)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// OpenAs is Open for a caller that knows the concrete type a scheme
// returns, such as *redis.Client for redis:// or *s3.Client for s3:// (each
// domain's doc lists its schemes and types):
//
//	rc, err := arsenal.OpenAs[*redis.Client](ctx, "redis://127.0.0.1:6379/0")
//
// When the component is of another type, OpenAs closes it and fails with
// InvalidArgument naming both types.
func OpenAs[T Component](ctx context.Context, rawURL string) (T, error) {
	var zero T
	c, err := Open(ctx, rawURL)
	if err != nil {
		return zero, err
	}
	t, ok := c.(T)
	if !ok {
		_ = c.Close()
		return zero, &Error{Code: InvalidArgument, Op: "open", Message: fmt.Sprintf(
			"%s opens a %T, not a %s", RedactURL(rawURL), c, typeName[T]())}
	}
	return t, nil
}

func typeName[T any]() string {
	return reflect.TypeFor[T]().String()
}

func importHint(scheme string) string {
	switch {
	case strings.HasPrefix(scheme, "sqlite"), scheme == "file":
		return `import _ "github.com/infra-arsenal/arsenal/sqlite"`
	case strings.HasPrefix(scheme, "redis"), strings.HasPrefix(scheme, "valkey"), scheme == "unix":
		return `import _ "github.com/infra-arsenal/arsenal/redis"`
	case scheme == "ws", scheme == "wss":
		return `import _ "github.com/infra-arsenal/arsenal/websocket"`
	case scheme == "s3":
		return `import _ "github.com/infra-arsenal/arsenal/s3"`
	case strings.HasPrefix(scheme, "postgres"):
		return `import _ "github.com/infra-arsenal/arsenal/plugin/postgres"`
	}
	return "import the package that registers it"
}

// RedactURL returns rawURL with any password replaced by "xxxxx", a
// user name that stands alone as a token (https://TOKEN@host, or any
// user-only name of 20 characters or more) replaced too, and any query
// parameter that looks like a secret (see IsSecretName) blanked, for
// errors and logs.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparseable URL>"
	}
	return RedactedURL(u)
}

// RedactedURL is RedactURL for a parsed URL; u is not modified.
func RedactedURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), "xxxxx")
		} else if name := c.User.Username(); name != "" && userIsToken(c.Scheme, name) {
			c.User = url.User("xxxxx")
		}
	}
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			if IsSecretName(k) {
				q.Set(k, "xxxxx")
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// userIsToken reports whether a user name given without a password is a
// credential by itself: on the web schemes userinfo without a password is
// a token (https://TOKEN@github.com), elsewhere a long name is taken for
// one.
func userIsToken(scheme, name string) bool {
	switch strings.ToLower(scheme) {
	case "http", "https", "ws", "wss":
		return true
	}
	return len(name) >= 20
}

// secretParts are substrings that make a name secret wherever they occur;
// secretWords make it secret when they are one of its words (split at
// punctuation and at lower-to-upper case changes), so "key" and "auth"
// match api-key, X-Auth, sessionKey and auth but not keepalive or author.
var (
	secretParts = []string{"password", "passwd", "secret", "token", "credential", "private",
		"apikey", "api_key", "pwd", "signature", "jwt", "session", "cookie", "bearer"}
	secretWords = []string{"auth", "authorization", "sig", "key", "pass", "pw", "sid", "otp", "hmac"}
)

// IsSecretName reports whether a field, header or parameter name suggests
// a secret: password, secret, token, credential, private, signature
// (X-Amz-Signature), jwt, session, cookie and bearer anywhere in it, or
// auth, authorization, sig, key, pass, pw, sid, otp or hmac as one of its
// words.
func IsSecretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range secretParts {
		if strings.Contains(n, s) {
			return true
		}
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		boundary := i == len(name) || !isAlnum(name[i]) ||
			(i > start && isUpper(name[i]) && !isUpper(name[i-1]))
		if !boundary {
			continue
		}
		if i > start {
			w := n[start:i]
			for _, s := range secretWords {
				if w == s {
					return true
				}
			}
		}
		start = i
		if i < len(name) && !isAlnum(name[i]) {
			start = i + 1
		}
	}
	return false
}

func isAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || isUpper(b)
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }
