package redis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

// auditLog is a slog JSON handler's output, safe for concurrent writes.
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

// events returns the audit records, decoded.
func (a *auditLog) events(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(a.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// find returns the audit records of op on resource.
func find(evs []map[string]any, op, resource string) []map[string]any {
	var out []map[string]any
	for _, e := range evs {
		if e["operation"] == op && e["resource"] == resource {
			out = append(out, e)
		}
	}
	return out
}

// commandCalls returns redis-server's INFO commandstats calls of cmd
// (lower case), read with a client that has no policy.
func commandCalls(t *testing.T, plain *redis.Client, cmd string) int {
	t.Helper()
	r, err := plain.Do(ctxT(t), "INFO", "commandstats")
	require.NoError(t, err)
	info, err := r.String()
	require.NoError(t, err)
	for line := range strings.SplitSeq(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls="); ok {
			n := 0
			for _, ch := range rest {
				if ch < '0' || ch > '9' {
					break
				}
				n = n*10 + int(ch-'0')
			}
			return n
		}
	}
	return 0
}

func appPolicy(t testing.TB) *security.Policy {
	t.Helper()
	pol, err := security.NewPolicy(
		security.Rule{Name: "no-del-protected", Effect: security.Deny, Component: "redis", Operation: "del,unlink", Resource: "protected:*"},
		security.Rule{Name: "no-flush", Effect: security.Deny, Component: "redis", Operation: "flushall,flushdb"},
		security.Rule{Name: "no-secret-channels", Effect: security.Deny, Component: "redis", Operation: "publish,subscribe,psubscribe", Resource: "secret.*"},
		security.Rule{Name: "app", Effect: security.Allow, Principal: "app", Component: "redis"},
	)
	require.NoError(t, err)
	return pol
}

func TestSecurityDeniedDelNeverReachesTheServer(t *testing.T) {
	const pw = "audit-must-not-show-this-pw"
	srv := startReal(t, "--requirepass", pw)
	plain := openAt(t, srv, func(c *redis.Config) { c.Password = security.NewSecret(pw) })
	var log auditLog
	rec := &recorder{}
	c := openAt(t, srv, func(c *redis.Config) {
		c.Observer = rec
		c.Security = security.Options{
			Policy:      appPolicy(t),
			Audit:       security.NewAuditor(slog.NewJSONHandler(&log, nil), nil),
			Credentials: security.StaticUser("", pw),
		}
	})
	ctx := security.WithPrincipal(ctxT(t), security.Principal{Name: "app"})
	require.NoError(t, c.Set(ctx, "protected:a", "v"))
	require.NoError(t, c.Set(ctx, "free:b", "v"))
	before := commandCalls(t, plain, "del")

	denied := func(what string, err error) {
		t.Helper()
		require.Error(t, err, what)
		assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "%s: %v", what, err)
		assert.Contains(t, err.Error(), `"no-del-protected"`, "%s names the rule", what)
	}
	_, err := c.Del(ctx, "free:b", "protected:a") // one denied key refuses the whole call
	denied("Del", err)
	_, err = c.Do(ctx, "del", "protected:a")
	denied("Do del", err)
	_, err = c.Unlink(ctx, "protected:a")
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	p := c.Pipeline()
	p.Set("free:c", "v")
	p.Del("protected:a")
	denied("Pipeline", p.Exec(ctx))
	denied("TxPipelined", c.TxPipelined(ctx, func(p *redis.Pipeline) error {
		p.Del("protected:a")
		return nil
	}))

	assert.Equal(t, before, commandCalls(t, plain, "del"), "no DEL reached redis-server")
	v, err := plain.Get(ctxT(t), "protected:a")
	require.NoError(t, err)
	assert.Equal(t, "v", v, "the key is still there")
	_, err = plain.Get(ctxT(t), "free:c")
	assert.True(t, redis.IsNotFound(err), "nothing of the refused pipeline was sent: %v", err)

	// Every refused call is counted, as an error, in Stats and seen by
	// the Observer with its code.
	st := c.Stats().Ops["del"]
	assert.Equal(t, uint64(2), st.Count, "Del and Do(del)")
	assert.Equal(t, uint64(2), st.Errors)
	var deniedEnds int
	for _, e := range rec.endsOf("del") {
		if e.end.Code == arsenal.PermissionDenied {
			deniedEnds++
		}
	}
	assert.Equal(t, 2, deniedEnds, "the Observer saw Del and Do(del) refused")

	// Allowed calls go through, and so does a DEL outside the rule.
	n, err := c.Del(ctx, "free:b")
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	assert.Equal(t, before+1, commandCalls(t, plain, "del"))

	// No rule allows an anonymous caller; FLUSHALL has no resource.
	_, err = c.Get(ctxT(t), "free:b")
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "anonymous")
	_, err = c.Do(ctx, "FLUSHALL")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"no-flush"`)
	assert.Equal(t, 0, commandCalls(t, plain, "flushall"))

	// A failed call is audited with its code.
	_, err = c.Incr(ctx, "protected:a")
	require.Error(t, err)

	evs := log.events(t)
	for _, e := range find(evs, "del", "protected:a") {
		assert.Equal(t, "denied", e["outcome"])
		assert.Equal(t, "PermissionDenied", e["code"])
		assert.Equal(t, "no-del-protected", e["rule"])
		assert.Equal(t, "app", e["principal"])
		assert.Equal(t, "WARN", e["level"])
	}
	assert.Len(t, find(evs, "del", "protected:a"), 4, "Del, Do, the pipeline and the transaction")
	set := find(evs, "set", "protected:a")
	require.Len(t, set, 1)
	assert.Equal(t, "ok", set[0]["outcome"])
	assert.Equal(t, "OK", set[0]["code"])
	assert.Equal(t, "redis", set[0]["component"])
	flush := find(evs, "flushall", "")
	require.Len(t, flush, 1)
	assert.Equal(t, "no-flush", flush[0]["rule"])
	incr := find(evs, "incr", "protected:a")
	require.Len(t, incr, 1)
	assert.Equal(t, "error", incr[0]["outcome"])
	assert.Equal(t, arsenal.CodeOf(err).String(), incr[0]["code"])
	assert.Len(t, find(evs, "get", "free:b"), 1, "the anonymous GET")
	assert.NotContains(t, log.String(), pw)
}

func TestSecurityPublishAndSubscribeByChannel(t *testing.T) {
	var log auditLog
	c, _ := open(t, func(c *redis.Config) {
		c.Security = security.Options{Policy: appPolicy(t), Audit: security.NewAuditor(slog.NewJSONHandler(&log, nil), nil)}
	})
	ctx := security.WithPrincipal(ctxT(t), security.Principal{Name: "app"})
	_, err := c.Publish(ctx, "secret.keys", "x")
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	_, err = c.Subscribe(ctx, nil, "news", "secret.plans")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"no-secret-channels"`)
	_, err = c.PSubscribe(ctx, nil, "secret.*")
	require.Error(t, err)
	assert.Equal(t, uint64(2), c.Stats().Ops["subscribe"].Count+c.Stats().Ops["psubscribe"].Count)
	assert.Zero(t, c.ClientStats().Subscriptions)

	sub, err := c.Subscribe(ctx, nil, "news")
	require.NoError(t, err)
	defer sub.Unsubscribe(ctxT(t))
	_, err = c.Publish(ctx, "news", "hello")
	require.NoError(t, err)
	select {
	case m := <-sub.Messages():
		assert.Equal(t, "hello", m.Payload)
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	evs := log.events(t)
	assert.Len(t, find(evs, "subscribe", "news"), 1)
	assert.Len(t, find(evs, "publish", "news"), 1)
	assert.Len(t, find(evs, "publish", "secret.keys"), 1)
}

func TestSecurityWatchCachedAndScripts(t *testing.T) {
	pol, err := security.NewPolicy(
		security.Rule{Name: "ro", Effect: security.Allow, Role: "reader", Operation: "get,mget,watch"},
		security.Rule{Name: "no-eval-on-locks", Effect: security.Deny, Operation: "eval,evalsha", Resource: "lock:*"},
		security.Rule{Name: "writer", Effect: security.Allow, Role: "writer"},
	)
	require.NoError(t, err)
	c, _ := open(t, func(c *redis.Config) { c.Security.Policy = pol })
	reader := security.WithPrincipal(ctxT(t), security.Principal{Name: "r", Roles: []string{"reader"}})
	writer := security.WithPrincipal(ctxT(t), security.Principal{Name: "w", Roles: []string{"writer"}})
	k := prefix(t) + "k"
	require.NoError(t, c.Set(writer, k, "1"))

	_, err = c.CachedGet(reader, k, time.Minute)
	require.NoError(t, err)
	_, err = c.CachedMGet(reader, time.Minute, k)
	require.NoError(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(c.Set(reader, k, "2")), "a reader may not SET")

	err = c.Watch(reader, func(tx *redis.Tx) error {
		v, err := tx.Get(reader, k)
		require.NoError(t, err)
		assert.Equal(t, "1", v)
		_, err = tx.Do(reader, "STRLEN", k)
		assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "strlen is not in the reader's rule")
		return tx.Exec(reader, func(p *redis.Pipeline) error {
			p.Set(k, "2")
			return nil
		})
	}, k)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "the reader's EXEC of a SET: %v", err)
	v, err := c.Get(writer, k)
	require.NoError(t, err)
	assert.Equal(t, "1", v)

	// EVAL's keys are the ones after numkeys, not the script or the args.
	_, err = c.Eval(writer, "return 1", []string{"free:" + k}, "lock:x")
	require.NoError(t, err)
	_, err = c.Eval(writer, "return 1", []string{"lock:" + k})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"no-eval-on-locks"`)
}

func TestSecurityCredentialsProvider(t *testing.T) {
	const pw = "rotating-secret-1"
	srv := startReal(t, "--requirepass", pw)
	calls := 0
	var mu sync.Mutex
	c := openAt(t, srv, func(c *redis.Config) {
		c.Security.Credentials = security.ProviderFunc(func(context.Context) (security.Credentials, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			return security.Credentials{Secret: security.NewSecret(pw)}, nil
		})
	})
	require.NoError(t, c.Health(ctxT(t)))
	mu.Lock()
	assert.Positive(t, calls, "the provider was asked on connect")
	mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bad, err := redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr}, ConnectTimeout: 2 * time.Second,
		Security: security.Options{Credentials: security.StaticUser("", "wrong-pw")}})
	if bad != nil {
		bad.Close()
	}
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)
	assert.NotContains(t, err.Error(), "wrong-pw")

	failing := security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		return security.Credentials{}, assert.AnError
	})
	bad, err = redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr}, ConnectTimeout: 2 * time.Second,
		Security: security.Options{Credentials: failing}})
	if bad != nil {
		bad.Close()
	}
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)
}

func TestSecurityTLSBuildsTheClientConfig(t *testing.T) {
	pki := testenv.NewTLSCerts(t)
	other := testenv.NewTLSCerts(t)
	cf, kf := pki.IssueLocal(t, "redis")
	srv := testenv.StartTLSRedis(t, cf, kf, pki.CAFile, "no")

	c, err := redis.Open(ctxT(t), redis.Config{Addrs: []string{srv.TLSAddr},
		Security: security.Options{TLS: &security.TLS{CAFiles: []string{pki.CAFile}, NoSystemRoots: true}}})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Set(ctxT(t), "tls:k", "v"))
	assert.Contains(t, c.Describe(), "tls")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bad, err := redis.Open(ctx, redis.Config{Addrs: []string{srv.TLSAddr}, ConnectTimeout: 2 * time.Second,
		Security: security.Options{TLS: &security.TLS{CAFiles: []string{other.CAFile}, NoSystemRoots: true}}})
	if bad != nil {
		bad.Close()
	}
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "a server signed by another CA: %v", err)

	_, err = redis.Open(ctx, redis.Config{Addrs: []string{srv.TLSAddr},
		Security: security.Options{TLS: &security.TLS{CAFiles: []string{pki.Dir + "/missing.pem"}}}})
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "a CA file that does not load: %v", err)
}

func TestSecurityOptionsInConfigNeverPrintSecrets(t *testing.T) {
	const pw = "provider-pw-never-printed"
	cfg := redis.Config{Addrs: []string{"127.0.0.1:6379"}, Security: security.Options{
		Policy: appPolicy(t), Credentials: security.StaticUser("app", pw),
		TLS: &security.TLS{ServerName: "redis.internal"},
	}}
	for how, s := range printedNoJSON(cfg) {
		assert.NotContains(t, s, pw, "Config under %s", how)
	}
}

// printedNoJSON is printed without JSON: a Config holding a function
// (a ProviderFunc) cannot be marshalled, as with any func field.
func printedNoJSON(v any) map[string]string {
	out := map[string]string{
		"%v": fmt.Sprintf("%v", v), "%+v": fmt.Sprintf("%+v", v), "%#v": fmt.Sprintf("%#v", v),
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("cfg", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("cfg", "v", v)
	out["slog text"], out["slog json"] = text.String(), js.String()
	return out
}

func TestSecurityHealthIsNotCheckedPingIs(t *testing.T) {
	pol, err := security.NewPolicy(security.Rule{Name: "nothing", Effect: security.Deny})
	require.NoError(t, err)
	c, _ := open(t, func(c *redis.Config) { c.Security.Policy = pol })
	assert.NoError(t, c.Health(ctxT(t)), "a monitor's Health needs no principal")
	_, err = c.Ping(ctxT(t))
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), `"nothing"`)
}

func TestSecuritySelectIsCheckedByDatabase(t *testing.T) {
	pol, err := security.NewPolicy(
		security.Rule{Name: "not-db-3", Effect: security.Deny, Operation: "select", Resource: "3"},
		security.Rule{Name: "any", Effect: security.Allow},
	)
	require.NoError(t, err)
	c, _ := open(t, func(c *redis.Config) { c.Security.Policy = pol })
	_, err = c.Select(ctxT(t), 3)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"not-db-3"`)
	assert.Equal(t, uint64(1), c.Stats().Ops["select"].Errors)
	other, err := c.Select(ctxT(t), 4)
	require.NoError(t, err)
	defer other.Close()
	require.NoError(t, other.Set(ctxT(t), prefix(t)+"k", "v"), "the new Client keeps the policy, which allows this")
}

func TestSecurityAuditWithoutPolicy(t *testing.T) {
	const userPw = "acl-user-pw-never-audited"
	srv := startReal(t)
	var log auditLog
	c := openAt(t, srv, func(c *redis.Config) {
		c.Security.Audit = security.NewAuditor(slog.NewJSONHandler(&log, nil), nil)
	})
	ctx := security.WithPrincipal(ctxT(t), security.Principal{Name: "ops"})
	require.NoError(t, c.Set(ctx, "k", "value-not-audited"))
	_, err := c.MGet(ctx, "k", "missing")
	require.NoError(t, err)
	_, err = c.Do(ctx, "ACL", "SETUSER", "bob", "on", ">"+userPw, "~*", "+get")
	require.NoError(t, err)
	_, err = c.Get(ctx, "missing")
	require.True(t, redis.IsNotFound(err))

	evs := log.events(t)
	require.Len(t, find(evs, "set", "k"), 1)
	assert.Equal(t, "ops", find(evs, "set", "k")[0]["principal"])
	assert.Len(t, find(evs, "mget", "k missing"), 1, "every key of the call")
	acl := find(evs, "acl setuser", "")
	require.Len(t, acl, 1, "a container command is audited by subcommand, without arguments")
	assert.Equal(t, "ok", acl[0]["outcome"])
	assert.NotContains(t, log.String(), userPw)
	assert.NotContains(t, log.String(), "value-not-audited")
	for _, e := range evs {
		assert.NotEqual(t, "denied", e["outcome"], "no policy denies nothing")
	}
}
