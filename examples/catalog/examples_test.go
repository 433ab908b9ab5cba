package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/examples/library"
	"github.com/infra-arsenal/arsenal/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// moduleRoot is the directory holding go.mod, two levels up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "examples/catalog must sit two levels below the module root")
	return root
}

func TestTheIndexIsValidAndListsExactlyTheExampleDirectories(t *testing.T) {
	require.NoError(t, library.Validate())
	var names []string
	for _, e := range library.All() {
		names = append(names, e.Name)
	}
	assert.GreaterOrEqual(t, len(names), 30)

	// The directories on disk holding Go files, and those embedded.
	ents, err := os.ReadDir(filepath.Join(moduleRoot(t), "examples", "library"))
	require.NoError(t, err)
	var onDisk []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if m, _ := filepath.Glob(filepath.Join(moduleRoot(t), "examples", "library", e.Name(), "*.go")); len(m) > 0 {
			onDisk = append(onDisk, e.Name())
		}
	}
	assert.Equal(t, names, onDisk, "every example directory is indexed and every indexed example has a directory")
	assert.Equal(t, names, library.Dirs(), "the embedded sources match the index")

	// Every database and level is represented; every example is copyable:
	// a package main that imports nothing internal to the module.
	for _, db := range library.Databases {
		assert.NotEmpty(t, library.Filter(library.Query{Database: db}), db)
	}
	for _, c := range library.Complexities {
		assert.NotEmpty(t, library.Filter(library.Query{Complexity: c}), c)
	}
	for _, e := range library.All() {
		src, err := library.Source(e.Name)
		require.NoError(t, err)
		require.Contains(t, src, "main.go", e.Name)
		for file, code := range src {
			assert.True(t, strings.HasPrefix(strings.TrimLeft(stripComments(code), "\n"), "package main"), "%s/%s is not package main", e.Name, file)
			assert.NotContains(t, code, "arsenal/internal/", "%s/%s imports an internal package: it must be copyable", e.Name, file)
		}
		assert.Contains(t, src["main.go"]+src["demo.go"], "// Command "+e.Name+" ", "%s: a package comment naming the command", e.Name)
	}
}

func stripComments(code string) string {
	var out []string
	for _, l := range strings.Split(code, "\n") {
		if !strings.HasPrefix(l, "//") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// buildExamples builds every example binary in one go build, into dir.
func buildExamples(t *testing.T, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", dir+string(filepath.Separator), "./examples/library/...")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
}

// goTool is the go command running this test (go test puts its GOROOT's
// bin first on PATH).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// exampleEnv is the process environment without any setting the examples
// read, plus extra.
func exampleEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "REDIS_URL" || k == "VALKEY_URL" || k == "SQLITE_PATH" || strings.HasPrefix(k, "S3_") || strings.HasPrefix(k, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func runExample(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "%s did not finish in time", filepath.Base(bin))
	code = 0
	if err != nil {
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		code = ee.ExitCode()
	}
	return o.String(), e.String(), code
}

func TestEveryIndexedExampleRunsAgainstRealServers(t *testing.T) {
	bins := t.TempDir()
	buildExamples(t, bins)

	rs := testenv.SharedRedis(t)
	s3 := testenv.SharedS3(t)
	bucket := s3.NewBucket(t)
	if testenv.RequireReal() {
		require.True(t, s3.Real, "versitygw is required")
	}
	env := exampleEnv(
		"REDIS_URL="+rs.URL()+"/0",
		"S3_ENDPOINT="+s3.Endpoint, "S3_BUCKET="+bucket, "S3_REGION="+s3.Region,
		"S3_ACCESS_KEY_ID="+s3.AccessKey, "S3_SECRET_ACCESS_KEY="+s3.SecretKey,
	)
	for _, e := range library.All() {
		t.Run(e.Name, func(t *testing.T) {
			exEnv := append(slices.Clone(env), "SQLITE_PATH="+filepath.Join(t.TempDir(), "app.db"))
			stdout, stderr, code := runExample(t, filepath.Join(bins, e.Name), exEnv)
			require.Equal(t, 0, code, "exit code; stdout:\n%s\nstderr:\n%s", stdout, stderr)
			for _, want := range e.Expect {
				assert.Contains(t, stdout, want, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			assert.NotContains(t, stdout+stderr, s3.SecretKey, "no secret printed")
		})
	}

	// The flags do what the environment does.
	t.Run("flags instead of the environment", func(t *testing.T) {
		out, stderr, code := runExample(t, filepath.Join(bins, "redis-hello"), exampleEnv(), "-redis", rs.URL()+"/0")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "get: hello, arsenal")
		db := filepath.Join(t.TempDir(), "flag.db")
		out, stderr, code = runExample(t, filepath.Join(bins, "sqlite-hello"), exampleEnv(), "-db", db)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "users: 2")
		_, err := os.Stat(db)
		assert.NoError(t, err, "the database is the -db file")
		port, err := testenv.FreePort()
		require.NoError(t, err)
		out, stderr, code = runExample(t, filepath.Join(bins, "ws-echo"), exampleEnv(), "-addr", "127.0.0.1:"+strconv.Itoa(port))
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "echo (true): hello")
		_, stderr, code = runExample(t, filepath.Join(bins, "ws-echo"), exampleEnv(), "-bogus")
		assert.Equal(t, 2, code, "a bad flag exits with 2")
		assert.Contains(t, stderr, "flag provided but not defined")
	})

	// Failures exit non-zero with the error on stderr.
	t.Run("unreachable redis fails", func(t *testing.T) {
		port, err := testenv.FreePort()
		require.NoError(t, err)
		_, stderr, code := runExample(t, filepath.Join(bins, "redis-hello"),
			exampleEnv("REDIS_URL=redis://127.0.0.1:"+strconv.Itoa(port)+"/0?connect_timeout=1s&max_retries=0&auto_reconnect=false"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "error:")
	})
	t.Run("missing bucket fails", func(t *testing.T) {
		_, stderr, code := runExample(t, filepath.Join(bins, "s3-hello"), exampleEnv(
			"S3_ENDPOINT="+s3.Endpoint, "S3_BUCKET=no-such-bucket-"+testenv.RandomHex(4), "S3_REGION="+s3.Region,
			"S3_ACCESS_KEY_ID="+s3.AccessKey, "S3_SECRET_ACCESS_KEY="+s3.SecretKey))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "NotFound")
		assert.NotContains(t, stderr, s3.SecretKey)
	})
}
