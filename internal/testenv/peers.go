package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// NodeDir is where .ci/run installs the npm peers (ws, ioredis,
// @aws-sdk/client-s3, better-sqlite3, bun, deno); ARSENAL_NODE_DIR
// overrides it. Scripts run with this as their working directory (or with
// NODE_PATH set to its node_modules) find the packages.
func NodeDir() string {
	if d := os.Getenv("ARSENAL_NODE_DIR"); d != "" {
		return d
	}
	return "/opt/arsenal-tools/node"
}

// NodeModules is NodeDir()/node_modules.
func NodeModules() string { return filepath.Join(NodeDir(), "node_modules") }

// Peer finds a peer program: "node", "bun", "deno", "chromium", "python3",
// "redis-cli", "redis-benchmark", "sqlite3". Bun and Deno are looked up in
// NodeDir's node_modules/.bin first.
func Peer(name string) (string, bool) {
	switch name {
	case "bun", "deno":
		p := filepath.Join(NodeModules(), ".bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return Binary(name)
}

// RequirePeer returns the path of a peer program. When it is missing the
// test fails under ARSENAL_REQUIRE_REAL=1 and is skipped (with the reason)
// otherwise: a skipped interop test is never counted as a pass.
func RequirePeer(t testing.TB, name string) string {
	t.Helper()
	if p, ok := Peer(name); ok {
		peerLogOnce(name, p)
		return p
	}
	if RequireReal() {
		t.Fatalf("testenv: peer %q not installed and ARSENAL_REQUIRE_REAL=1 (run .ci/run to install it)", name)
	}
	t.Skipf("testenv: peer %q not installed; run .ci/run to install it", name)
	return ""
}

var peerLogged sync.Map

// peerLogOnce says once per test binary which real peer a test used.
func peerLogOnce(name, path string) {
	if _, seen := peerLogged.LoadOrStore(name, true); !seen {
		Logf("using real peer %s (%s)", name, path)
	}
}

// RequireNodeModule checks an npm package is installed in NodeDir, failing
// or skipping as RequirePeer does.
func RequireNodeModule(t testing.TB, pkg string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(NodeModules(), pkg, "package.json")); err == nil {
		return
	}
	if RequireReal() {
		t.Fatalf("testenv: npm package %q not installed in %s and ARSENAL_REQUIRE_REAL=1", pkg, NodeDir())
	}
	t.Skipf("testenv: npm package %q not installed in %s; run .ci/run", pkg, NodeDir())
}

// NodeCommand builds a command for a JavaScript/TypeScript runtime
// ("node", "bun" or "deno") running script, with NODE_PATH pointing at
// NodeModules and the working directory at NodeDir.
func NodeCommand(t testing.TB, runtime string, args ...string) *exec.Cmd {
	t.Helper()
	bin := RequirePeer(t, runtime)
	cmd := exec.Command(bin, args...)
	cmd.Dir = NodeDir()
	cmd.Env = append(os.Environ(), "NODE_PATH="+NodeModules())
	return cmd
}
