package s3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

// auditLines returns the audit records h captured, one line each.
func auditLines(h *capture) []string {
	var out []string
	for _, l := range strings.Split(h.all(), "\n") {
		if strings.Contains(l, " audit ") {
			out = append(out, l)
		}
	}
	return out
}

// Every call is audited with its principal, operation, bucket/key, outcome
// and code: a success, a failure the server returned, and a refusal
// (with the rule, recorded once). The secret key appears in no record.
func TestAuditRecordsEveryCallWithItsOutcomeAndCode(t *testing.T) {
	h := &capture{}
	c, _, cfg := securedClient(t, func(b string) security.Options {
		return security.Options{Policy: appPolicy(t, b), Audit: security.NewAuditor(h, nil)}
	})
	ctx := asApp(t)
	b := cfg.Bucket

	_, err := c.Put(ctx, "app/one.txt", []byte("hello"), nil)
	require.NoError(t, err)
	_, err = c.GetBytes(ctx, "app/missing.txt", nil)
	require.True(t, arsenal.IsCode(err, arsenal.NotFound), "%v", err)
	_, err = c.Put(ctx, "app/secret/k", []byte("no"), nil)
	require.True(t, arsenal.IsCode(err, arsenal.PermissionDenied), "%v", err)
	require.NoError(t, c.DeleteMany(ctx, []string{"app/one.txt"}))
	w, err := c.NewWriter(ctx, "app/streamed.txt", nil)
	require.NoError(t, err)
	_, err = w.Write([]byte("streamed"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, c.Health(ctxT(t)), "not checked, not audited")

	lines := auditLines(h)
	want := []string{
		"INFO audit principal=app component=s3 operation=put resource=" + b + "/app/one.txt outcome=ok code=OK",
		"WARN audit principal=app component=s3 operation=get resource=" + b + "/app/missing.txt outcome=error code=NotFound",
		"WARN audit principal=app component=s3 operation=put resource=" + b + "/app/secret/k outcome=denied code=PermissionDenied",
		"INFO audit principal=app component=s3 operation=delete resource=" + b + "/app/one.txt outcome=ok code=OK",
		"INFO audit principal=app component=s3 operation=put resource=" + b + "/app/streamed.txt outcome=ok code=OK",
	}
	require.Len(t, lines, len(want), "one record per call, the refusal once, none for Health: %s", strings.Join(lines, "\n"))
	for i, w := range want {
		assert.Contains(t, lines[i], w, "record %d", i)
	}
	assert.Contains(t, lines[2], "rule=no secrets")
	assert.NotContains(t, h.all(), cfg.SecretAccessKey.Reveal())
}

// An audit without a policy records calls and refuses none.
func TestAuditWithoutPolicyRefusesNothing(t *testing.T) {
	h := &capture{}
	c, _, cfg := securedClient(t, func(string) security.Options { return security.Options{Audit: security.NewAuditor(h, nil)} })
	_, err := c.Put(ctxT(t), "anywhere.txt", []byte("x"), nil)
	require.NoError(t, err)
	lines := auditLines(h)
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], "principal= component=s3 operation=put resource="+cfg.Bucket+"/anywhere.txt outcome=ok code=OK")
}

// rotating is a provider whose credentials the test swaps, counting the
// times it is asked.
type rotating struct {
	mu    sync.Mutex
	cur   security.Credentials
	calls atomic.Int64
}

func (r *rotating) Credentials(context.Context) (security.Credentials, error) {
	r.calls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur, nil
}

func (r *rotating) set(c security.Credentials) { r.mu.Lock(); r.cur = c; r.mu.Unlock() }

// Security.Credentials signs every request, on the fast path (Put, Get)
// and the SDK's (Copy, Delete, Presign), asked at each signing: a secret
// rotated under the same access key id takes effect on the next call of
// either path, without reopening the client. (The SDK's own signer keeps
// its derived key per key id for a day; the client must not.)
func TestCredentialsProviderIsAskedAtEverySigning(t *testing.T) {
	srv := testenvS3(t)
	good := security.Credentials{User: srv.AccessKey, Secret: security.NewSecret(srv.SecretKey)}
	wrong := security.Credentials{User: srv.AccessKey, Secret: security.NewSecret("wrong-secret")}
	prov := &rotating{cur: good}
	c, _, _ := securedClient(t, func(string) security.Options { return security.Options{Credentials: prov} })
	ctx := ctxT(t)
	_, err := c.Put(ctx, "k.txt", []byte("x"), nil)
	require.NoError(t, err)

	prov.set(wrong)
	_, err = c.Put(ctx, "k.txt", []byte("x"), nil)
	require.Error(t, err, "fast path: the new secret signs")
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)
	assert.NotContains(t, err.Error(), "wrong-secret")
	_, err = c.Copy(ctx, "k.txt", "k2.txt", nil)
	require.Error(t, err, "SDK path: the new secret signs")
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)
	p, err := c.Presign(ctx, "k.txt", nil)
	require.NoError(t, err)
	resp, err := http.Get(p.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a URL presigned with the wrong secret is refused")

	prov.set(good) // rotated back in: both paths use it at once
	before := prov.calls.Load()
	_, err = c.Put(ctx, "k.txt", []byte("x"), nil)
	require.NoError(t, err)
	_, err = c.GetBytes(ctx, "k.txt", nil)
	require.NoError(t, err)
	_, err = c.Copy(ctx, "k.txt", "k2.txt", nil)
	require.NoError(t, err, "SDK path after rotation")
	require.NoError(t, c.Delete(ctx, "k2.txt"))
	p, err = c.Presign(ctx, "k.txt", nil)
	require.NoError(t, err)
	resp, err = http.Get(p.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.GreaterOrEqual(t, prov.calls.Load()-before, int64(5), "asked at every signing")
}

// A credentials file (security.File) rotated on disk is picked up by the
// next call; a provider that fails is Unauthenticated and sends nothing.
func TestCredentialsFileRotationAndProviderFailure(t *testing.T) {
	srv := testenvS3(t)
	path := filepath.Join(t.TempDir(), "creds.json")
	writeCreds := func(secret string) {
		b, err := json.Marshal(map[string]string{"access_key_id": srv.AccessKey, "secret_access_key": secret})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, b, 0o600))
	}
	writeCreds("stale-secret-of-another-length")
	c, p, _ := securedClient(t, func(string) security.Options { return security.Options{Credentials: security.NewFile(path, "")} })
	ctx := ctxT(t)
	_, err := c.Put(ctx, "f.txt", []byte("x"), nil)
	require.True(t, arsenal.IsCode(err, arsenal.Unauthenticated), "%v", err)
	writeCreds(srv.SecretKey)
	_, err = c.Put(ctx, "f.txt", []byte("x"), nil)
	require.NoError(t, err, "the rewritten file is read at the next signing")

	failing := security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		return security.Credentials{}, fmt.Errorf("vault sealed")
	})
	empty := security.Static(security.Credentials{})
	for name, prov := range map[string]security.Provider{"failing": failing, "empty": empty} {
		before := len(p.requests())
		cfg, _ := testConfig(t)
		cfg.AccessKeyID, cfg.SecretAccessKey = "", security.Secret{}
		cfg.Endpoint = p.Endpoint()
		cfg.Security.Credentials = prov
		bad := open(t, cfg)
		_, err := bad.Put(ctx, "f.txt", []byte("x"), nil)
		require.Error(t, err, name)
		assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%s: %v", name, err)
		require.Error(t, bad.Delete(ctx, "f.txt"), name)
		assert.Equal(t, before, len(p.requests()), "%s: nothing is sent unsigned", name)
	}
}

// Security.TLS builds the TLS of the one transport: versitygw over HTTPS
// with its CA trusted works; without it the certificate is refused
// (Unauthenticated); a CA file that does not load fails Open.
func TestSecurityTLSConfiguresHTTPS(t *testing.T) {
	srv := testenv.StartS3TLS(t)
	cfg := s3.Config{Bucket: "arsenal-sectls-" + testenv.RandomHex(4), Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: security.NewSecret(srv.SecretKey),
		Security: security.Options{TLS: &security.TLS{CAFiles: []string{srv.Cert.CertFile}, NoSystemRoots: true}}}
	c := open(t, cfg)
	ctx := ctxT(t)
	require.NoError(t, c.EnsureBucket(ctx))
	t.Cleanup(func() { srv.EmptyAndDelete(cfg.Bucket) })
	_, err := c.Put(ctx, "t.txt", []byte("over tls"), nil)
	require.NoError(t, err)
	got, err := c.GetBytes(ctx, "t.txt", nil)
	require.NoError(t, err)
	assert.Equal(t, "over tls", string(got))

	untrusted := cfg
	untrusted.Security.TLS = &security.TLS{} // system roots only
	_, err = open(t, untrusted).Put(ctx, "t.txt", []byte("x"), nil)
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)

	misnamed := cfg
	misnamed.Security.TLS = &security.TLS{CAFiles: []string{srv.Cert.CertFile}, ServerName: "not-the-store.example"}
	_, err = open(t, misnamed).Put(ctx, "t.txt", []byte("x"), nil)
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "a certificate for another name: %v", err)

	// A store presenting an expired certificate of a trusted CA.
	pki := testenv.NewTLSCerts(t)
	ecf, ekf, err := pki.Issue("s3-expired", []string{"127.0.0.1"}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	expiredSrv := testenv.StartTLSS3(t, ecf, ekf)
	expired := s3.Config{Bucket: cfg.Bucket, Endpoint: expiredSrv.Endpoint, Region: expiredSrv.Region, MaxRetries: -1,
		AccessKeyID: expiredSrv.AccessKey, SecretAccessKey: security.NewSecret(expiredSrv.SecretKey),
		Security: security.Options{TLS: &security.TLS{CAFiles: []string{pki.CAFile}}}}
	err = open(t, expired).Health(ctx)
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "an expired certificate: %v", err)
	assert.ErrorContains(t, err, "expired")

	broken := cfg
	broken.Security.TLS = &security.TLS{CAFiles: []string{filepath.Join(t.TempDir(), "missing.pem")}}
	_, err = s3.Open(ctx, broken)
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "%v", err)
}

// Security's TLS and credentials take the place of the Config's own:
// wrong static keys and an untrusting TLSConfig are not used when
// Security supplies good ones; only Anonymous with a provider, a
// contradiction, is refused by Validate.
func TestSecurityOptionsTakeThePlaceOfTheConfigsOwn(t *testing.T) {
	srv := testenv.StartS3TLS(t)
	cfg := s3.Config{Bucket: "arsenal-secown-" + testenv.RandomHex(4), Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: "AKIAWRONG", SecretAccessKey: security.NewSecret("wrong-static-secret"),
		TLSConfig: testenv.MustTestCert(t).ClientTLS(), // trusts another certificate only
		Security: security.Options{
			TLS:         &security.TLS{CAFiles: []string{srv.Cert.CertFile}},
			Credentials: security.Static(security.Credentials{User: srv.AccessKey, Secret: security.NewSecret(srv.SecretKey)}),
		}}
	c := open(t, cfg)
	ctx := ctxT(t)
	require.NoError(t, c.EnsureBucket(ctx))
	t.Cleanup(func() { srv.EmptyAndDelete(cfg.Bucket) })
	_, err := c.Put(ctx, "k", []byte("x"), nil)
	require.NoError(t, err)
	assert.Empty(t, c.Config().AccessKeyID, "the resolved Config holds no unused keys")
	assert.True(t, c.Config().SecretAccessKey.IsZero())

	bad := s3.Config{Bucket: "b-ok", Anonymous: true, Security: security.Options{Credentials: security.Static(security.Credentials{
		User: "AKIAPROV", Secret: security.NewSecret("provsecret")})}}
	err = bad.Validate()
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.ErrorContains(t, err, "Security.Credentials")
	assert.NotContains(t, err.Error(), "provsecret")
}

// A Config carrying a credentials provider formats, logs and marshals
// without the provider's secret, and Open with a provider does not read
// the environment's keys into the resolved Config.
func TestConfigWithSecurityPrintsNoSecret(t *testing.T) {
	t.Setenv("S3_ACCESS_KEY_ID", "AKIAFROMENV")
	t.Setenv("S3_SECRET_ACCESS_KEY", "ENVSECRET")
	cfg := s3.Config{Bucket: "b-ok", Endpoint: "http://127.0.0.1:1", Security: security.Options{
		Credentials: security.Static(security.Credentials{User: "AKIAPROV", Secret: security.NewSecret("PROVSECRET"), SessionToken: security.NewSecret("PROVTOKEN")}),
		TLS:         &security.TLS{ServerName: "s3.internal"},
	}}
	c, err := s3.Open(ctxT(t), cfg)
	require.NoError(t, err)
	defer c.Close()
	resolved := c.Config()
	assert.Empty(t, resolved.AccessKeyID, "the provider, not the environment, supplies the keys")
	assert.True(t, resolved.SecretAccessKey.IsZero())

	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("cfg", "cfg", resolved)
	js, err := json.Marshal(resolved)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"Security":{"policy":false,"audit":false,"tls":true,"credentials":true}`)
	type holder struct{ cfg s3.Config }
	for name, s := range map[string]string{
		"%v": fmt.Sprintf("%v", resolved), "%+v": fmt.Sprintf("%+v", resolved), "%#v": fmt.Sprintf("%#v", resolved),
		"unexported": fmt.Sprintf("%+v", holder{resolved}), "json": string(js), "slog": logBuf.String(),
	} {
		for _, secret := range []string{"PROVSECRET", "PROVTOKEN", "ENVSECRET"} {
			assert.NotContains(t, s, secret, name)
		}
	}
}
