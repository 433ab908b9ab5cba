package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func cli(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var o, e bytes.Buffer
	code = run(ctx, args, strings.NewReader(stdin), &o, &e)
	return o.String(), e.String(), code
}

func TestListShowHintAndSolutionPrintTheTutorials(t *testing.T) {
	out, _, code := cli(t, "", "list")
	require.Equal(t, 0, code)
	for _, name := range []string{"redis", "s3", "sqlite", "websocket"} {
		assert.Contains(t, out, name)
	}
	out, _, code = cli(t, "", "show", "sqlite")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "1. Create a table")
	assert.Contains(t, out, "6. Name a query with a view")
	out, _, code = cli(t, "", "show", "redis", "3")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "Step 3 of 6: Store a user in a hash")
	out, _, code = cli(t, "", "hint", "redis", "3")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "field/value pairs")
	out, _, code = cli(t, "", "solution", "redis", "3")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `rc.HSet(ctx, prefix+"user:1", "name", "Ada", "lang", "go")`)
}

func TestBadArgumentsExitWithTwo(t *testing.T) {
	for _, args := range [][]string{nil, {"show"}, {"show", "mongodb"}, {"show", "redis", "9"}, {"hint", "redis"},
		{"frobnicate", "redis"}, {"check", "redis", "-bogus"}, {"check", "redis", "1", "2"}} {
		_, stderr, code := cli(t, "", args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.NotEmpty(t, stderr, "%v", args)
	}
}

func TestCheckFailsUntilTheSolutionIsAppliedOnARealRedis(t *testing.T) {
	rs := testenv.SharedRedis(t)
	flags := []string{"-redis", rs.URL() + "/0", "-prefix", "cli:" + testenv.RandomHex(4) + ":"}
	out, _, code := cli(t, "", append([]string{"check", "redis", "1"}, flags...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "step 1 (Store a string): not done")
	assert.Contains(t, out, "FailedPrecondition")

	out, _, code = cli(t, "", append([]string{"solution", "redis", "1", "-apply"}, flags...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "applied step 1")
	out, _, code = cli(t, "", append([]string{"check", "redis", "1"}, flags...)...)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "step 1 (Store a string): done")

	// Progress over every step: the first not done stops it.
	out, _, code = cli(t, "", append([]string{"check", "redis"}, flags...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "step 1 (Store a string): done")
	assert.Contains(t, out, "step 2 (Make it expire): not done")

	out, _, code = cli(t, "", append([]string{"walk", "redis", "-solve"}, flags...)...)
	require.Equal(t, 0, code, out)
	out, _, code = cli(t, "", append([]string{"check", "redis"}, flags...)...)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "redis: all 6 steps done")
}

func TestWalkingInteractivelyChecksHintsShowsAndAppliesTheSolution(t *testing.T) {
	db := filepath.Join(t.TempDir(), "walk.db")
	// Step 1: check (fails), hint, solution, apply, check (passes); step 2: quit.
	out, _, code := cli(t, "\nhint\nsolution\napply\n\nquit\n", "walk", "sqlite", "-db", db)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "not yet: tutorial: validate: FailedPrecondition: the table todos does not exist yet")
	assert.Contains(t, out, "hint: DB.Exec runs any statement")
	assert.Contains(t, out, "solution:\n_, err := db.Exec(ctx, \"CREATE TABLE todos(")
	assert.Contains(t, out, "solution applied")
	assert.Contains(t, out, "step 1 done")
	assert.Contains(t, out, "Step 2 of 6: Insert rows with parameters")
	assert.NotContains(t, out, "step 2 done")

	// The state is in the file: check sees step 1 done.
	out, _, code = cli(t, "", "check", "sqlite", "1", "-db", db)
	assert.Equal(t, 0, code, out)
	// End of input stops the walk.
	_, _, code = cli(t, "", "walk", "sqlite", "-db", db)
	assert.Equal(t, 1, code)
}

func TestWalkSolvesTheWebSocketAndS3TutorialsOnRealServers(t *testing.T) {
	out, _, code := cli(t, "", "walk", "websocket", "-solve")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "playground: ws://127.0.0.1:")
	assert.Contains(t, out, "step 5 done")
	assert.Contains(t, out, "websocket tutorial finished")

	srv := testenv.SharedS3(t)
	if testenv.RequireReal() {
		require.True(t, srv.Real, "versitygw is required")
	}
	bucket := srv.NewBucket(t)
	t.Setenv("S3_ENDPOINT", srv.Endpoint)
	t.Setenv("S3_BUCKET", bucket)
	t.Setenv("S3_REGION", srv.Region)
	t.Setenv("S3_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("S3_SECRET_ACCESS_KEY", srv.SecretKey)
	out, stderr, code := cli(t, "", "check", "s3", "1")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, "the object hello.txt does not exist yet")
	out, stderr, code = cli(t, "", "walk", "s3", "-solve")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "s3 tutorial finished")
	assert.NotContains(t, out+stderr, srv.SecretKey)
}

func TestAnUnreachableComponentIsReportedWithItsCode(t *testing.T) {
	port, err := testenv.FreePort()
	require.NoError(t, err)
	_, stderr, code := cli(t, "", "check", "redis", "-redis", "redis://:sekrit-pass@127.0.0.1:"+strconv.Itoa(port)+"/0?connect_timeout=500ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "open the redis component")
	assert.Contains(t, stderr, "code: Unavailable")
	assert.NotContains(t, stderr, "sekrit-pass")
}
