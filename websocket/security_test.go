package websocket_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/websocket"
)

// auditLog is a capturing slog handler's output: JSON lines.
type auditLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (a *auditLog) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.buf.Write(p)
}

func (a *auditLog) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.buf.String()
}

// events returns the audit records as maps.
func (a *auditLog) events(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(a.String()))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		out = append(out, m)
	}
	return out
}

// find returns the audit records of op on resource.
func (a *auditLog) find(t *testing.T, op, resource string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range a.events(t) {
		if e["operation"] == op && e["resource"] == resource {
			out = append(out, e)
		}
	}
	return out
}

func newAuditor(log *auditLog) *security.Auditor {
	return security.NewAuditor(slog.NewJSONHandler(log, nil), nil)
}

// withPrincipal is an authenticating middleware for the tests: the X-User
// header names the principal, who has the role member.
func withPrincipal(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-User"); u != "" {
			r = r.WithContext(security.WithPrincipal(r.Context(), security.Principal{Name: u, Roles: []string{"member"}}))
		}
		h.ServeHTTP(w, r)
	})
}

// startSecuredServer serves srv behind withPrincipal and returns the
// server connections as they open, by the X-User of their upgrade.
func startSecuredServer(t *testing.T, cfg websocket.ServerConfig) (*websocket.Server, string, chan *websocket.Conn) {
	t.Helper()
	opened := make(chan *websocket.Conn, 8)
	cfg.OnOpen = func(c *websocket.Conn) { opened <- c }
	srv, err := websocket.NewServer(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(withPrincipal(srv))
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	return srv, "ws" + strings.TrimPrefix(hs.URL, "http"), opened
}

func chatPolicy(t *testing.T) *security.Policy {
	t.Helper()
	p, err := security.NewPolicy(
		security.Rule{Name: "anyone connects", Effect: security.Allow, Component: "websocket", Operation: "upgrade"},
		security.Rule{Name: "no private paths", Effect: security.Deny, Component: "websocket", Operation: "upgrade", Resource: "/private*"},
		security.Rule{Name: "members chat", Effect: security.Allow, Role: "member", Component: "websocket", Operation: "subscribe,publish", Resource: "chat/*"},
		security.Rule{Name: "no announcements", Effect: security.Deny, Component: "websocket", Operation: "publish", Resource: "chat/announce*"},
	)
	require.NoError(t, err)
	return p
}

func dialAs(t *testing.T, ctx context.Context, url, user string, opened chan *websocket.Conn) (*websocket.Conn, *websocket.Conn) {
	t.Helper()
	cl, err := websocket.Dial(ctx, url, &websocket.Options{Header: http.Header{"X-User": {user}}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })
	select {
	case sc := <-opened:
		return cl, sc
	case <-ctx.Done():
		t.Fatal("the server connection did not open")
	}
	return nil, nil
}

// A publish to a forbidden topic and a subscribe outside the allowed
// topics are refused as PermissionDenied naming the rule, nothing reaches
// any peer, and every call is audited with its outcome and code.
func TestPolicyRefusesForbiddenPublishAndSubscribe(t *testing.T) {
	audit := &auditLog{}
	rec := &recorder{}
	srv, url, opened := startSecuredServer(t, websocket.ServerConfig{
		Observer: rec,
		Security: security.Options{Policy: chatPolicy(t), Audit: newAuditor(audit)},
	})
	ctx := ctxT(t, 10*time.Second)
	_, alice := dialAs(t, ctx, url, "alice", opened)
	bob, bobSrv := dialAs(t, ctx, url, "bob", opened)

	require.NoError(t, bobSrv.Subscribe("chat/announce"))
	require.NoError(t, bobSrv.Subscribe("chat/room"))

	n, err := alice.Publish("chat/announce", websocket.Text, []byte("forbidden"))
	require.Error(t, err)
	assert.Equal(t, 0, n)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), `denied by rule "no announcements"`)
	assert.Contains(t, err.Error(), "alice")
	assert.Equal(t, arsenal.PermissionDenied, rec.end(t, "publish").Code, "the observer sees the refusal")

	err = bobSrv.Subscribe("admin/secrets")
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "no rule allows it")
	assert.False(t, bobSrv.IsSubscribed("admin/secrets"))
	assert.Equal(t, []string{"chat/announce", "chat/room"}, bobSrv.Subscriptions())

	// The server's own Publish runs as the anonymous principal: no rule
	// lets it publish to chat/*.
	_, err = srv.Publish("chat/room", websocket.Text, []byte("from the server"))
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))

	// PublishContext publishes as its context's principal; a done
	// context fails first.
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = srv.PublishContext(done, "chat/room", websocket.Text, []byte("cancelled"))
	assert.Equal(t, arsenal.Canceled, arsenal.CodeOf(err))
	member := security.WithPrincipal(ctx, security.Principal{Name: "ops", Roles: []string{"member"}})
	_, err = srv.PublishContext(member, "chat/announce", websocket.Text, []byte("still forbidden"))
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))

	n, err = alice.Publish("chat/room", websocket.Text, []byte("hello"))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = srv.PublishContext(member, "chat/room", websocket.Text, []byte("from ops"))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	// The first message bob gets is the allowed one: the refused
	// publishes never reached him.
	typ, data, err := bob.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, websocket.Text, typ)
	assert.Equal(t, "hello", string(data))
	_, data, err = bob.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "from ops", string(data))

	pub := srv.Stats().Ops["publish"]
	assert.Equal(t, uint64(6), pub.Count, "refused publishes are counted")
	assert.Equal(t, uint64(4), pub.Errors)

	denied := audit.find(t, "publish", "chat/announce")
	require.Len(t, denied, 2, "alice's and ops'")
	assert.Equal(t, "denied", denied[0]["outcome"])
	assert.Equal(t, "PermissionDenied", denied[0]["code"])
	assert.Equal(t, "no announcements", denied[0]["rule"])
	assert.Equal(t, "alice", denied[0]["principal"])
	assert.Equal(t, "websocket", denied[0]["component"])
	assert.Equal(t, "WARN", denied[0]["level"])

	ok := audit.find(t, "publish", "chat/room")
	require.Len(t, ok, 3, "the server's refused publish, alice's and ops' allowed ones (the cancelled one never got to the policy)")
	assert.Equal(t, "", ok[0]["principal"])
	assert.Equal(t, "denied", ok[0]["outcome"])
	assert.Equal(t, "alice", ok[1]["principal"])
	assert.Equal(t, "ok", ok[1]["outcome"])
	assert.Equal(t, "OK", ok[1]["code"])
	assert.Equal(t, "INFO", ok[1]["level"])
	assert.Equal(t, "ops", ok[2]["principal"])
	assert.Equal(t, "ok", ok[2]["outcome"])
	assert.Equal(t, "ops", denied[1]["principal"])

	sub := audit.find(t, "subscribe", "admin/secrets")
	require.Len(t, sub, 1)
	assert.Equal(t, "bob", sub[0]["principal"])
	assert.Equal(t, "denied", sub[0]["outcome"])
	assert.Equal(t, "PermissionDenied", sub[0]["code"])
	require.Len(t, audit.find(t, "subscribe", "chat/room"), 1)
	assert.Equal(t, "ok", audit.find(t, "subscribe", "chat/room")[0]["outcome"])

	up := audit.find(t, "upgrade", "/")
	require.Len(t, up, 2)
	assert.Equal(t, "ok", up[0]["outcome"])
}

// An upgrade the policy refuses is answered 403 before the handshake:
// the client sees PermissionDenied and no connection opens.
func TestPolicyRefusesUpgradeBeforeTheHandshake(t *testing.T) {
	audit := &auditLog{}
	srv, url, opened := startSecuredServer(t, websocket.ServerConfig{
		Security: security.Options{Policy: chatPolicy(t), Audit: newAuditor(audit)},
	})
	ctx := ctxT(t, 10*time.Second)
	_, err := websocket.Dial(ctx, url+"/private/room", &websocket.Options{Header: http.Header{"X-User": {"carol"}}})
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	var he *websocket.HandshakeError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusForbidden, he.StatusCode)
	assert.Empty(t, opened)
	st := srv.ServerStats()
	assert.Equal(t, uint64(0), st.UpgradesAccepted)
	assert.Equal(t, uint64(1), st.UpgradesRefused)
	ev := audit.find(t, "upgrade", "/private/room")
	require.Len(t, ev, 1)
	assert.Equal(t, "carol", ev[0]["principal"])
	assert.Equal(t, "denied", ev[0]["outcome"])
	assert.Equal(t, "no private paths", ev[0]["rule"])

	// An origin refused after the policy allowed the upgrade is audited
	// too, as an error with its code.
	_, err = websocket.Dial(ctx, url+"/room", &websocket.Options{Header: http.Header{"Origin": {"https://evil.example"}}})
	require.Error(t, err)
	ev = audit.find(t, "upgrade", "/room")
	require.Len(t, ev, 1)
	assert.Equal(t, "PermissionDenied", ev[0]["code"])
}

// tokenServer accepts upgrades whose Authorization header is one of
// want, and reports every Authorization it saw.
func tokenServer(t *testing.T, want ...string) (*websocket.Server, string, chan string) {
	t.Helper()
	seen := make(chan string, 16)
	srv, url := startServer(t, websocket.ServerConfig{
		OnMessage: echo,
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			got := r.Header.Get("Authorization")
			seen <- got
			for _, w := range want {
				if got == w {
					return nil, nil, nil
				}
			}
			return nil, nil, arsenal.Errorf(arsenal.Unauthenticated, "test", "upgrade", "bad credentials")
		},
	})
	return srv, url, seen
}

// Security.Credentials supplies the Authorization header on every dial,
// in place of a static one: Bearer for a token, Basic for a user.
func TestCredentialsProviderSuppliesTheAuthorizationHeader(t *testing.T) {
	basic := "Basic dXNlcjpwYXNzLXcw" // user:pass-w0
	_, url, seen := tokenServer(t, "Bearer tok-123", basic)
	ctx := ctxT(t, 10*time.Second)

	c, err := websocket.Dial(ctx, url, &websocket.Options{
		Header:   http.Header{"authorization": {"Bearer stale"}},
		Security: security.Options{Credentials: security.Static(security.Credentials{Secret: security.NewSecret("tok-123")})},
	})
	require.NoError(t, err)
	assert.Equal(t, "Bearer tok-123", <-seen)
	require.NoError(t, c.WriteText(ctx, "hi"))
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(data))
	require.NoError(t, c.Close())

	c, err = websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{Credentials: security.StaticUser("user", "pass-w0")}})
	require.NoError(t, err)
	assert.Equal(t, basic, <-seen)
	require.NoError(t, c.Close())

	// The provider's header replaces the URL's user information too.
	withUser := strings.Replace(url, "ws://", "ws://other:pw@", 1)
	c, err = websocket.Dial(ctx, withUser, &websocket.Options{Security: security.Options{Credentials: security.Static(security.Credentials{Secret: security.NewSecret("tok-123")})}})
	require.NoError(t, err)
	assert.Equal(t, "Bearer tok-123", <-seen)
	require.NoError(t, c.Close())

	// A provider is asked on every dial: a rotated token is used at once.
	tokens := []string{"tok-old", "tok-123"}
	var mu sync.Mutex
	rotating := security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		tok := tokens[0]
		if len(tokens) > 1 {
			tokens = tokens[1:]
		}
		return security.Credentials{Secret: security.NewSecret(tok)}, nil
	})
	opts := &websocket.Options{Security: security.Options{Credentials: rotating}}
	_, err = websocket.Dial(ctx, url, opts)
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err))
	assert.Equal(t, "Bearer tok-old", <-seen)
	c, err = websocket.Dial(ctx, url, opts)
	require.NoError(t, err)
	assert.Equal(t, "Bearer tok-123", <-seen)
	require.NoError(t, c.Close())
}

// A failing provider, an empty credential and a dial the policy refuses
// all fail before any byte reaches the server; the audit names no secret.
func TestClientSecurityRefusesBeforeAnyIO(t *testing.T) {
	srv, url, seen := tokenServer(t, "Bearer tok-123")
	ctx := ctxT(t, 10*time.Second)

	failing := security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		return security.Credentials{}, fmt.Errorf("vault unreachable")
	})
	_, err := websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{Credentials: failing}})
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "vault unreachable")

	_, err = websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{Credentials: security.Static(security.Credentials{})}})
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err))

	// A provider that hangs is bounded by the handshake timeout.
	hanging := security.ProviderFunc(func(ctx context.Context) (security.Credentials, error) {
		<-ctx.Done()
		return security.Credentials{}, ctx.Err()
	})
	start := time.Now()
	_, err = websocket.Dial(ctx, url, &websocket.Options{HandshakeTimeout: 100 * time.Millisecond, Security: security.Options{Credentials: hanging}})
	assert.Equal(t, arsenal.DeadlineExceeded, arsenal.CodeOf(err), "%v", err)
	assert.Less(t, time.Since(start), 5*time.Second)

	audit := &auditLog{}
	pol, err := security.NewPolicy(
		security.Rule{Name: "internal only", Effect: security.Allow, Component: "websocket", Operation: "dial", Resource: "wss://internal.example/*"},
	)
	require.NoError(t, err)
	cfg := websocket.Config{URL: url + "/feed?access_token=tok-123", Options: websocket.Options{Security: security.Options{
		Policy: pol, Audit: newAuditor(audit), Credentials: security.Static(security.Credentials{Secret: security.NewSecret("tok-123")}),
	}}}
	_, err = websocket.Open(ctx, cfg)
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "no rule allows it")
	assert.NotContains(t, err.Error(), "tok-123")

	st := srv.ServerStats()
	assert.Equal(t, uint64(0), st.UpgradesAccepted+st.UpgradesRefused, "no request reached the server")
	assert.Empty(t, seen)
	ev := audit.events(t)
	require.Len(t, ev, 1)
	assert.Equal(t, "dial", ev[0]["operation"])
	assert.Equal(t, "denied", ev[0]["outcome"])
	assert.NotContains(t, audit.String(), "tok-123")

	// The principal is the dial context's: the service may dial, the
	// anonymous caller may not, and the allowed dial is audited.
	pol, err = security.NewPolicy(security.Rule{Effect: security.Allow, Principal: "svc", Component: "websocket", Operation: "dial"})
	require.NoError(t, err)
	cfg.Security.Policy = pol
	_, err = websocket.Open(ctx, cfg)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	c, err := websocket.Open(security.WithPrincipal(ctx, security.Principal{Name: "svc"}), cfg)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	ev = audit.events(t)
	require.Len(t, ev, 3)
	assert.Equal(t, "", ev[1]["principal"])
	assert.Equal(t, "denied", ev[1]["outcome"])
	assert.Equal(t, "svc", ev[2]["principal"])
	assert.Equal(t, "ok", ev[2]["outcome"])
	assert.Equal(t, "OK", ev[2]["code"])
	assert.NotContains(t, audit.String(), "tok-123")
}

// leakyProvider holds its token in a plain field, as a user's provider
// might.
type leakyProvider struct{ Token string }

func (p leakyProvider) Credentials(context.Context) (security.Credentials, error) {
	return security.Credentials{Secret: security.NewSecret(p.Token)}, nil
}

// Printing a Config with Security set shows no credential, whatever the
// provider holds.
func TestConfigWithSecurityPrintsNoSecret(t *testing.T) {
	const secret = "hunter2-provider-token"
	cfg := websocket.Config{URL: "wss://example.com/feed", Options: websocket.Options{Security: security.Options{
		Credentials: leakyProvider{Token: secret}, TLS: &security.TLS{ServerName: "example.com"},
	}}}
	rc := websocket.ReconnectConfig{Config: cfg}
	var logged bytes.Buffer
	lg := slog.New(slog.NewJSONHandler(&logged, nil))
	lg.Info("cfg", "config", cfg, "reconnect", rc)
	outs := []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%+v", rc), fmt.Sprintf("%#v", cfg.Options), logged.String()}
	for _, out := range outs {
		assert.NotContains(t, out, secret)
	}
	assert.Contains(t, fmt.Sprintf("%+v", cfg), "Credentials:xxxxx")
	assert.Contains(t, logged.String(), `"credentials":true`)
	assert.Contains(t, logged.String(), `"tls":true`)
}

// Security.TLS is the server's certificate (NewHTTPServer serves it) and
// the client's trust: a wss:// round trip works with the test CA and
// fails without it.
func TestSecurityTLSServesAndVerifiesWSS(t *testing.T) {
	certs := testenv.NewTLSCerts(t)
	certFile, keyFile := certs.IssueLocal(t, "ws-server")
	srv, err := websocket.NewServer(websocket.ServerConfig{OnMessage: echo, Security: security.Options{TLS: &security.TLS{CertFile: certFile, KeyFile: keyFile}}})
	require.NoError(t, err)
	require.NotNil(t, srv.TLSConfig())
	url := serveTLS(t, srv)
	ctx := ctxT(t, 10*time.Second)

	c, err := websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{TLS: &security.TLS{CAFiles: []string{certs.CAFile}}}})
	require.NoError(t, err)
	require.NoError(t, c.WriteText(ctx, "over tls"))
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "over tls", string(data))
	require.NoError(t, c.Close())

	// Without the CA the server is not trusted: a coded error, not a
	// connection.
	_, err = websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{TLS: &security.TLS{}}})
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)

	// Security.TLS replaces InsecureSkipVerify: verification stays on.
	_, err = websocket.Dial(ctx, url, &websocket.Options{InsecureSkipVerify: true, Security: security.Options{TLS: &security.TLS{}}})
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err))

	// A certificate pair that does not load is refused by NewServer.
	_, err = websocket.NewServer(websocket.ServerConfig{Security: security.Options{TLS: &security.TLS{CertFile: certFile, KeyFile: certFile}}})
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
}

// A Reconnecting client asks its provider again on every reconnect: a
// rotated token is what the next handshake carries.
func TestReconnectAsksTheCredentialsProviderAgain(t *testing.T) {
	seen := make(chan string, 16)
	opened := make(chan *websocket.Conn, 16)
	_, url := startServer(t, websocket.ServerConfig{
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			seen <- r.Header.Get("Authorization")
			return nil, nil, nil
		},
		OnOpen: func(c *websocket.Conn) { opened <- c },
	})
	var mu sync.Mutex
	calls := 0
	provider := security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return security.Credentials{Secret: security.NewSecret(fmt.Sprintf("tok-%d", calls))}, nil
	})
	rc, err := websocket.NewReconnecting(websocket.ReconnectConfig{
		Config: websocket.Config{URL: url, Options: websocket.Options{PingInterval: -1, Security: security.Options{Credentials: provider}}},
		Retry:  websocket.RetryPolicy{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	ctx := ctxT(t, 10*time.Second)
	require.NoError(t, rc.WaitConnected(ctx))
	assert.Equal(t, "Bearer tok-1", <-seen)
	first := <-opened
	require.NoError(t, first.CloseWith(websocket.StatusGoingAway, "rotate"))
	select {
	case got := <-seen:
		assert.Equal(t, "Bearer tok-2", got)
	case <-ctx.Done():
		t.Fatal("no reconnect")
	}
	waitFor(t, "the reconnect", 5*time.Second, func() bool { return rc.Reconnects() >= 1 })
}

// serveTLS serves srv over TLS on loopback through NewHTTPServer and
// returns its wss:// URL.
func serveTLS(t *testing.T, srv *websocket.Server) string {
	t.Helper()
	hs := websocket.NewHTTPServer("127.0.0.1:0", srv)
	require.NotNil(t, hs.TLSConfig)
	hs.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- hs.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = hs.Close()
		<-done
	})
	return "wss://" + ln.Addr().String() + "/"
}

// Mutual TLS from Security.TLS on both sides: a client with a
// certificate from the CA gets in, one without is refused; an expired
// server certificate is Unauthenticated.
func TestSecurityTLSMutualAndExpired(t *testing.T) {
	certs := testenv.NewTLSCerts(t)
	certFile, keyFile := certs.IssueLocal(t, "ws-server")
	clientCert, clientKey := certs.IssueLocal(t, "ws-client")
	srv, err := websocket.NewServer(websocket.ServerConfig{OnMessage: echo, Security: security.Options{TLS: &security.TLS{
		CertFile: certFile, KeyFile: keyFile, ClientCAFiles: []string{certs.CAFile},
	}}})
	require.NoError(t, err)
	url := serveTLS(t, srv)
	ctx := ctxT(t, 10*time.Second)

	c, err := websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{TLS: &security.TLS{
		CAFiles: []string{certs.CAFile}, CertFile: clientCert, KeyFile: clientKey,
	}}})
	require.NoError(t, err)
	require.NoError(t, c.WriteText(ctx, "mutual"))
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "mutual", string(data))
	require.NoError(t, c.Close())

	_, err = websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{TLS: &security.TLS{CAFiles: []string{certs.CAFile}}}})
	require.Error(t, err, "no client certificate")
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)
	assert.Equal(t, uint64(1), srv.ServerStats().UpgradesAccepted, "only the client with a certificate got in")

	expCert, expKey, err := certs.Issue("ws-expired", []string{"127.0.0.1"}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	expired, err := websocket.NewServer(websocket.ServerConfig{Security: security.Options{TLS: &security.TLS{CertFile: expCert, KeyFile: expKey}}})
	require.NoError(t, err)
	expURL := serveTLS(t, expired)
	_, err = websocket.Dial(ctx, expURL, &websocket.Options{Security: security.Options{TLS: &security.TLS{CAFiles: []string{certs.CAFile}}}})
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)
}
