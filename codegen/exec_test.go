package codegen_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"time"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// runSlots bounds how many generated programs run at once: the machine
// has two cores and each runtime starts several threads.
var runSlots = make(chan struct{}, 3)

// TestGeneratedJavaScriptRunsUnderBunNodeAndDeno renders every supported
// TypeScript and JavaScript combination and runs it under its runtime
// against real servers; the program checks its own results (Advanced and
// Production) and must exit 0.
func TestGeneratedJavaScriptRunsUnderBunNodeAndDeno(t *testing.T) {
	if testing.Short() {
		t.Skip("runs external runtimes; skipped with -short")
	}
	for _, cb := range combinations() {
		if cb.T.Language == codegen.Go {
			continue
		}
		name := string(cb.C) + "/" + cb.T.String()
		t.Run(name, func(t *testing.T) {
			env := serverEnv(t, cb.C)
			t.Parallel()
			code, err := codegen.Render(sampleConfig(t, cb.C), cb.T)
			require.NoError(t, err, "Render")
			runJS(t, code, env)
		})
	}
}

// runJS writes code to a temporary directory (whose node_modules links to
// the installed npm peers) and runs it under its runtime.
func runJS(t *testing.T, code codegen.Code, env []string) {
	t.Helper()
	runtime := string(code.Template.Framework)
	bin := testenv.RequirePeer(t, runtime)
	// The npm packages the program imports must be installed (.ci/run
	// installs them); without them the run is skipped, or fails under
	// ARSENAL_REQUIRE_REAL=1.
	for _, pkg := range []string{"ioredis", "ws", "better-sqlite3", "@aws-sdk/client-s3", "@aws-sdk/s3-request-presigner", "@aws-sdk/lib-storage"} {
		if strings.Contains(code.Source, `"`+pkg+`"`) || strings.Contains(code.Source, `'`+pkg+`'`) || strings.Contains(code.Source, `"npm:`+pkg) {
			testenv.RequireNodeModule(t, pkg)
		}
	}
	dir := t.TempDir()
	require.NoError(t, os.Symlink(testenv.NodeModules(), filepath.Join(dir, "node_modules")))
	file, src := code.Filename, code.Source
	if code.Template.Framework == codegen.Node && code.Template.Language == codegen.TypeScript {
		// The installed Node (20) cannot run TypeScript: strip the types
		// with esbuild, as a build step would.
		res := api.Transform(src, api.TransformOptions{Loader: api.LoaderTS, Format: api.FormatESModule, Target: api.ES2022})
		if len(res.Errors) > 0 {
			t.Fatalf("esbuild: %v", res.Errors[0].Text)
		}
		file, src = "main.mjs", string(res.Code)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(src), 0o644))
	var args []string
	switch code.Template.Framework {
	case codegen.Bun:
		args = []string{"run", file}
	case codegen.Node:
		args = []string{file}
	case codegen.Deno:
		args = []string{"run", "-A", "--node-modules-dir=manual", "--no-lock", file}
	}
	runSlots <- struct{}{}
	defer func() { <-runSlots }()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_PATH="+testenv.NodeModules(), "NO_COLOR=1", "DENO_NO_UPDATE_CHECK=1")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	require.NoError(t, err, "%s: %v after %s\n--- stdout\n%s--- stderr\n%s--- source\n%s", runtime, args, time.Since(start).Round(time.Millisecond), stdout.String(), stderr.String(), numbered(src))
	t.Logf("%s ran in %s:\n%s", runtime, time.Since(start).Round(time.Millisecond), stdout.String())
}

// serverEnv starts (or reuses) the servers a component's programs talk to
// and returns the environment pointing the programs at them.
func serverEnv(t *testing.T, c codegen.Component) []string {
	t.Helper()
	switch c {
	case codegen.SQLite:
		// A fresh file per program; the sample config creates it.
		return []string{"SQLITE_PATH=" + filepath.Join(t.TempDir(), "app.db")}
	case codegen.WebSocket:
		return echoServerEnv(t)
	case codegen.Redis:
		r := testenv.SharedRedis(t)
		return []string{"REDIS_ADDR=" + r.Addr}
	case codegen.S3:
		s := testenv.SharedS3(t)
		return []string{
			"S3_ENDPOINT=" + s.Endpoint, "S3_BUCKET=" + s.NewBucket(t), "S3_REGION=" + s.Region,
			"S3_ACCESS_KEY_ID=" + s.AccessKey, "S3_SECRET_ACCESS_KEY=" + s.SecretKey,
		}
	}
	t.Skipf("no test server for %s yet", c)
	return nil
}

// Credentials the WebSocket echo server demands, as the programs read them
// from the environment.
const (
	wsPassword = "echo-password"
	wsAPIKey   = "echo-api-key"
)

// echoServerEnv starts a WebSocket echo server from the websocket package
// on 127.0.0.1 for one test. It speaks chat.v1, compresses, and refuses
// any handshake without the sample config's headers (X-Client, X-Api-Key
// and the Basic credentials from the URL), so a program that drops one
// fails.
func echoServerEnv(t *testing.T) []string {
	t.Helper()
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("demo:"+wsPassword))
	srv, err := websocket.NewServer(websocket.ServerConfig{
		Subprotocols: []string{"chat.v1"},
		Compression:  true,
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			if r.Header.Get("X-Client") != "arsenal-codegen" || r.Header.Get("X-Api-Key") != wsAPIKey || r.Header.Get("Authorization") != wantAuth {
				return nil, nil, arsenal.Errorf(arsenal.Unauthenticated, "echo", "upgrade", "missing or wrong handshake headers")
			}
			if r.URL.Query().Get("room") != "lobby" {
				return nil, nil, arsenal.Errorf(arsenal.NotFound, "echo", "upgrade", "no such room")
			}
			return nil, nil, nil
		},
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.Send(typ, data)
		},
	})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return []string{
		"WS_URL=ws://" + hs.Listener.Addr().String() + "/echo?room=lobby",
		"WS_PASSWORD=" + wsPassword, "WS_HEADER_X_API_KEY=" + wsAPIKey,
	}
}

func numbered(src string) string {
	var b bytes.Buffer
	for i, l := range bytes.Split([]byte(src), []byte("\n")) {
		b.WriteString(itoa(i + 1))
		b.WriteString("\t")
		b.Write(l)
		b.WriteString("\n")
	}
	return b.String()
}

// readOnlyDB creates a database file with one table for the read-only
// programs and returns its environment.
func readOnlyDB(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "existing.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
	require.NoError(t, err)
	if _, err := db.Exec(ctx, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"); err != nil {
		t.Fatal(err)
	}
	require.NoError(t, db.Close())
	return []string{"SQLITE_PATH=" + path}
}

// readOnlySQLite is the configuration of the read-only programs.
var readOnlySQLite = sqlite.Config{Path: "existing.db", ReadOnly: true, SafeIntegers: true}

func TestReadOnlySQLiteProgramsRunUnderBunNodeAndDeno(t *testing.T) {
	if testing.Short() {
		t.Skip("runs external runtimes; skipped with -short")
	}
	for _, fw := range codegen.Frameworks(codegen.TypeScript) {
		t.Run(string(fw), func(t *testing.T) {
			env := readOnlyDB(t)
			t.Parallel()
			code, err := codegen.Render(readOnlySQLite, codegen.Template{Language: codegen.TypeScript, Framework: fw, Complexity: codegen.Production})
			require.NoError(t, err)
			runJS(t, code, env)
		})
	}
}
