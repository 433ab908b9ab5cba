package qa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/qa"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// byName indexes a report's checks as "target/category/name".
func byName(r *qa.Report) map[string]qa.Check {
	m := map[string]qa.Check{}
	for _, c := range r.Checks {
		m[c.Target+"/"+string(c.Category)+"/"+c.Name] = c
	}
	return m
}

func status(t *testing.T, r *qa.Report, key string) qa.Status {
	t.Helper()
	c, ok := byName(r)[key]
	require.True(t, ok, "no check %s in %v", key, keys(r))
	return c.Status
}

func keys(r *qa.Report) []string {
	var out []string
	for k := range byName(r) {
		out = append(out, k)
	}
	return out
}

func echoServer(t *testing.T) string {
	t.Helper()
	srv, err := websocket.NewServer(websocket.ServerConfig{})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func s3URL(t *testing.T) (string, *testenv.S3, string) {
	t.Helper()
	srv := testenv.SharedS3(t)
	if !srv.Real {
		t.Log("S3: the embedded stand-in (gofakes3), not versitygw")
	}
	bucket := srv.NewBucket(t)
	u := "s3://" + url.PathEscape(srv.AccessKey) + ":" + url.PathEscape(srv.SecretKey) + "@" + bucket +
		"?endpoint=" + url.QueryEscape(srv.Endpoint) + "&region=" + srv.Region
	return u, srv, bucket
}

func TestAHealthyStackPassesEveryCategoryAndLeavesNothingBehind(t *testing.T) {
	ctx := ctxT(t)
	rs := testenv.StartRedis(t, "--requirepass", "qa-s3cret-pass")
	if !rs.Real {
		t.Log("Redis: the embedded stand-in (miniredis), not redis-server")
	}
	redisURL := "redis://:qa-s3cret-pass@" + rs.Addr + "/0"
	s3u, srv, bucket := s3URL(t)
	dbPath := filepath.Join(t.TempDir(), "app.db")
	wsURL := echoServer(t)
	targets := []qa.Target{
		{Name: "db", URL: "sqlite:" + dbPath + "?mode=rwc"},
		{Name: "cache", URL: redisURL},
		{Name: "blobs", URL: s3u},
		{Name: "ws", URL: wsURL},
	}
	rep, err := qa.Run(ctx, targets, qa.Options{Ops: 50, Thresholds: qa.Thresholds{P50: time.Second, P99: 5 * time.Second}})
	require.NoError(t, err)
	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	t.Log("\n" + text.String())

	for _, target := range []string{"db", "cache", "blobs", "ws"} {
		for _, check := range []string{"conformance/open", "conformance/health", "conformance/stats", "conformance/close",
			"integration/round trip", "performance/read latency"} {
			assert.Equal(t, qa.Pass, status(t, rep, target+"/"+check), target+"/"+check)
		}
	}
	assert.Equal(t, qa.Pass, status(t, rep, "cache/security/authentication required"), "a password is required")
	assert.Equal(t, qa.Warn, status(t, rep, "cache/security/transport"), "plaintext on loopback is a warning")
	assert.Equal(t, qa.Pass, status(t, rep, "ws/security/origin checked"), "the library's server refuses foreign origins")
	if srv.Real {
		assert.Equal(t, qa.Pass, status(t, rep, "blobs/security/bucket not publicly listable"))
		assert.Equal(t, qa.Pass, status(t, rep, "blobs/security/objects not publicly readable"))
	}
	assert.Equal(t, qa.Warn, status(t, rep, "db/security/file permissions"), "a 0644 file is readable by every user")
	assert.Equal(t, 0, rep.Count(qa.Fail), text.String())
	assert.True(t, rep.Passed())
	assert.Equal(t, 0, rep.ExitCode())
	assert.NotContains(t, text.String(), "qa-s3cret-pass", "the report never shows a credential")
	assert.NotContains(t, text.String(), srv.SecretKey)

	// Nothing is left under the prefix.
	assert.Equal(t, 1, rep.Cleaned["cache"])
	assert.Equal(t, 1, rep.Cleaned["blobs"])
	assert.Equal(t, 1, rep.Cleaned["db"])
	rcfg, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	rc, err := redis.Open(ctx, rcfg)
	require.NoError(t, err)
	defer rc.Close()
	left, err := rc.Keys(ctx, rep.Prefix+"*")
	require.NoError(t, err)
	assert.Empty(t, left)
	out, err := srv.Client().ListObjectsV2(ctx, listInput(bucket, rep.Prefix))
	require.NoError(t, err)
	assert.Empty(t, out.Contents)
	db, err := sqlite.Open(ctx, sqlite.Config{Path: dbPath})
	require.NoError(t, err)
	defer db.Close()
	var tables int64
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables))
	assert.Zero(t, tables, "the scratch table was dropped")
}

func TestAnOpenRedisAndAPermissiveWebSocketServerFailTheirSecurityChecks(t *testing.T) {
	ctx := ctxT(t)
	rs := testenv.StartRedis(t, "--protected-mode", "no")
	srv, err := websocket.NewServer(websocket.ServerConfig{AllowedOrigins: []string{"*"}})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	rep, err := qa.Run(ctx, []qa.Target{
		{Name: "cache", URL: "redis://" + rs.Addr},
		{Name: "ws", URL: "ws" + strings.TrimPrefix(hs.URL, "http")},
	}, qa.Options{Categories: []qa.Category{qa.Security}})
	require.NoError(t, err)
	assert.Equal(t, qa.Warn, status(t, rep, "cache/security/authentication required"), "no password, on loopback")
	if rs.Real {
		assert.Equal(t, qa.Warn, status(t, rep, "cache/security/protected mode"))
	}
	assert.Equal(t, qa.Fail, status(t, rep, "ws/security/origin checked"))
	assert.False(t, rep.Passed())
	assert.Equal(t, 1, rep.ExitCode())
	for _, c := range rep.Checks {
		assert.Equal(t, qa.Security, c.Category, "only the chosen category runs (%s)", c.Name)
	}
}

func TestAnUnreachableTargetIsAFailedCheckWithItsCode(t *testing.T) {
	rep, err := qa.Run(ctxT(t), []qa.Target{{Name: "gone", URL: "redis://127.0.0.1:1/0?connect_timeout=200ms"}}, qa.Options{})
	require.NoError(t, err)
	require.Len(t, rep.Checks, 1)
	c := rep.Checks[0]
	assert.Equal(t, "open", c.Name)
	assert.Equal(t, qa.Fail, c.Status)
	assert.Contains(t, []string{"Unavailable", "DeadlineExceeded"}, c.Code)
	assert.Equal(t, 1, rep.ExitCode())
}

func TestAnInterruptedRunStillCleansUp(t *testing.T) {
	rs := testenv.SharedRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rep *qa.Report
	done := make(chan struct{})
	go func() {
		defer close(done)
		var err error
		// Many reads: the run is still timing them when it is cancelled.
		rep, err = qa.Run(ctx, []qa.Target{{Name: "cache", URL: "redis://" + rs.Addr}},
			qa.Options{Ops: 1_000_000, Categories: []qa.Category{qa.Integration, qa.Performance}})
		assert.NoError(t, err)
	}()
	rc, err := redis.Open(context.Background(), redis.Config{Addrs: []string{rs.Addr}})
	require.NoError(t, err)
	defer rc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		k, err := rc.Keys(context.Background(), "arsenal-qa-*")
		require.NoError(t, err)
		if len(k) > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the run never wrote its key")
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	require.NotNil(t, rep)
	assert.True(t, rep.Interrupted)
	assert.Equal(t, 2, rep.ExitCode())
	assert.Equal(t, 1, rep.Cleaned["cache"])
	left, err := rc.Keys(context.Background(), rep.Prefix+"*")
	require.NoError(t, err)
	assert.Empty(t, left, "the clean-up ran though the run's context was cancelled")
}

func TestReportsRenderAsJSONAndEscapedHTML(t *testing.T) {
	rep := &qa.Report{Started: time.Unix(0, 0), Finished: time.Unix(1, 0), Prefix: "p-", Cleaned: map[string]int{"x": 1},
		Checks: []qa.Check{{Target: "x", Kind: "redis", Category: qa.Security, Name: "transport", Status: qa.Fail, Detail: `<script>alert(1)</script>`}}}
	var j bytes.Buffer
	require.NoError(t, rep.WriteJSON(&j))
	var got struct {
		Passed   bool       `json:"passed"`
		ExitCode int        `json:"exit_code"`
		Checks   []qa.Check `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(j.Bytes(), &got))
	assert.False(t, got.Passed)
	assert.Equal(t, 1, got.ExitCode)
	assert.Equal(t, qa.Fail, got.Checks[0].Status)
	var h bytes.Buffer
	require.NoError(t, rep.WriteHTML(&h))
	assert.NotContains(t, h.String(), "<script>alert(1)</script>")
	assert.Contains(t, h.String(), "&lt;script&gt;")
	assert.Contains(t, h.String(), "FAIL: 1 checks, 0 passed, 0 warnings, 1 failed, 0 skipped")
}

func TestBadOptionsAndTargetsAreInvalidArgument(t *testing.T) {
	for name, tc := range map[string]struct {
		targets []qa.Target
		opts    qa.Options
	}{
		"no targets":       {nil, qa.Options{}},
		"an empty URL":     {[]qa.Target{{Name: "a"}}, qa.Options{}},
		"duplicate names":  {[]qa.Target{{Name: "a", URL: "ws://x"}, {Name: "a", URL: "ws://y"}}, qa.Options{}},
		"unknown category": {[]qa.Target{{URL: "ws://x"}}, qa.Options{Categories: []qa.Category{"speed"}}},
		"a glob prefix":    {[]qa.Target{{URL: "ws://x"}}, qa.Options{Prefix: "a*"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := qa.Run(context.Background(), tc.targets, tc.opts)
			assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "%v", err)
		})
	}
}

func TestAWorldReadableSQLiteFileFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "open.db")
	db, err := sqlite.Open(ctxT(t), sqlite.Config{Path: path, Create: true})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NoError(t, os.Chmod(path, 0o666))
	rep, err := qa.Run(ctxT(t), []qa.Target{{Name: "db", URL: "sqlite:" + path}}, qa.Options{Categories: []qa.Category{qa.Security}})
	require.NoError(t, err)
	assert.Equal(t, qa.Fail, status(t, rep, "db/security/file permissions"))
	assert.Equal(t, qa.Skip, status(t, rep, "db/security/transport"))
}

func listInput(bucket, prefix string) *awss3.ListObjectsV2Input {
	return &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
}

var _ = s3.Kind

func TestPerformanceAloneWritesWhatItReadsAndCleansUp(t *testing.T) {
	ctx := ctxT(t)
	s3u, _, _ := s3URL(t)
	rep, err := qa.Run(ctx, []qa.Target{
		{Name: "db", URL: "sqlite:" + filepath.Join(t.TempDir(), "p.db") + "?mode=rwc"},
		{Name: "cache", URL: "redis://" + testenv.SharedRedis(t).Addr},
		{Name: "blobs", URL: s3u},
	}, qa.Options{Categories: []qa.Category{qa.Performance}, Ops: 10, Thresholds: qa.Thresholds{P50: time.Second, P99: 5 * time.Second}})
	require.NoError(t, err)
	require.Len(t, rep.Checks, 3)
	for _, c := range rep.Checks {
		assert.Equal(t, qa.Pass, c.Status, "%s: %s", c.Target, c.Detail)
		assert.Contains(t, c.Detail, "10 reads: p50")
	}
	assert.Equal(t, map[string]int{"db": 1, "cache": 1, "blobs": 1}, rep.Cleaned)
	assert.True(t, rep.Passed())
}

func TestAPubliclyReadableBucketFailsItsSecurityChecks(t *testing.T) {
	ctx := ctxT(t)
	s3u, srv, bucket := s3URL(t)
	if !srv.Real {
		t.Skip("the embedded S3 stand-in has no bucket policies; versitygw answers this test (ARSENAL_REQUIRE_REAL=1 makes the stand-in fail instead)")
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:ListBucket","s3:GetObject"],` +
		`"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`
	_, err := srv.Client().PutBucketPolicy(ctx, &awss3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
	require.NoError(t, err)
	rep, err := qa.Run(ctx, []qa.Target{{Name: "blobs", URL: s3u}}, qa.Options{Categories: []qa.Category{qa.Integration, qa.Security}})
	require.NoError(t, err)
	assert.Equal(t, qa.Fail, status(t, rep, "blobs/security/bucket not publicly listable"))
	assert.Equal(t, qa.Fail, status(t, rep, "blobs/security/objects not publicly readable"))
	assert.False(t, rep.Passed())
}

func TestTLSWithoutVerificationFailsAndAnUntrustedCertificateIsUnauthenticated(t *testing.T) {
	ctx := ctxT(t)
	srv, err := websocket.NewServer(websocket.ServerConfig{})
	require.NoError(t, err)
	hs := httptest.NewTLSServer(srv)
	defer hs.Close()
	defer srv.Close()
	wss := "wss" + strings.TrimPrefix(hs.URL, "https")

	rep, err := qa.Run(ctx, []qa.Target{{Name: "ws", URL: wss}}, qa.Options{})
	require.NoError(t, err)
	require.Len(t, rep.Checks, 1)
	assert.Equal(t, qa.Fail, rep.Checks[0].Status)
	assert.Equal(t, "Unauthenticated", rep.Checks[0].Code, "a self-signed certificate fails verification: %s", rep.Checks[0].Detail)

	rep, err = qa.Run(ctx, []qa.Target{{Name: "ws", URL: wss + "?insecure_skip_verify=true"}}, qa.Options{Categories: []qa.Category{qa.Security}})
	require.NoError(t, err)
	assert.Equal(t, qa.Fail, status(t, rep, "ws/security/transport"))
	assert.Contains(t, byName(rep)["ws/security/transport"].Detail, "without certificate verification")
}

func TestAReadOnlyRedisUserAndAReadOnlySQLiteFileFailTheRoundTripWithTheirCodes(t *testing.T) {
	ctx := ctxT(t)
	rs := testenv.StartRedis(t)
	if !rs.Real {
		t.Skip("miniredis has no ACL users; redis-server answers this test (ARSENAL_REQUIRE_REAL=1 makes the stand-in fail instead)")
	}
	// A user that may read and ping but not write.
	reply, err := testenv.RedisCommand(rs.Addr, "ACL SETUSER reader on >reader-pass ~* &* +@read +@connection +ping +info +client -@write")
	require.NoError(t, err)
	require.Equal(t, "+OK", reply)
	db := filepath.Join(t.TempDir(), "ro.db")
	rw, err := sqlite.Open(ctx, sqlite.Config{Path: db, Create: true})
	require.NoError(t, err)
	require.NoError(t, rw.Close())

	rep, err := qa.Run(ctx, []qa.Target{
		{Name: "cache", URL: "redis://reader:reader-pass@" + rs.Addr + "/0"},
		{Name: "db", URL: "sqlite:" + db + "?mode=ro"},
	}, qa.Options{Categories: []qa.Category{qa.Integration, qa.Performance}, Ops: 5})
	require.NoError(t, err)
	checks := byName(rep)
	for _, key := range []string{"cache/integration/round trip", "cache/performance/read latency", "db/integration/round trip", "db/performance/read latency"} {
		assert.Equal(t, qa.Fail, checks[key].Status, key)
	}
	assert.Equal(t, "PermissionDenied", checks["cache/integration/round trip"].Code, checks["cache/integration/round trip"].Detail)
	assert.NotEmpty(t, checks["db/integration/round trip"].Code)
	assert.NotContains(t, checks["cache/integration/round trip"].Detail, "reader-pass")
	assert.False(t, rep.Passed())
}
