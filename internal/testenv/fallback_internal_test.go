package testenv

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withoutBinaries simulates a machine where no server binary is installed.
// Its stand-ins stay out of CI's summary of the servers the tests used.
func withoutBinaries(t *testing.T) {
	t.Setenv("ARSENAL_TESTENV_LOG", "")
	old := findServer
	findServer = func(string) (string, bool) { return "", false }
	t.Cleanup(func() { findServer = old })
}

func TestMissingRedisServerFallsBackToMiniredisAndSaysSo(t *testing.T) {
	withoutBinaries(t)
	t.Setenv("ARSENAL_REQUIRE_REAL", "")
	r, err := newRedis(nil)
	require.NoError(t, err)
	defer r.stop()
	assert.False(t, r.Real, "Real=%v Embedded=%v, want the embedded stand-in", r.Real, r.Embedded)
	assert.True(t, r.Embedded, "Real=%v Embedded=%v, want the embedded stand-in", r.Real, r.Embedded)
	if got, err := RedisCommand(r.Addr, "PING"); err != nil || got != "+PONG" {
		t.Errorf("PING = %q, %v", got, err)
	}
}

func TestMissingRedisServerFailsWhenRealServersAreRequired(t *testing.T) {
	withoutBinaries(t)
	t.Setenv("ARSENAL_REQUIRE_REAL", "1")
	if r, err := newRedis(nil); err == nil {
		r.stop()
		t.Fatal("newRedis fell back to a stand-in under ARSENAL_REQUIRE_REAL=1")
	} else if !strings.Contains(err.Error(), "ARSENAL_REQUIRE_REAL") {
		t.Errorf("error does not say why: %v", err)
	}
}

func TestMissingVersitygwFallsBackToGofakes3(t *testing.T) {
	withoutBinaries(t)
	t.Setenv("ARSENAL_REQUIRE_REAL", "")
	s, err := newS3("")
	require.NoError(t, err)
	defer s.stop()
	assert.False(t, s.Real, "Real is true for the stand-in")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := s.Client()
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fallback")})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fallback"), Key: aws.String("k"), Body: bytes.NewReader([]byte("v"))})
	require.NoError(t, err)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fallback"), Key: aws.String("k")})
	require.NoError(t, err)
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	assert.Equal(t, "v", string(b), "got %q", b)
	t.Setenv("ARSENAL_REQUIRE_REAL", "1")
	if s2, err := newS3(""); err == nil {
		s2.stop()
		t.Error("newS3 fell back to a stand-in under ARSENAL_REQUIRE_REAL=1")
	}
}
