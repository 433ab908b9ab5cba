package s3_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

// countingProxy puts a loopback proxy in front of the shared versitygw
// that forwards every request untouched and remembers it, so that a test
// can tell which requests reached the server.
type countingProxy struct {
	*faultProxy
	mu   sync.Mutex
	seen []string // "METHOD path"
}

func startCountingProxy(t *testing.T, upstream string) *countingProxy {
	p := &countingProxy{}
	p.faultProxy = startProxy(t, upstream, func(r *http.Request) fault {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.URL.Path)
		p.mu.Unlock()
		return pass
	})
	return p
}

func (p *countingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// securedClient is a client of a fresh bucket behind a counting proxy,
// with the given security options; its bucket exists already.
func securedClient(t *testing.T, opts func(bucket string) security.Options) (*s3.Client, *countingProxy, s3.Config) {
	t.Helper()
	cfg, srv := testConfig(t)
	p := startCountingProxy(t, srv.Addr)
	cfg.Endpoint = p.Endpoint()
	cfg.Security = opts(cfg.Bucket) // a provider signs in place of the config's (good) static keys
	return open(t, cfg), p, cfg
}

func mustPolicy(t *testing.T, rules ...security.Rule) *security.Policy {
	t.Helper()
	p, err := security.NewPolicy(rules...)
	require.NoError(t, err)
	return p
}

// appPolicy lets the principal "app" do anything under bucket/app/,
// except under bucket/app/secret/, and check the bucket.
func appPolicy(t *testing.T, bucket string) *security.Policy {
	return mustPolicy(t,
		security.Rule{Name: "app objects", Effect: security.Allow, Principal: "app", Component: "s3", Resource: bucket + "/app/*"},
		security.Rule{Name: "no secrets", Effect: security.Deny, Component: "s3", Resource: bucket + "/app/secret/*"},
		security.Rule{Name: "app bucket", Effect: security.Allow, Principal: "app", Component: "s3", Operation: "head_bucket", Resource: bucket},
	)
}

func asApp(t *testing.T) context.Context {
	return security.WithPrincipal(ctxT(t), security.Principal{Name: "app"})
}

// A PUT outside the prefix the policy allows is PermissionDenied before
// any request: the proxy in front of versitygw sees nothing, the client
// counts no HTTP attempt, the object is not on the server, and the call
// is counted in Stats as a failed put.
func TestPolicyRefusesWritesOutsideTheAllowedPrefixBeforeAnyRequest(t *testing.T) {
	rec := &recorder{}
	c, p, cfg := securedClient(t, func(b string) security.Options { return security.Options{Policy: appPolicy(t, b)} })
	ctx := asApp(t)
	observed := open(t, func() s3.Config { o := cfg; o.Observer = rec; return o }())
	_, err := observed.Put(ctx, "other/observed.txt", []byte("no"), nil)
	require.Error(t, err)
	require.Len(t, rec.ends, 1, "a refused call is reported to the Observer")
	assert.Equal(t, "put", rec.starts[0].Op)
	assert.Equal(t, arsenal.PermissionDenied, rec.ends[0].Code)

	_, err = c.Put(ctx, "app/one.txt", []byte("allowed"), nil)
	require.NoError(t, err, "a put under app/ is allowed")
	got, err := c.GetBytes(ctx, "app/one.txt", nil)
	require.NoError(t, err)
	assert.Equal(t, "allowed", string(got))
	require.NoError(t, c.Health(ctxT(t)), "a monitor's Health needs no principal")
	before, attempts := len(p.requests()), c.ClientStats().Attempts
	require.Equal(t, 3, before, "the allowed put, get and health reached the server: %v", p.requests())

	big := bytes.Repeat([]byte("x"), int(cfg.PartSize)+1) // a multipart upload, through the Writer
	refused := map[string]func() error{
		"put outside the prefix":  func() error { _, err := c.Put(ctx, "other/x.txt", []byte("no"), nil); return err },
		"put under a denied path": func() error { _, err := c.Put(ctx, "app/secret/x.txt", []byte("no"), nil); return err },
		"multipart put outside":   func() error { _, err := c.Put(ctx, "other/big.bin", big, nil); return err },
		"upload outside":          func() error { _, err := c.Upload(ctx, "other/up.bin", bytes.NewReader([]byte("no")), nil); return err },
		"writer outside":          func() error { _, err := c.NewWriter(ctx, "other/w.bin", nil); return err },
		"put without a principal": func() error { _, err := c.Put(ctxT(t), "app/anon.txt", []byte("no"), nil); return err },
		"get of a denied path":    func() error { _, err := c.GetBytes(ctx, "app/secret/x.txt", nil); return err },
		"stat outside":            func() error { _, err := c.Stat(ctx, "other/x.txt"); return err },
		"delete outside":          func() error { return c.Delete(ctx, "other/x.txt") },
		"batch with one bad key":  func() error { return c.DeleteMany(ctx, []string{"app/one.txt", "other/x.txt"}) },
		"copy to outside":         func() error { _, err := c.Copy(ctx, "app/one.txt", "other/copy.txt", nil); return err },
		"copy from a denied path": func() error { _, err := c.Copy(ctx, "app/secret/x.txt", "app/copy.txt", nil); return err },
		"list outside":            func() error { _, err := c.ListPage(ctx, &s3.ListOptions{Prefix: "other/"}); return err },
		"list the whole bucket":   func() error { _, err := c.ListPage(ctx, nil); return err },
		"presigned put outside":   func() error { _, err := c.Presign(ctx, "other/x.txt", &s3.PresignOptions{Method: "PUT"}); return err },
		"create the bucket":       func() error { return c.CreateBucket(ctx) },
		"delete the bucket":       func() error { return c.DeleteBucket(ctx) },
		"list iterator outside":   func() error { return firstErr(c, ctx, &s3.ListOptions{Prefix: "other/"}) },
		"presign a denied get":    func() error { _, err := c.Presign(ctx, "app/secret/x.txt", nil); return err },
		"copy from another bucket": func() error {
			_, err := c.Copy(ctx, "x", "app/c.txt", &s3.CopyOptions{SourceBucket: "elsewhere"})
			return err
		},
	}
	for name, call := range refused {
		err := call()
		require.Error(t, err, name)
		assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "%s: %v", name, err)
	}
	assert.Equal(t, before, len(p.requests()), "no refused call reached versitygw: %v", p.requests()[before:])
	assert.Equal(t, attempts, c.ClientStats().Attempts, "no HTTP attempt was made")

	_, err = c.Put(ctx, "app/secret/x.txt", []byte("no"), nil)
	assert.ErrorContains(t, err, `denied by rule "no secrets"`)
	assert.ErrorContains(t, err, `app may not put "`+cfg.Bucket+`/app/secret/x.txt"`)
	_, err = c.Put(ctx, "other/x.txt", []byte("no"), nil)
	assert.ErrorContains(t, err, "no rule allows it")

	// The server has none of the refused objects; the batch deleted nothing.
	plain := open(t, s3.Config{Bucket: cfg.Bucket, Endpoint: testenvS3(t).Endpoint, Region: cfg.Region,
		AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey})
	var keys []string
	for o, err := range plain.List(ctxT(t), nil) {
		require.NoError(t, err)
		keys = append(keys, o.Key)
	}
	assert.Equal(t, []string{"app/one.txt"}, keys)

	st := c.Stats()
	// Six refused puts in the table (four Puts, Upload, NewWriter) and two after it.
	assert.EqualValues(t, 8, st.Ops["put"].Errors, "every refused put is counted: %+v", st.Ops["put"])
	assert.EqualValues(t, 1, st.Ops["delete_many"].Errors)
}

func firstErr(c *s3.Client, ctx context.Context, o *s3.ListOptions) error {
	for _, err := range c.List(ctx, o) {
		if err != nil {
			return err
		}
	}
	return nil
}

// What the policy allows still works, listings included (ListParallel
// descends into sub-prefixes, each listing checked).
func TestPolicyAllowsWhatItNames(t *testing.T) {
	c, _, _ := securedClient(t, func(b string) security.Options { return security.Options{Policy: appPolicy(t, b)} })
	ctx := asApp(t)
	for _, k := range []string{"app/a/1", "app/a/2", "app/b/1"} {
		_, err := c.Put(ctx, k, []byte(k), nil)
		require.NoError(t, err)
	}
	_, err := c.Copy(ctx, "app/a/1", "app/b/2", nil)
	require.NoError(t, err)
	var keys []string
	for o, err := range c.ListParallel(ctx, &s3.ParallelListOptions{Prefix: "app/"}) {
		require.NoError(t, err)
		keys = append(keys, o.Key)
	}
	assert.ElementsMatch(t, []string{"app/a/1", "app/a/2", "app/b/1", "app/b/2"}, keys)
	ok, err := c.Exists(ctx, "app/b/2")
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = c.Presign(ctx, "app/a/1", &s3.PresignOptions{Method: "PUT"})
	require.NoError(t, err)
	require.NoError(t, c.DeleteMany(ctx, []string{"app/a/1", "app/a/2"}))
	require.NoError(t, c.Delete(ctx, "app/b/1"))
	exists, err := c.BucketExists(ctx)
	require.NoError(t, err)
	assert.True(t, exists)
}
