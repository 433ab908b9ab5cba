package s3_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/componenttest"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/stats"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// testConfig is a Config for a fresh bucket on the shared versitygw.
func testConfig(t testing.TB) (s3.Config, *testenv.S3) {
	t.Helper()
	srv := testenv.SharedS3(t)
	return s3.Config{
		Bucket: srv.NewBucket(t), Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: security.NewSecret(srv.SecretKey),
	}, srv
}

// open opens cfg and closes the client when t ends.
func open(t testing.TB, cfg s3.Config) *s3.Client {
	t.Helper()
	c, err := s3.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newClient(t testing.TB, mod ...func(*s3.Config)) (*s3.Client, *testenv.S3) {
	t.Helper()
	cfg, srv := testConfig(t)
	for _, m := range mod {
		m(&cfg)
	}
	return open(t, cfg), srv
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// orphans lists the unfinished multipart uploads of bucket, bypassing
// Arsenal's client.
func orphans(t testing.TB, srv *testenv.S3, bucket string) []string {
	t.Helper()
	out, err := srv.Client().ListMultipartUploads(context.Background(), &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key)+"#"+aws.ToString(u.UploadId))
	}
	return keys
}

func TestClientPassesTheConformanceSuite(t *testing.T) {
	cfg, _ := testConfig(t)
	componenttest.Run(t, componenttest.Harness{
		Kind: "s3",
		Open: func(ctx context.Context) (arsenal.Component, error) { return s3.Open(ctx, cfg) },
		OpenInvalid: func(ctx context.Context) error {
			bad := cfg
			bad.Bucket, bad.PartSize, bad.StorageClass, bad.Style, bad.Concurrency = "Bad_Bucket", 1<<20, "PLATINUM", "sideways", -1
			_, err := s3.Open(ctx, bad)
			return err
		},
		InvalidFields: []string{"Bucket", "PartSize", "StorageClass", "Style", "Concurrency"},
		Unreachable: func(ctx context.Context) error {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			addr := l.Addr().String()
			l.Close() // nothing listens there now
			dead := cfg
			dead.Endpoint, dead.DialTimeout, dead.MaxRetries, dead.RetryMaxBackoff = "http://"+addr, 3*time.Second, 1, 100*time.Millisecond
			c, err := s3.Open(ctx, dead)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Health(ctx)
		},
		Exercise: func(ctx context.Context, c arsenal.Component) error {
			_, err := c.(*s3.Client).Put(ctx, "conformance", []byte("x"), nil)
			return err
		},
		Blocking: func(ctx context.Context, c arsenal.Component) error {
			// A streaming upload from a reader that never ends: it waits
			// until ctx is cancelled, then aborts.
			_, err := c.(*s3.Client).Upload(ctx, "blocking", blockingReader{ctx}, nil)
			return err
		},
	})
}

// blockingReader yields nothing until ctx ends.
type blockingReader struct{ ctx context.Context }

func (b blockingReader) Read(p []byte) (int, error) {
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func TestStatsCountEveryOperationAndGauges(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	_, err := c.Put(ctx, "k", []byte("v"), nil)
	require.NoError(t, err)
	_, err = c.GetBytes(ctx, "k", nil)
	require.NoError(t, err)
	_, err = c.Stat(ctx, "missing")
	require.True(t, arsenal.IsCode(err, arsenal.NotFound), "Stat(missing) = %v, want NotFound", err)
	s := c.Stats()
	for _, tc := range []struct {
		name   string
		op     string
		count  uint64
		errors uint64
	}{
		{"put counted", "put", 1, 0},
		{"get counted", "get", 1, 0},
		{"failed stat counted as an error", "stat", 1, 1},
	} {
		o := s.Ops[tc.op]
		assert.Equal(t, tc.count, o.Count, "%s: count", tc.name)
		assert.Equal(t, tc.errors, o.Errors, "%s: errors", tc.name)
	}
	cs, ok := s.Detail.(s3.ClientStats)
	require.True(t, ok, "Stats().Detail is a %T, want s3.ClientStats", s.Detail)
	assert.EqualValues(t, 1, cs.BytesUploaded, "bytes uploaded")
	assert.EqualValues(t, 1, cs.BytesDownloaded, "bytes downloaded")
	assert.GreaterOrEqual(t, cs.Attempts, uint64(3), "attempts after 3 requests")
	g, _ := s.Gauge("bytes_uploaded")
	assert.EqualValues(t, 1, g, "bytes_uploaded gauge")
	assert.Empty(t, stats.MissingGauges(s3.DegradationRules(), s), "rules read gauges the stats lack")
	assert.True(t, s.Connected, "Connected after successful calls")
}

func TestOpenWithTheRegisteredSchemeWorks(t *testing.T) {
	cfg, _ := testConfig(t)
	t.Setenv("S3_ACCESS_KEY_ID", cfg.AccessKeyID)
	t.Setenv("S3_SECRET_ACCESS_KEY", cfg.SecretAccessKey.Reveal())
	ctx := ctxT(t)
	comp, err := arsenal.Open(ctx, fmt.Sprintf("s3://%s/sub?endpoint=%s&style=path&region=%s", cfg.Bucket, cfg.Endpoint, cfg.Region))
	if err != nil {
		t.Fatalf("arsenal.Open: %v", err)
	}
	defer comp.Close()
	c := comp.(*s3.Client)
	if _, err := c.Put(ctx, "file", []byte("under prefix"), nil); err != nil {
		t.Fatal(err)
	}
	raw, err := testenv.SharedS3(t).Client().HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &cfg.Bucket, Key: aws.String("sub/file")})
	if err != nil {
		t.Fatalf("object not stored under the URL's prefix: %v", err)
	}
	if aws.ToInt64(raw.ContentLength) != int64(len("under prefix")) {
		t.Errorf("stored %d bytes", aws.ToInt64(raw.ContentLength))
	}
	if err := comp.Health(ctx); err != nil {
		t.Errorf("Health: %v", err)
	}
}

func TestWrongCredentialsAreUnauthenticated(t *testing.T) {
	needsRealS3(t, "accepts any credentials")
	c, _ := newClient(t, func(c *s3.Config) { c.SecretAccessKey = security.NewSecret("wrong-secret-value") })
	err := c.Health(ctxT(t))
	if err == nil {
		t.Fatal("Health with a wrong secret succeeded")
	}
	// The same wrong secret gives the same code everywhere.
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "Health: %v", err)
	_, err = c.Put(ctxT(t), "k", []byte("x"), nil)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "Put: %v", err)
	if s := fmt.Sprintf("%v %+v", err, err); strings.Contains(s, "wrong-secret-value") {
		t.Errorf("error leaks the secret: %s", s)
	}
}

func TestAMissingBucketIsNotFound(t *testing.T) {
	c, _ := newClient(t, func(c *s3.Config) { c.Bucket = "arsenal-no-such-bucket-" + testenv.RandomHex(4) })
	if err := c.Health(ctxT(t)); !arsenal.IsCode(err, arsenal.NotFound) {
		t.Errorf("Health on a missing bucket = %v, want NotFound", err)
	}
}

func testenvS3(t testing.TB) *testenv.S3 { return testenv.SharedS3(t) }

// needsRealS3 skips a test, saying why, when the shared server is the
// embedded gofakes3 stand-in (a machine without versitygw and without
// ARSENAL_REQUIRE_REAL=1, under which testenv fails instead).
func needsRealS3(t *testing.T, why string) {
	t.Helper()
	if !testenvS3(t).Real {
		t.Skipf("needs a real S3 server: the embedded gofakes3 stand-in %s; .ci/run installs versitygw", why)
	}
}
