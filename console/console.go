package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/security"
)

// Kind is the component name in the console's coded errors.
const Kind = "console"

// Defaults of Options.
const (
	DefaultDemoPrefix = "arsenal-console:"
	DefaultMaxUpload  = 32 << 20
	maxJSONBody       = 64 << 10
	cookieName        = "arsenal_console_token"
)

//go:embed assets
var assets embed.FS

// Options configure the console. The zero value serves loopback clients
// only, with the demo writes under DefaultDemoPrefix.
type Options struct {
	// Prefix is the path the console is mounted at, such as
	// "/debug/arsenal". When set, Handler strips it itself; when empty,
	// mount it with http.StripPrefix. Default "".
	Prefix string
	// Token, when set, is required on every request (as the cookie the
	// page sets after ?token=..., or an "Authorization: Bearer" header),
	// and allows clients from non-loopback addresses. Default none:
	// only loopback clients are served.
	Token security.Secret
	// AllowedHosts are the Host header values accepted besides the
	// loopback names (localhost, *.localhost, 127.0.0.1, [::1]), with or
	// without a port; "*" accepts any Host. Checking the Host defeats DNS
	// rebinding. Default none.
	AllowedHosts []string
	// DemoPrefix is the Redis key and channel prefix, and the S3 object
	// key prefix, of every demo write. Default DefaultDemoPrefix (S3 keys
	// use it with ':' replaced by '/').
	DemoPrefix string
	// AllowSQL lets the SQLite tab run the SQL typed in the page, on a
	// read-only copy of the sample database. Default false: only the
	// built-in queries run.
	AllowSQL bool
	// DialURLs are the ws:// or wss:// URLs the WebSocket tab may dial
	// besides the console's own echo server. Default none.
	DialURLs []string
	// MaxUpload bounds an S3 upload from the page, in bytes. Default
	// DefaultMaxUpload (32 MiB).
	MaxUpload int64
	// AllowScaling lets the performance tab run the GOMAXPROCS scaling
	// analysis, which changes GOMAXPROCS for the whole process while it
	// runs (and restores it). Default false.
	AllowScaling bool
	// AllowTutorialSolutions lets the tutorials tab apply a step's
	// solution (a POST). The writes are confined: Redis keys under
	// DemoPrefix + "tutorial:", S3 keys under the S3 demo prefix +
	// "tutorial/", a scratch SQLite file in a temporary directory (never
	// the hub's database) and the console's own WebSocket playground.
	// Default false: the page shows a solution's code only.
	AllowTutorialSolutions bool
	// Results are the side-by-side benchmark results shown in the
	// performance tab. Default: the results committed with this version
	// (benchmarks/results/all.jsonl).
	Results []bench.Line
	// Logger receives the console's operator logs; nil discards them.
	Logger *slog.Logger
}

// Console is the console's HTTP handler. Close stops its background work
// (live updates, the echo server, a running benchmark); the components in
// the hub are left open.
type Console struct {
	hub    *arsenal.Hub
	opts   Options
	log    *slog.Logger
	static http.Handler
	mux    *http.ServeMux
	root   http.Handler
	hosts  []string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	live  *live
	redis *redisDemo
	ws    *wsDemo
	sql   *sqliteDemo
	s3    *s3Demo
	perf  *perfRunner
	tut   *tutorials
}

// Handler returns the console over hub: the page, its scripts and its JSON
// API, all served from embedded files. Options that do not validate give a
// handler that answers every request with 500 and the reason. Its
// background work (live updates, the echo server once used) lasts as long
// as the process; use New for the error and for Close.
func Handler(hub *arsenal.Hub, opts Options) http.Handler {
	c, err := New(hub, opts)
	if err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		})
	}
	return c
}

// New is Handler with the options' error and a Console that can be closed.
func New(hub *arsenal.Hub, opts Options) (*Console, error) {
	if hub == nil {
		return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "new", "nil hub")
	}
	if opts.DemoPrefix == "" {
		opts.DemoPrefix = DefaultDemoPrefix
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = DefaultMaxUpload
	}
	if opts.Prefix != "" {
		opts.Prefix = "/" + strings.Trim(opts.Prefix, "/")
	}
	for _, u := range opts.DialURLs {
		if !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "new", "DialURLs: %s is not a ws:// or wss:// URL", arsenal.RedactURL(u))
		}
	}
	if opts.Results == nil {
		opts.Results = committedResults()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, arsenal.Wrap(Kind, "new", err)
	}
	c := &Console{hub: hub, opts: opts, log: log, static: http.FileServerFS(sub), mux: http.NewServeMux()}
	c.hosts = append([]string{"localhost", "127.0.0.1", "::1"}, opts.AllowedHosts...)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if c.live, err = newLive(c); err != nil {
		c.cancel()
		return nil, err
	}
	c.sql = newSQLiteDemo(c)
	c.redis = newRedisDemo(c)
	c.ws = newWSDemo(c)
	c.s3 = newS3Demo(c)
	c.perf = newPerfRunner(c)
	c.tut = newTutorials(c)
	c.routes()
	var h http.Handler = c.mux
	h = http.NewCrossOriginProtection().Handler(h)
	if opts.Prefix != "" {
		h = http.StripPrefix(opts.Prefix, h)
	}
	c.root = h
	c.wg.Go(func() { c.live.run(c.ctx) })
	return c, nil
}

// Close stops the console's background work and waits for it.
func (c *Console) Close() error {
	c.cancel()
	c.live.close()
	c.redis.close()
	c.ws.close()
	c.tut.close()
	c.wg.Wait()
	return nil
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET /{$}", c.page)
	m.Handle("GET /app.js", c.static)
	m.Handle("GET /style.css", c.static)
	m.Handle("GET /charts.js", c.static)
	m.Handle("GET /learn.js", c.static)
	m.HandleFunc("GET /api/state", c.apiState)
	m.HandleFunc("GET /api/config/{domain}", c.apiConfig)
	m.HandleFunc("POST /api/codegen", c.apiCodegen)
	m.HandleFunc("GET /api/events", c.live.poll)
	m.HandleFunc("GET /live", c.live.serve)
	c.sql.routes(m)
	c.redis.routes(m)
	c.ws.routes(m)
	c.s3.routes(m)
	c.perf.routes(m)
	c.catalogRoutes(m)
	c.tut.routes(m)
}

// ServeHTTP checks who is asking (loopback or token, Host), sets the
// security headers and serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if !c.hostAllowed(r.Host) {
		http.Error(w, "console: Host not allowed (set Options.AllowedHosts)", http.StatusMisdirectedRequest)
		return
	}
	if c.opts.Token.IsZero() {
		if !loopbackPeer(r.RemoteAddr) {
			http.Error(w, "console: only loopback clients are served without a token", http.StatusForbidden)
			return
		}
	} else if !c.tokenOK(w, r) {
		return
	}
	if r.ContentLength > c.opts.MaxUpload {
		http.Error(w, "console: request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.opts.MaxUpload)
	c.root.ServeHTTP(w, r)
}

func (c *Console) tokenOK(w http.ResponseWriter, r *http.Request) bool {
	want := []byte(c.opts.Token.Reveal())
	eq := func(s string) bool { return s != "" && subtle.ConstantTimeCompare([]byte(s), want) == 1 }
	if ck, err := r.Cookie(cookieName); err == nil && eq(ck.Value) {
		return true
	}
	if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && eq(a) {
		return true
	}
	if q := r.URL.Query().Get("token"); r.Method == http.MethodGet && eq(q) {
		path := c.opts.Prefix + "/"
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: q, Path: path, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		u := *r.URL
		qs := u.Query()
		qs.Del("token")
		u.RawQuery = qs.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	http.Error(w, "console: token required", http.StatusUnauthorized)
	return false
}

func (c *Console) hostAllowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, a := range c.hosts {
		if a == "*" {
			return true
		}
		if ah, _, err := net.SplitHostPort(a); err == nil {
			a = ah
		}
		if strings.EqualFold(strings.Trim(a, "[]"), host) {
			return true
		}
	}
	return false
}

func loopbackPeer(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	return ap.Addr().Unmap().IsLoopback()
}

func (c *Console) page(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b)
}

// writeJSON writes v as the JSON response.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is the JSON body of a failed call.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeErr writes err as a JSON error with the HTTP status of its code.
func writeErr(w http.ResponseWriter, err error) {
	code := arsenal.CodeOf(err)
	status := http.StatusInternalServerError
	switch code {
	case arsenal.InvalidArgument:
		status = http.StatusBadRequest
	case arsenal.NotFound:
		status = http.StatusNotFound
	case arsenal.PermissionDenied:
		status = http.StatusForbidden
	case arsenal.FailedPrecondition:
		status = http.StatusConflict
	case arsenal.ResourceExhausted:
		status = http.StatusRequestEntityTooLarge
	case arsenal.Unavailable:
		status = http.StatusServiceUnavailable
	case arsenal.DeadlineExceeded:
		status = http.StatusGatewayTimeout
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Error: scrub(err.Error()), Code: code.String()})
}

// readJSON decodes a request body of at most 64 KiB into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return arsenal.Errorf(arsenal.ResourceExhausted, Kind, "request", "request body over %d bytes", maxJSONBody)
		}
		return arsenal.Errorf(arsenal.InvalidArgument, Kind, "request", "bad JSON body: %v", err)
	}
	return nil
}

// opCtx bounds one console operation.
func opCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 15*time.Second)
}

// component finds the first component of kind in the hub.
func (c *Console) component(kind string) (string, arsenal.Component, bool) {
	for _, n := range c.hub.Names() {
		if comp, ok := c.hub.Get(n); ok && comp.Kind() == kind {
			return n, comp, true
		}
	}
	return "", nil, false
}
