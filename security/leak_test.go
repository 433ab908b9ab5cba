package security_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

// renderings formats v every way a program might print or log it: the fmt
// verbs, JSON, and slog's text and JSON handlers (as a value and inside a
// group).
//
// With held, it also prints v from an unexported field of another value,
// where fmt cannot call v's methods and shows its fields as they are: only
// security.Secret fields are safe there, so that rendering is checked for
// configs whose secrets all live in Secret fields.
func renderings(t *testing.T, v any, held bool) map[string]string {
	t.Helper()
	out := map[string]string{
		"%v": fmt.Sprintf("%v", v), "%+v": fmt.Sprintf("%+v", v), "%#v": fmt.Sprintf("%#v", v),
		"%s": fmt.Sprintf("%s", v), "%q": fmt.Sprintf("%q", v),
	}
	if held {
		out["held %+v"] = fmt.Sprintf("%+v", struct{ held any }{v})
		out["held %#v"] = fmt.Sprintf("%#v", struct{ held any }{v})
	}
	if b, err := json.Marshal(v); err == nil {
		out["json"] = string(b)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "value", v, slog.Group("g", "nested", v))
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", "value", v, slog.Group("g", "nested", v))
	out["slog text"], out["slog json"] = text.String(), js.String()
	return out
}

func assertNoSecret(t *testing.T, what string, v any, secrets ...string) {
	t.Helper()
	assertNoSecretHeld(t, what, v, false, secrets...)
}

func assertNoSecretHeld(t *testing.T, what string, v any, held bool, secrets ...string) {
	t.Helper()
	for how, s := range renderings(t, v, held) {
		for _, secret := range secrets {
			assert.NotContains(t, s, secret, "%s printed with %s shows a secret", what, how)
		}
	}
}

// Every domain's Config, with every secret it can hold set, prints none of
// them however it is formatted or logged.
func TestNoDomainConfigPrintsItsSecrets(t *testing.T) {
	const (
		redisPW    = "redis-pw-Zq81"
		sentinelPW = "sentinel-pw-Kx27"
		s3Secret   = "s3-secret-Wm55"
		s3Token    = "s3-session-Jt90"
		wsPW       = "ws-pw-Rb13"
		wsToken    = "ws-token-Hn48"
		wsBearer   = "ws-bearer-Qe62"
		proxyPW    = "proxy-pw-Lc74"
		pgPW       = "pg-pw-Vd36"
		pgURLPW    = "pg-urlpw-Ys19"
		sqliteKey  = "sqlite-key-Pf05"
	)
	rc, err := redis.ParseURL("redis://app:" + redisPW + "@127.0.0.1:6390/0")
	require.NoError(t, err)
	rc.SentinelPassword = security.NewSecret(sentinelPW)
	assertNoSecretHeld(t, "redis.Config", rc, true, redisPW, sentinelPW)

	sc := s3.Config{Bucket: "b", Endpoint: "http://127.0.0.1:9", Region: "us-east-1", AccessKeyID: "AKIDEXAMPLE",
		SecretAccessKey: security.NewSecret(s3Secret), SessionToken: security.NewSecret(s3Token)}
	assertNoSecretHeld(t, "s3.Config", sc, true, s3Secret, s3Token)

	wc, err := websocket.ParseURL("wss://user:" + wsPW + "@127.0.0.1:9/ws?access_token=" + wsToken)
	require.NoError(t, err)
	wc.Header = http.Header{"Authorization": {"Bearer " + wsBearer}}
	wc.Proxy = "http://proxyuser:" + proxyPW + "@127.0.0.1:3128"
	assertNoSecret(t, "websocket.Config", wc, wsPW, wsToken, wsBearer, proxyPW)

	// A secret in a URL or header string is redacted by the Config's own
	// methods; from an unexported field only a Secret field is safe (the
	// Password field here, Security.Credentials for WebSocket headers).
	pc := postgres.Config{URL: "postgres://app:" + pgURLPW + "@127.0.0.1:5432/app", Password: security.NewSecret(pgPW)}
	assertNoSecret(t, "postgres.Config", pc, pgPW, pgURLPW)
	assertNoSecretHeld(t, "postgres.Config with a Password field", postgres.Config{URL: "postgres://app@127.0.0.1:5432/app", Password: security.NewSecret(pgPW)}, true, pgPW)
	wsc, err := websocket.ParseURL("wss://127.0.0.1:9/ws")
	require.NoError(t, err)
	wsc.Security = security.Options{Credentials: security.Static(security.Credentials{Secret: security.NewSecret(wsBearer)})}
	assertNoSecretHeld(t, "websocket.Config with Security.Credentials", wsc, true, wsBearer)

	// A SQLite encryption-style pragma is a secret too: Validate's and
	// Open's errors never echo it.
	qc := sqlite.Config{Path: t.TempDir() + "/missing/app.db", Pragmas: []string{"key='" + sqliteKey + "'; DROP TABLE x"}}
	if err := qc.Validate(); err != nil {
		assertNoSecret(t, "sqlite Validate error", err.Error(), sqliteKey)
	}
	_, err = sqlite.Open(context.Background(), qc)
	require.Error(t, err)
	assertNoSecret(t, "sqlite Open error", err.Error(), sqliteKey)
}

// The Hub's stats and every component's Describe, of components opened
// against real servers with secrets, print none of them.
func TestTheHubsStatsAndDescribePrintNoSecret(t *testing.T) {
	const redisPW = "hub-redis-pw-Tg63"
	rd := testenv.StartRedis(t, "--requirepass", redisPW)
	require.True(t, rd.Real || !testenv.RequireReal(), "a real redis-server is required")
	st := testenv.SharedS3(t)
	require.True(t, st.Real || !testenv.RequireReal(), "a real versitygw is required")
	t.Logf("redis-server at %s (real: %v), S3 at %s (real versitygw: %v)", rd.Addr, rd.Real, st.Endpoint, st.Real)
	ctx := context.Background()

	hub := arsenal.NewHub()
	t.Cleanup(func() { _ = hub.Close() })
	_, err := hub.OpenURL(ctx, "cache", "redis://default:"+redisPW+"@"+rd.Addr+"/0")
	require.NoError(t, err)
	store, err := s3.Open(ctx, s3.Config{Bucket: st.NewBucket(t), Endpoint: st.Endpoint, Region: st.Region,
		AccessKeyID: st.AccessKey, SecretAccessKey: security.NewSecret(st.SecretKey)})
	require.NoError(t, err)
	require.NoError(t, hub.Add("store", store))
	// Some traffic, so the stats carry targets, ops and errors.
	cache, _ := hub.Get("cache")
	require.NoError(t, cache.Health(ctx))
	require.NoError(t, store.Health(ctx))
	_, _ = store.GetBytes(ctx, "missing", nil)

	secrets := []string{redisPW, st.SecretKey}
	assertNoSecret(t, "Hub.Stats", hub.Stats(), secrets...)
	assertNoSecret(t, "Hub.Health", hub.Health(ctx), secrets...)
	for _, name := range hub.Names() {
		c, ok := hub.Get(name)
		require.True(t, ok)
		d, ok := c.(arsenal.Describer)
		require.True(t, ok, "%s describes itself", name)
		assertNoSecret(t, name+" Describe", d.Describe(), secrets...)
		assertNoSecret(t, name+" component", c, secrets...)
	}
	var metrics bytes.Buffer
	bw := bufio.NewWriter(&metrics)
	arsenal.WriteMetrics(bw, hub.Names(), hub.Stats())
	require.NoError(t, bw.Flush())
	require.Contains(t, metrics.String(), "cache", "the metrics name the components")
	for _, s := range secrets {
		assert.NotContains(t, metrics.String(), s, "the Prometheus text shows a secret")
	}
}

// Options marshal to JSON as which settings are set, whatever the
// Provider is, so a Config holding them marshals too.
func TestOptionsMarshalAsASummary(t *testing.T) {
	const token = "json-token-Ua21"
	o := security.Options{Credentials: security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		return security.Credentials{Secret: security.NewSecret(token)}, nil
	})}
	b, err := json.Marshal(o)
	require.NoError(t, err)
	assert.JSONEq(t, `{"policy":false,"audit":false,"tls":false,"credentials":true}`, string(b))
	rc, err := redis.ParseURL("redis://127.0.0.1:6390/0")
	require.NoError(t, err)
	rc.Security = o
	b, err = json.Marshal(struct{ Security security.Options }{rc.Security})
	require.NoError(t, err)
	assert.NotContains(t, string(b), token)
}
