package codegen

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/websocket"
)

func init() {
	matchers = append(matchers, func(c any) (Component, any, bool) {
		switch v := c.(type) {
		case websocket.Config:
			return WebSocket, v, true
		case *websocket.Config:
			if v != nil {
				return WebSocket, *v, true
			}
		}
		return "", nil, false
	})
	builders[WebSocket] = buildWebSocket
}

// wsHeader is one handshake header of the JavaScript view.
type wsHeader struct {
	Name   string // literal
	Value  string // literal, or a secret(...) expression
	Secret bool
}

// websocketGo is the view of the Go WebSocket template.
type websocketGo struct {
	Config string // the websocket.Config composite literal
	Basic  bool   // the template computes a Basic Authorization header (uses encoding/base64)
	Header bool   // the config sets handshake headers (uses net/http)
	Time   bool   // the config literal uses package time
}

// websocketJS is the view of the TypeScript and JavaScript WebSocket
// templates.
type websocketJS struct {
	URL                 string   // expression
	Protocols           []string // literals
	Headers             []wsHeader
	BasicUser, BasicPwd string // literal and expression ("" without userinfo in the URL)
	Compression         bool
	Level, Threshold    string
	NoContextTakeover   bool
	HandshakeMS         string
	MaxPayload          string
	SkipVerify          bool
	Proxy               string // expression ("" when none)
}

// secretHeader reports whether a header's value is a credential: it is
// read from the environment, never written into the source. Besides the
// names arsenal.IsSecretName flags (Authorization's auth, X-Api-Key,
// X-Signature, X-Auth-Token, session ids ...), Cookie always is.
func secretHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "cookie" || strings.Contains(n, "authorization") || arsenal.IsSecretName(name)
}

// secretQuery returns the URL's query parameters whose names look like
// credentials (access_token, sig, key ...), sorted, with their values.
func secretQuery(u *url.URL) (names, values []string) {
	q := u.Query()
	for k, vs := range q {
		if arsenal.IsSecretName(k) {
			names = append(names, k)
			values = append(values, vs...)
		}
	}
	slices.Sort(names)
	return names, values
}

// headerEnv is the environment variable holding a secret header's value.
func headerEnv(name string) string {
	var b strings.Builder
	b.WriteString("WS_HEADER_")
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func buildWebSocket(g *gen, config any) (any, error) {
	c := config.(websocket.Config)
	u, err := url.Parse(c.URL)
	if err != nil { // Validate has parsed it already
		return nil, err
	}
	var user, pwd string
	hasUser := u.User != nil
	if hasUser {
		user = u.User.Username()
		pwd, _ = u.User.Password()
		u.User = nil
	}
	dialURL := u.String()
	names := make([]string, 0, len(c.Header))
	for k := range c.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	hasAuthHeader := false
	for _, k := range names {
		if http.CanonicalHeaderKey(k) == "Authorization" {
			hasAuthHeader = true
		}
	}
	basic := hasUser && !hasAuthHeader
	g.websocketAdvice(c, u, basic)

	// A credential in the query (?access_token=...) makes the whole URL a
	// secret: it is read from WS_URL with no default in the source.
	urlExpr := func() string { return g.envVar("WS_URL", "URL", dialURL) }
	if qnames, qvalues := secretQuery(u); len(qnames) > 0 {
		g.security = append(g.security, warn("URL", "the URL's query carries a credential (%s): the whole URL is read from WS_URL, with no default in the source; a header keeps it out of server and proxy logs", strings.Join(qnames, ", ")))
		once := ""
		urlExpr = func() string {
			if once == "" {
				once = g.secret("WS_URL", "URL", dialURL)
				for _, v := range qvalues {
					g.sec = append(g.sec, secretUse{field: "URL", env: "WS_URL", value: v})
				}
			}
			return once
		}
	}
	// A user name without a password (wss://TOKEN@host) is a token.
	userExpr := func() string { return g.str("URL", user) }
	if hasUser && pwd == "" && user != "" {
		userExpr = func() string { return g.secret("WS_USER", "URL", user) }
	}

	// Secret header environment names, made unique.
	envOf := map[string]string{}
	usedEnv := map[string]bool{}
	for _, k := range names {
		if !secretHeader(k) {
			continue
		}
		e := headerEnv(k)
		for i := 2; usedEnv[e]; i++ {
			e = fmt.Sprintf("%s_%d", headerEnv(k), i)
		}
		usedEnv[e] = true
		envOf[k] = e
	}
	secretValue := func(k string) string {
		return g.secret(envOf[k], "Header", strings.Join(c.Header[k], ", "))
	}

	if g.t.Language == Go {
		g.dep("github.com/infra-arsenal/arsenal")
		opts := map[string]string{}
		var hdr []string
		for _, k := range names {
			if _, ok := envOf[k]; ok {
				hdr = append(hdr, g.str("Header", k)+": {"+secretValue(k)+"}")
				continue
			}
			vals := make([]string, len(c.Header[k]))
			for i, v := range c.Header[k] {
				vals[i] = g.str("Header", v)
			}
			hdr = append(hdr, g.str("Header", k)+": {"+strings.Join(vals, ", ")+"}")
		}
		if basic {
			cred := userExpr() + ` + ":" + ` + g.secret("WS_PASSWORD", "URL", pwd)
			hdr = append(hdr, `"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(`+cred+`))}`)
		}
		if len(hdr) > 0 {
			opts["Header"] = "http.Header{\n" + strings.Join(hdr, ",\n") + ",\n}"
		}
		if c.Proxy != "" {
			opts["Proxy"] = g.wsProxy(c.Proxy)
		}
		o := c.Options
		o.Security = security.Options{} // Go values, reported by websocketAdvice
		exprs := map[string]string{
			"URL":     urlExpr(),
			"Options": g.goConfig("websocket", o, opts),
		}
		lit := g.goConfig("websocket", c, exprs)
		return websocketGo{Config: lit, Basic: basic, Header: len(hdr) > 0, Time: strings.Contains(lit, "time.")}, nil
	}

	if g.t.Framework == Node {
		g.dep("ws")
	}
	v := websocketJS{
		URL:               urlExpr(),
		Compression:       !c.DisableCompression,
		NoContextTakeover: c.NoContextTakeover,
		SkipVerify:        c.InsecureSkipVerify,
		HandshakeMS:       JSMillis(def(c.HandshakeTimeout, websocket.DefaultHandshakeTimeout)),
	}
	for _, p := range c.Subprotocols {
		v.Protocols = append(v.Protocols, g.str("Subprotocols", p))
	}
	for _, k := range names {
		if _, ok := envOf[k]; ok {
			v.Headers = append(v.Headers, wsHeader{Name: g.str("Header", k), Value: secretValue(k), Secret: true})
			continue
		}
		v.Headers = append(v.Headers, wsHeader{Name: g.str("Header", k), Value: g.str("Header", strings.Join(c.Header[k], ", "))})
	}
	if basic {
		v.BasicUser = userExpr()
		v.BasicPwd = g.secret("WS_PASSWORD", "URL", pwd)
	}
	level := c.CompressionLevel
	if level == 0 {
		level = websocket.DefaultCompressionLevel
	}
	v.Level = g.int("CompressionLevel", int64(level))
	threshold := c.CompressionThreshold
	switch {
	case threshold == 0:
		threshold = websocket.DefaultCompressionThreshold
	case threshold < 0:
		threshold = 0
	}
	v.Threshold = g.int("CompressionThreshold", int64(threshold))
	limit := c.ReadLimit
	if limit == 0 {
		limit = websocket.DefaultReadLimit
	}
	v.MaxPayload = g.int("ReadLimit", limit)
	if c.Proxy != "" && g.t.Framework != Node {
		v.Proxy = g.wsProxy(c.Proxy)
	}
	return v, nil
}

// wsProxy returns the expression of the proxy URL: a secret when it holds
// credentials.
func (g *gen) wsProxy(proxy string) string {
	if pu, err := url.Parse(proxy); err == nil && pu.User != nil {
		return g.secret("WS_PROXY", "Proxy", proxy)
	}
	return g.envVar("WS_PROXY", "Proxy", proxy)
}

func (g *gen) websocketAdvice(c websocket.Config, u *url.URL, basic bool) {
	// Security.
	if strings.EqualFold(u.Scheme, "ws") && !loopbackHost(u.Host) {
		g.security = append(g.security, warn("URL", "ws:// to %s is not encrypted; use wss:// beyond the local machine", u.Host))
		if basic || len(c.Header) > 0 {
			g.security = append(g.security, warn("Header", "handshake credentials travel in clear text over ws://"))
		}
	}
	if c.InsecureSkipVerify {
		g.security = append(g.security, warn("InsecureSkipVerify", "the server's certificate is not verified; anyone on the path can impersonate it"))
	}
	if basic {
		g.security = append(g.security, info("URL", "the URL's user information becomes a Basic Authorization header; the password is read from WS_PASSWORD"))
	}
	g.websocketSecurityAdvice(&c.Security)

	// Performance.
	if c.DisableCompression {
		g.perf = append(g.perf, info("DisableCompression", "compression is off: large or repetitive text messages (JSON) often shrink 60-80%% with permessage-deflate"))
	} else {
		if c.NoContextTakeover {
			g.perf = append(g.perf, info("NoContextTakeover", "without context takeover small similar messages compress poorly; keep it for many small JSON events, drop it to save memory per connection"))
		}
		if c.CompressionThreshold < 0 {
			g.perf = append(g.perf, info("CompressionThreshold", "every message is compressed, even tiny ones whose deflate overhead outweighs the saving"))
		}
		if c.CompressionLevel >= 8 {
			g.perf = append(g.perf, info("CompressionLevel", "level %d costs much more CPU than 5 for a few percent smaller messages", c.CompressionLevel))
		}
	}
	if c.PingInterval < 0 {
		g.perf = append(g.perf, warn("PingInterval", "keepalive is off: a dead peer behind a NAT or proxy goes unnoticed until the next write"))
	}
	if !g.t.Has(WebSocketReconnect) {
		g.perf = append(g.perf, info("", "long-lived clients should reconnect with backoff (the reconnect feature) rather than fail on the first drop"))
	}
	if c.ReadLimit > 64<<20 {
		g.perf = append(g.perf, warn("ReadLimit", "a %d-byte read limit lets one peer make this process buffer that much per message", c.ReadLimit))
	}

	// Compatibility.
	switch g.t.Framework {
	case Arsenal:
		if c.HandshakeTimeout > time.Minute {
			g.perf = append(g.perf, warn("HandshakeTimeout", "%s is long: a dial to a dead host waits that long", c.HandshakeTimeout))
		}
	case Bun:
		if c.DisableCompression {
			g.compat = append(g.compat, warn("DisableCompression", "Bun's WebSocket client always offers permessage-deflate; it cannot be turned off"))
		}
		if c.CompressionLevel != 0 || c.CompressionThreshold != 0 || c.NoContextTakeover {
			g.compat = append(g.compat, info("CompressionLevel", "Bun's WebSocket client has no compression level, threshold or context-takeover settings; its own defaults apply"))
		}
		g.compat = append(g.compat, info("ReadLimit", "Bun's WebSocket client has no message size limit or keepalive settings (ReadLimit, PingInterval, PongTimeout are not applied)"))
		g.compat = append(g.compat, info("BackpressureLimit", "Bun's client has no send queue limit: watch ws.bufferedAmount for backpressure"))
	case Node:
		if c.Proxy != "" {
			g.compat = append(g.compat, warn("Proxy", "ws needs an agent package (https-proxy-agent) for a CONNECT proxy, which the program does not use: it connects directly"))
		}
		if c.PingInterval >= 0 {
			g.compat = append(g.compat, info("PingInterval", "ws sends no keepalive pings by itself; call ws.ping() on a timer to detect dead peers"))
		}
		g.compat = append(g.compat, info("BackpressureLimit", "ws has no send queue limit: watch ws.bufferedAmount for backpressure"))
	case Deno:
		g.compat = append(g.compat, warn("DisableCompression", "Deno's WebSocket client does not offer permessage-deflate: messages travel uncompressed"))
		g.compat = append(g.compat, info("Header", "custom handshake headers are a Deno extension of the WebSocket constructor; browsers cannot set them"))
		if c.InsecureSkipVerify {
			g.compat = append(g.compat, warn("InsecureSkipVerify", "Deno cannot skip certificate checks per socket: run with --unsafely-ignore-certificate-errors"))
		}
		if c.Proxy != "" {
			g.compat = append(g.compat, info("Proxy", "the program routes the handshake through the proxy with Deno.createHttpClient"))
		}
		g.compat = append(g.compat, info("ReadLimit", "Deno's WebSocket client has no message size limit or keepalive settings (ReadLimit, PingInterval, PongTimeout are not applied)"))
	}
	if g.t.Language != Go && c.TLSConfig != nil {
		g.compat = append(g.compat, warn("TLSConfig", "custom TLS settings are not rendered: pass them to the runtime's tls options"))
	}
}

// websocketSecurityAdvice reports the Security options, which are Go
// values (a policy, an auditor, a TLS builder, a credential provider) and
// are never rendered.
func (g *gen) websocketSecurityAdvice(o *security.Options) {
	var set []string
	if o.Policy != nil {
		set = append(set, "Policy")
	}
	if o.Audit != nil {
		set = append(set, "Audit")
	}
	if o.TLS != nil {
		set = append(set, "TLS")
	}
	if o.Credentials != nil {
		set = append(set, "Credentials")
	}
	if len(set) == 0 {
		return
	}
	list := strings.Join(set, ", ")
	if g.t.Language == Go {
		g.security = append(g.security, warn("Security", "Security.%s is not rendered (Go values, not configuration): set Options.Security in the program, or the connection runs without it", strings.Join(set, ", Security.")))
	} else {
		g.security = append(g.security, warn("Security", "Security (%s) has no equivalent in this runtime's WebSocket client and is not rendered: authorize and audit in the program, and give the CA and the Authorization header through the runtime's own options", list))
	}
	if o.TLS != nil && o.TLS.InsecureSkipVerify {
		g.security = append(g.security, warn("Security.TLS", "the server's certificate is not verified; anyone on the path can impersonate it"))
	}
}
