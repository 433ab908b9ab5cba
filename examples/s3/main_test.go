package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// runExample runs the example's command line against a real versitygw
// (through the environment variables a user would set) and returns what
// it printed.
func runExample(t *testing.T, srv *testenv.S3, bucket string, args ...string) string {
	t.Helper()
	t.Setenv("S3_ENDPOINT", srv.Endpoint)
	t.Setenv("S3_BUCKET", bucket)
	t.Setenv("S3_REGION", srv.Region)
	t.Setenv("S3_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("S3_SECRET_ACCESS_KEY", srv.SecretKey)
	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, run(ctx, args), "output so far:\n%s", out.String())
	return out.String()
}

func TestTheDemoRunsAgainstARealServer(t *testing.T) {
	srv := testenv.SharedS3(t)
	bucket := "arsenal-example-" + testenv.RandomHex(4)
	t.Cleanup(func() { srv.EmptyAndDelete(bucket) }) // the example creates it
	out := runExample(t, srv, bucket)
	for _, want := range []string{
		"client: s3 " + srv.Endpoint + "/" + bucket + "/",
		"stored docs/hello.txt (15 bytes, etag ",
		"uploaded media/big.bin: 25165824 bytes in 3 parts",
		"docs/hello.txt\n  size 15, etag ",
		`x-amz-meta-author: demo`,
		`bytes 7-13: "arsenal"`,
		"docs/hello-copy.txt: text/plain; charset=utf-8, author=demo",
		"docs/hello.json: application/json, author=copier",
		"media/                         (prefix)",
		"plain GET: 200 OK, \"hello, arsenal\"",
		"stat of a missing key: s3: stat: NotFound: HeadObject: 404 NotFound\n  -> code NotFound",
		"unknown storage class: code InvalidArgument (rejected before any request)",
		"deleted 2 objects",
		"put ", "get ", "stat ",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, srv.SecretKey)

	// The subcommands, on the bucket the demo left.
	out = runExample(t, srv, bucket, "stat", "docs/hello.txt")
	assert.Contains(t, out, "size 15")
	out = runExample(t, srv, bucket, "list", "docs/")
	assert.Contains(t, out, "docs/hello.txt")
	file := filepath.Join(t.TempDir(), "hello.txt")
	out = runExample(t, srv, bucket, "download", "docs/hello.txt", file)
	assert.Contains(t, out, "downloaded docs/hello.txt to "+file+" (15 bytes)")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "hello, arsenal\n", string(b))
	out = runExample(t, srv, bucket, "upload", file, "up/hello.txt")
	assert.Contains(t, out, "uploaded up/hello.txt: 15 bytes")
	out = runExample(t, srv, bucket, "copy", "up/hello.txt", "up/copy.txt")
	assert.Contains(t, out, "copied up/hello.txt -> up/copy.txt on the server")
	out = runExample(t, srv, bucket, "presign", "up/copy.txt")
	assert.Contains(t, out, "plain GET: 200 OK")
	out = runExample(t, srv, bucket, "urls", "up/copy.txt")
	assert.Contains(t, out, "path     "+srv.Endpoint+"/"+bucket+"/up/copy.txt")
}
