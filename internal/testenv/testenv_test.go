package testenv_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestSharedRedisAnswersAndIsNotTheSharedInstance(t *testing.T) {
	r := testenv.SharedRedis(t)
	require.False(t, strings.HasSuffix(r.Addr, ":6379"), "testenv used the shared default port: %s", r.Addr)
	if testenv.RequireReal() && !r.Real {
		t.Fatal("ARSENAL_REQUIRE_REAL=1 but a stand-in was used")
	}
	got, err := testenv.RedisCommand(r.Addr, "SET testenv:k v")
	require.NoError(t, err, "SET = %q, %v", got, err)
	require.Equal(t, "+OK", got, "SET = %q, %v", got, err)
	got, err = testenv.RedisCommand(r.Addr, "EXISTS testenv:k")
	require.NoError(t, err, "EXISTS = %q, %v", got, err)
	require.Equal(t, ":1", got, "EXISTS = %q, %v", got, err)
	if again := testenv.SharedRedis(t); again != r {
		t.Error("SharedRedis started a second server")
	}
}

func TestDedicatedRedisSurvivesKillAndRestartWithAppendOnly(t *testing.T) {
	r := testenv.StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	if !r.Real {
		require.False(t, testenv.RequireReal(), "stand-in used under ARSENAL_REQUIRE_REAL=1")
		t.Skip("redis-server not installed: kill/restart needs a real server")
	}
	got, _ := testenv.RedisCommand(r.Addr, "SET durable 1")
	require.Equal(t, "+OK", got, "SET")
	r.Kill()
	_, err := testenv.RedisCommand(r.Addr, "PING")
	require.Error(t, err, "server still answers after Kill")
	require.NoError(t, r.Restart())
	got, _ = testenv.RedisCommand(r.Addr, "GET durable")
	assert.Equal(t, "$1", got, "after restart GET durable, want the value back")
}

func TestSharedS3StoresAndReturnsObjects(t *testing.T) {
	s := testenv.SharedS3(t)
	if testenv.RequireReal() && !s.Real {
		t.Fatal("ARSENAL_REQUIRE_REAL=1 but a stand-in was used")
	}
	bucket := s.NewBucket(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := s.Client()
	body := []byte("hello arsenal")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b.txt"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b.txt")})
	require.NoError(t, err)
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	assert.Equal(t, body, got)
}

func TestPostgresGivesAThrowawayDatabase(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var name string
	require.NoError(t, conn.QueryRow(ctx, "select current_database()").Scan(&name))
	assert.True(t, strings.HasPrefix(name, "arsenal_test_"), "connected to %q, not a throwaway database", name)
	_, err = conn.Exec(ctx, "create table t(x int); insert into t values (1)")
	require.NoError(t, err)
}

func TestFreePortIsOnLoopbackAndUsable(t *testing.T) {
	p, err := testenv.FreePort()
	require.NoError(t, err, "FreePort = %d, %v", p, err)
	require.Greater(t, p, 0, "FreePort = %d, %v", p, err)
	require.NotEqual(t, 6379, p, "FreePort = %d, %v", p, err)
	assert.Error(t, testenv.WaitTCP("127.0.0.1:1", 100*time.Millisecond), "WaitTCP succeeded on a closed port")
}
