package arsenalotel_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The spans of real calls: a redis.Client and a sqlite.DB with the
// Observer in their Config, against redis-server and a SQLite file.

func TestARealRedisGETIsADatabaseSpanUnderTheCallersSpan(t *testing.T) {
	r := testenv.SharedRedis(t)
	require.True(t, r.Real || !testenv.RequireReal(), "a real redis-server is required")
	t.Logf("redis at %s (real redis-server: %v)", r.Addr, r.Real)
	e := newEnv(t)
	cfg, err := redis.ParseURL(r.URL() + "/0")
	require.NoError(t, err)
	cfg.Observer = e.obs
	if r.Embedded {
		cfg.DisableCache = true
	}
	c, err := redis.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	key := "otel:" + testenv.RandomHex(6)
	require.NoError(t, c.Set(context.Background(), key, "v"))
	before := len(e.spans.Ended())

	ctx, parent := e.tp.Tracer("test").Start(context.Background(), "handler")
	got, err := c.Get(ctx, key)
	parent.End()
	require.NoError(t, err)
	assert.Equal(t, "v", got)

	spans := e.spans.Ended()[before:]
	require.Len(t, spans, 2, "the GET's span and the caller's")
	s := spans[0]
	assert.Equal(t, "GET 0", s.Name())
	assert.Equal(t, trace.SpanKindClient, s.SpanKind())
	assert.Equal(t, parent.SpanContext().TraceID(), s.SpanContext().TraceID())
	assert.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID(), "the caller's span is the parent")
	host, port, err := net.SplitHostPort(r.Addr)
	require.NoError(t, err)
	a := attrMap(s.Attributes())
	assert.Equal(t, "redis", a["db.system.name"])
	assert.Equal(t, "GET", a["db.operation.name"])
	assert.Equal(t, host, a["server.address"])
	assert.Equal(t, port, a["server.port"])
	assert.Equal(t, codes.Unset, s.Status().Code)

	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	dur := find(t, rm, "db.client.operation.duration").(metricdata.Histogram[float64])
	var gets uint64
	for _, dp := range dur.DataPoints {
		if v, ok := dp.Attributes.Value("arsenal.operation"); ok && v.AsString() == "get" {
			gets += dp.Count
		}
	}
	assert.Equal(t, uint64(1), gets, "one GET in the duration histogram")
}

func TestARealSQLiteErrorIsRecordedWithItsCode(t *testing.T) {
	e := newEnv(t)
	cfg := sqlite.Config{Path: filepath.Join(t.TempDir(), "app.db"), Create: true, Observer: e.obs}
	db, err := sqlite.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Exec(context.Background(), "CREATE TABLE users (email TEXT UNIQUE)")
	require.NoError(t, err)
	_, err = db.Exec(context.Background(), "INSERT INTO users VALUES (?)", "a@example.com")
	require.NoError(t, err)
	_, err = db.Exec(context.Background(), "INSERT INTO users VALUES (?)", "a@example.com")
	require.Error(t, err)
	require.Equal(t, arsenal.AlreadyExists, arsenal.CodeOf(err))

	var failed []string
	for _, s := range e.spans.Ended() {
		a := attrMap(s.Attributes())
		assert.Equal(t, "sqlite", a["db.system.name"], s.Name())
		assert.NotContains(t, a["db.query.text"], "a@example.com", "arguments never reach a span")
		if s.Status().Code == codes.Error {
			failed = append(failed, a["error.type"])
			assert.Equal(t, "INSERT INTO users VALUES (?)", a["db.query.text"])
		}
	}
	assert.Equal(t, []string{"AlreadyExists"}, failed, "exactly the failed INSERT carries its code")
}

func TestARealS3NotFoundRecordsItsCode(t *testing.T) {
	srv := testenv.SharedS3(t)
	require.True(t, srv.Real || !testenv.RequireReal(), "a real versitygw is required")
	t.Logf("s3 at %s (real versitygw: %v)", srv.Endpoint, srv.Real)
	bucket := srv.NewBucket(t)
	e := newEnv(t)
	c, err := s3.Open(context.Background(), s3.Config{
		Bucket: bucket, Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: security.NewSecret(srv.SecretKey),
		Observer: e.obs,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	before := len(e.spans.Ended())

	ctx, parent := e.tp.Tracer("test").Start(context.Background(), "handler")
	_, err = c.GetBytes(ctx, "missing/key.txt", nil)
	parent.End()
	require.Error(t, err)
	require.Equal(t, arsenal.NotFound, arsenal.CodeOf(err))

	spans := e.spans.Ended()[before:]
	require.Len(t, spans, 2, "the GET's span and the caller's")
	s := spans[0]
	assert.Equal(t, "S3.GetObject", s.Name())
	assert.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID(), "the caller's span is the parent")
	a := attrMap(s.Attributes())
	assert.Equal(t, "aws-api", a["rpc.system.name"])
	assert.Equal(t, bucket, a["aws.s3.bucket"])
	assert.Equal(t, "missing/key.txt", a["aws.s3.key"])
	assert.Equal(t, "NotFound", a["error.type"])
	assert.Equal(t, codes.Error, s.Status().Code)
	for k, v := range a {
		assert.NotContains(t, v, srv.SecretKey, "attribute %s holds no secret", k)
	}
}
