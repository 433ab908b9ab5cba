package qa

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

func newProber(ctx context.Context, comp arsenal.Component, u *url.URL, opts Options) (prober, error) {
	payload := make([]byte, 64)
	_, _ = rand.Read(payload)
	switch c := comp.(type) {
	case *sqlite.DB:
		path := ""
		if cfg, err := sqlite.ParseURL(u.String()); err == nil {
			path = cfg.Path
		}
		return &sqliteProbe{db: c, table: sqlIdent(opts.Prefix) + "probe", payload: payload, path: path}, nil
	case *redis.Client:
		return &redisProbe{c: c, u: u, key: opts.Prefix + "probe", prefix: opts.Prefix, payload: string(payload)}, nil
	case *s3.Client:
		return &s3Probe{c: c, key: opts.Prefix + "probe", prefix: opts.Prefix, payload: payload}, nil
	case *websocket.Conn:
		return &wsProbe{c: c, u: u}, nil
	}
	return nil, arsenal.Errorf(arsenal.Unimplemented, "qa", "checks", "no checks for %T (kind %s)", comp, comp.Kind())
}

// sqlIdent turns the prefix into an SQL identifier part: letters, digits
// and underscores only (validPrefix already allows no other characters
// than '-' and '/').
func sqlIdent(prefix string) string {
	return strings.NewReplacer("-", "_", "/", "_").Replace(prefix)
}

func loopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// transport judges a plaintext or unverified transport: acceptable on
// loopback (warn), a failure anywhere else.
func transport(host string, tls, verified bool, what string) Check {
	c := Check{Name: "transport"}
	switch {
	case tls && verified:
		c.Status, c.Detail = Pass, "TLS with certificate verification"
	case tls && !verified:
		c.Status, c.Detail = Fail, "TLS without certificate verification: anyone on the path can impersonate the "+what
	case loopbackHost(host):
		c.Status, c.Detail = Warn, "plaintext, acceptable only because the "+what+" is on loopback"
	default:
		c.Status, c.Detail = Fail, "plaintext to a "+what+" off this machine: credentials and data cross the network in the clear"
	}
	return c
}

// --- sqlite -------------------------------------------------------------

type sqliteProbe struct {
	db      *sqlite.DB
	table   string
	path    string
	payload []byte
	created bool
}

func (p *sqliteProbe) roundTrip(ctx context.Context) error {
	if _, err := p.db.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+p.table+" (k TEXT PRIMARY KEY, v BLOB NOT NULL)"); err != nil {
		return err
	}
	p.created = true
	if _, err := p.db.Exec(ctx, "INSERT OR REPLACE INTO "+p.table+" (k, v) VALUES (?, ?)", "probe", p.payload); err != nil {
		return err
	}
	return p.readBack(ctx)
}

func (p *sqliteProbe) readBack(ctx context.Context) error {
	var got []byte
	if err := p.db.QueryRow(ctx, "SELECT v FROM "+p.table+" WHERE k = ?", "probe").Scan(&got); err != nil {
		return err
	}
	if !bytes.Equal(got, p.payload) {
		return arsenal.Errorf(arsenal.DataLoss, "qa", "round trip", "read back %d bytes that differ from the %d written", len(got), len(p.payload))
	}
	return nil
}

func (p *sqliteProbe) read(ctx context.Context) error {
	if !p.created {
		if err := p.roundTrip(ctx); err != nil {
			return err
		}
	}
	return p.readBack(ctx)
}

func (p *sqliteProbe) security(ctx context.Context) []Check {
	perm := Check{Name: "file permissions"}
	if p.path == "" || p.path == ":memory:" {
		perm.Status, perm.Detail = Skip, "an in-memory database has no file"
	} else if fi, err := os.Stat(p.path); err != nil {
		perm.Status, perm.Detail = Skip, "cannot stat the file"
	} else if m := fi.Mode().Perm(); m&0o022 != 0 {
		perm.Status, perm.Detail = Fail, fmt.Sprintf("the database file is %s: other users can write it", m)
	} else if m&0o004 != 0 {
		perm.Status, perm.Detail = Warn, fmt.Sprintf("the database file is %s: every user of the machine can read it", m)
	} else {
		perm.Status, perm.Detail = Pass, fmt.Sprintf("the database file is %s", m)
	}
	schema := Check{Name: "trusted schema"}
	var on int64
	if err := p.db.QueryRow(ctx, "PRAGMA trusted_schema").Scan(&on); err != nil {
		schema.Status, schema.Detail, schema.Code = Skip, "PRAGMA trusted_schema failed", arsenal.CodeOf(err).String()
	} else if on != 0 {
		schema.Status, schema.Detail = Warn, "trusted_schema is on: views and triggers of an untrusted database file may call application functions"
	} else {
		schema.Status, schema.Detail = Pass, "trusted_schema is off"
	}
	return []Check{{Name: "transport", Status: Skip, Detail: "a local file has no transport"}, perm, schema}
}

func (p *sqliteProbe) cleanup(ctx context.Context) (int, error) {
	if !p.created {
		return 0, nil
	}
	if _, err := p.db.Exec(ctx, "DROP TABLE IF EXISTS "+p.table); err != nil {
		return 0, err
	}
	return 1, nil
}

// --- redis --------------------------------------------------------------

type redisProbe struct {
	c       *redis.Client
	u       *url.URL
	key     string
	prefix  string
	payload string
	wrote   bool
}

func (p *redisProbe) roundTrip(ctx context.Context) error {
	p.wrote = true
	if err := p.c.Set(ctx, p.key, p.payload); err != nil {
		return err
	}
	return p.readBack(ctx)
}

func (p *redisProbe) readBack(ctx context.Context) error {
	got, err := p.c.Get(ctx, p.key)
	if err != nil {
		return err
	}
	if got != p.payload {
		return arsenal.Errorf(arsenal.DataLoss, "qa", "round trip", "read back %d bytes that differ from the %d written", len(got), len(p.payload))
	}
	return nil
}

func (p *redisProbe) read(ctx context.Context) error {
	if !p.wrote {
		if err := p.roundTrip(ctx); err != nil {
			return err
		}
	}
	return p.readBack(ctx)
}

func (p *redisProbe) security(ctx context.Context) []Check {
	host := p.u.Hostname()
	tls := strings.Contains(p.u.Scheme, "tls") || p.u.Scheme == "rediss"
	q := p.u.Query()
	verified := q.Get("skip_verify") == "" && q.Get("insecure_skip_verify") == ""
	out := []Check{transport(host, tls, verified, "Redis server")}

	// Does the server let a client in without credentials?
	auth := Check{Name: "authentication required"}
	anon := *p.u
	anon.User = nil
	aq := anon.Query()
	for k := range aq {
		if arsenal.IsSecretName(k) {
			aq.Del(k)
		}
	}
	anon.RawQuery = aq.Encode()
	cfg, err := redis.ParseURL(anon.String())
	if err == nil {
		cfg.DisableCache = true
		var ac *redis.Client
		ac, err = redis.Open(ctx, cfg)
		if err == nil {
			_, err = ac.Ping(ctx)
			_ = ac.Close()
		}
	}
	switch {
	case err == nil && loopbackHost(host):
		auth.Status, auth.Detail = Warn, "the server accepts clients without credentials (acceptable only on loopback)"
	case err == nil:
		auth.Status, auth.Detail = Fail, "the server accepts clients without credentials on a non-loopback address"
	case arsenal.IsCode(err, arsenal.Unauthenticated) || arsenal.IsCode(err, arsenal.PermissionDenied):
		auth.Status, auth.Detail = Pass, "a client without credentials is refused"
	default:
		auth.Status, auth.Detail, auth.Code = Skip, "could not tell: the anonymous client failed otherwise", arsenal.CodeOf(err).String()
	}
	out = append(out, auth)

	pm := Check{Name: "protected mode"}
	r, err := p.c.Do(ctx, "CONFIG", "GET", "protected-mode")
	switch {
	case err != nil:
		pm.Status, pm.Detail, pm.Code = Skip, "CONFIG GET is not allowed for this user", arsenal.CodeOf(err).String()
	default:
		// RESP3 answers CONFIG GET with a map, RESP2 with a flat array.
		mode := ""
		if m, err := r.StringMap(); err == nil {
			mode = m["protected-mode"]
		} else if vals, err := r.Strings(); err == nil && len(vals) == 2 {
			mode = vals[1]
		}
		switch {
		case mode == "yes":
			pm.Status, pm.Detail = Pass, "protected-mode is on"
		case auth.Status == Pass:
			pm.Status, pm.Detail = Pass, "protected-mode is off, but clients must authenticate"
		case loopbackHost(host):
			pm.Status, pm.Detail = Warn, "protected-mode is off and no password is required (loopback only)"
		default:
			pm.Status, pm.Detail = Fail, "protected-mode is off and no password is required on a non-loopback address"
		}
	}
	return append(out, pm)
}

func (p *redisProbe) cleanup(ctx context.Context) (int, error) {
	var keys []string
	for k, err := range p.c.ScanAll(ctx, redis.ScanOptions{Match: escapeGlob(p.prefix) + "*"}) {
		if err != nil {
			return 0, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	n, err := p.c.Del(ctx, keys...)
	return int(n), err
}

// escapeGlob escapes Redis glob metacharacters so a prefix matches itself.
func escapeGlob(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(s)
}

// --- s3 -----------------------------------------------------------------

type s3Probe struct {
	c       *s3.Client
	key     string
	prefix  string
	payload []byte
	wrote   bool
}

func (p *s3Probe) roundTrip(ctx context.Context) error {
	p.wrote = true
	if _, err := p.c.Put(ctx, p.key, p.payload, nil); err != nil {
		return err
	}
	return p.readBack(ctx)
}

func (p *s3Probe) readBack(ctx context.Context) error {
	got, err := p.c.GetBytes(ctx, p.key, nil)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, p.payload) {
		return arsenal.Errorf(arsenal.DataLoss, "qa", "round trip", "read back %d bytes that differ from the %d written", len(got), len(p.payload))
	}
	return nil
}

func (p *s3Probe) read(ctx context.Context) error {
	if !p.wrote {
		if err := p.roundTrip(ctx); err != nil {
			return err
		}
	}
	return p.readBack(ctx)
}

func (p *s3Probe) security(ctx context.Context) []Check {
	cfg := p.c.Config()
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "https://s3." + cfg.Region + ".amazonaws.com"
	}
	eu, err := url.Parse(endpoint)
	if err != nil {
		return []Check{{Name: "transport", Status: Fail, Detail: "the endpoint does not parse"}}
	}
	out := []Check{transport(eu.Hostname(), eu.Scheme == "https", true, "S3 endpoint")}

	hc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	anonymous := func(name, rawURL, what string) Check {
		c := Check{Name: name}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			c.Status, c.Detail = Skip, "cannot build the anonymous request"
			return c
		}
		resp, err := hc.Do(req)
		if err != nil {
			c.Status, c.Detail, c.Code = Skip, "the anonymous request failed", arsenal.CodeOf(err).String()
			return c
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
			c.Status, c.Detail = Pass, fmt.Sprintf("an anonymous request for %s is refused (%d)", what, resp.StatusCode)
		case resp.StatusCode/100 == 2:
			c.Status, c.Detail = Fail, fmt.Sprintf("anyone can read %s without credentials (%d)", what, resp.StatusCode)
		default:
			c.Status, c.Detail = Warn, fmt.Sprintf("an anonymous request for %s answered %d", what, resp.StatusCode)
		}
		return c
	}
	objURL, err := p.c.ObjectURL(p.key, s3.StylePath)
	if err == nil {
		listURL := strings.TrimSuffix(objURL, "/"+url.PathEscape(cfg.Prefix+p.key))
		if lu, err := url.Parse(objURL); err == nil {
			// The bucket's URL: the object URL without its key path.
			bucketPath := "/" + cfg.Bucket
			lu.Path, lu.RawPath = bucketPath, ""
			lu.RawQuery = "list-type=2"
			listURL = lu.String()
		}
		out = append(out, anonymous("bucket not publicly listable", listURL, "the bucket listing"))
		if p.wrote {
			out = append(out, anonymous("objects not publicly readable", objURL, "an object"))
		}
	}
	return out
}

func (p *s3Probe) cleanup(ctx context.Context) (int, error) {
	var keys []string
	for o, err := range p.c.List(ctx, &s3.ListOptions{Prefix: p.prefix}) {
		if err != nil {
			return 0, err
		}
		keys = append(keys, o.Key)
	}
	n := 0
	var errs []error
	for _, k := range keys {
		if err := p.c.Delete(ctx, k); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// --- websocket ----------------------------------------------------------

type wsProbe struct {
	c *websocket.Conn
	u *url.URL
}

// roundTrip is a ping and its pong: the one exchange every RFC 6455
// server answers, whatever its application protocol.
func (p *wsProbe) roundTrip(ctx context.Context) error { return p.c.Ping(ctx) }

func (p *wsProbe) read(ctx context.Context) error { return p.c.Ping(ctx) }

func (p *wsProbe) security(ctx context.Context) []Check {
	q := p.u.Query()
	verified := q.Get("insecure_skip_verify") == "" && q.Get("skip_verify") == ""
	out := []Check{transport(p.u.Hostname(), p.u.Scheme == "wss", verified, "WebSocket server")}
	origin := Check{Name: "origin checked"}
	conn, err := websocket.Dial(ctx, p.u.String(), &websocket.Options{Header: http.Header{"Origin": {"https://qa-foreign-origin.invalid"}}})
	switch {
	case err == nil:
		_ = conn.Close()
		origin.Status, origin.Detail = Fail, "the server accepts a handshake from a foreign Origin (cross-site WebSocket hijacking)"
	case arsenal.IsCode(err, arsenal.PermissionDenied) || arsenal.IsCode(err, arsenal.Unauthenticated) || arsenal.IsCode(err, arsenal.InvalidArgument) || arsenal.IsCode(err, arsenal.FailedPrecondition):
		origin.Status, origin.Detail = Pass, "a handshake from a foreign Origin is refused"
	default:
		origin.Status, origin.Detail, origin.Code = Skip, "could not tell: the foreign-Origin dial failed otherwise", arsenal.CodeOf(err).String()
	}
	return append(out, origin)
}

func (p *wsProbe) cleanup(ctx context.Context) (int, error) { return 0, nil }
