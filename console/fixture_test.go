package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const redisPassword = "s3cr3t-redis-pw-4711"

// fixture is a console over real components: a SQLite file, a
// password-protected redis-server and a versitygw bucket.
type fixture struct {
	hub     *arsenal.Hub
	c       *console.Console
	srv     *httptest.Server
	redis   *redis.Client
	s3      *s3.Client
	s3Conf  s3.Config
	secrets []string
	rdAddr  string
}

func newFixture(t *testing.T, opts console.Options) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	f := &fixture{hub: arsenal.NewHub()}
	t.Cleanup(func() { _ = f.hub.Close() })

	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "app.db"), Create: true})
	require.NoError(t, err)
	require.NoError(t, f.hub.Add("db", db))

	rd := testenv.StartRedis(t, "--requirepass", redisPassword)
	f.rdAddr = rd.Addr
	f.redis, err = redis.Open(ctx, redis.Config{Addrs: []string{rd.Addr}, Password: security.NewSecret(redisPassword), Mode: redis.ModeStandalone})
	require.NoError(t, err)
	require.NoError(t, f.hub.Add("cache", f.redis))

	st := testenv.SharedS3(t)
	f.s3Conf = s3.Config{Bucket: st.NewBucket(t), Endpoint: st.Endpoint, Region: st.Region, AccessKeyID: st.AccessKey, SecretAccessKey: security.NewSecret(st.SecretKey)}
	f.s3, err = s3.Open(ctx, f.s3Conf)
	require.NoError(t, err)
	require.NoError(t, f.hub.Add("files", f.s3))
	f.secrets = []string{redisPassword, st.SecretKey}

	f.c, err = console.New(f.hub, opts)
	require.NoError(t, err)
	f.srv = httptest.NewServer(f.c)
	t.Cleanup(func() { f.srv.Close(); _ = f.c.Close() })
	return f
}

// get fetches path from the console and returns status and body.
func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + "/" + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// post sends body as a same-origin JSON POST (as the page does).
func (f *fixture) post(t *testing.T, path string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/"+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	return v
}
