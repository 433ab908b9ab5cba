package qa_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/qa"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

// uncheckable is a component of a kind qa has no checks for.
type uncheckable struct{ closed *atomic.Bool }

func (uncheckable) Kind() string                 { return "uncheckable" }
func (uncheckable) Health(context.Context) error { return nil }
func (uncheckable) Stats() arsenal.Stats {
	return arsenal.Stats{Kind: "uncheckable", Since: time.Now()}
}
func (u uncheckable) Close() error { u.closed.Store(true); return nil }

var uncheckableClosed atomic.Bool

func init() {
	arsenal.Register("qa-cov-uncheckable", func(context.Context, *url.URL) (arsenal.Component, error) {
		return uncheckable{closed: &uncheckableClosed}, nil
	})
}

// A component qa opens but has no checks for is a failed "checks" check
// with Unimplemented, and the component is closed again.
func TestAComponentWithoutChecksIsUnimplementedAndClosed(t *testing.T) {
	uncheckableClosed.Store(false)
	rep, err := qa.Run(ctxT(t), []qa.Target{{Name: "odd", URL: "qa-cov-uncheckable://x"}}, qa.Options{})
	require.NoError(t, err)
	checks := byName(rep)
	assert.Equal(t, qa.Pass, checks["odd/conformance/open"].Status)
	c, ok := checks["odd/conformance/checks"]
	require.True(t, ok, "checks: %v", keys(rep))
	assert.Equal(t, qa.Fail, c.Status)
	assert.Equal(t, "Unimplemented", c.Code)
	assert.Contains(t, c.Detail, "uncheckable")
	assert.Len(t, rep.Checks, 2, "no further checks run")
	assert.True(t, uncheckableClosed.Load(), "the component was closed")
	assert.False(t, rep.Passed())
}

// A URL that does not parse is a failed open check with InvalidArgument;
// a target without a name is named by its position.
func TestAnUnparseableURLFailsOpenAndUnnamedTargetsAreNumbered(t *testing.T) {
	rep, err := qa.Run(ctxT(t), []qa.Target{{URL: "redis://[::1"}}, qa.Options{})
	require.NoError(t, err)
	require.Len(t, rep.Checks, 1)
	c := rep.Checks[0]
	assert.Equal(t, "target1", c.Target)
	assert.Equal(t, "open", c.Name)
	assert.Equal(t, qa.Fail, c.Status)
	assert.Equal(t, "InvalidArgument", c.Code)
	assert.Equal(t, 1, rep.ExitCode())
}

// A run whose context is already cancelled checks nothing and is
// interrupted.
func TestACancelledRunChecksNothingAndIsInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := qa.Run(ctx, []qa.Target{{Name: "db", URL: "sqlite::memory:"}}, qa.Options{})
	require.NoError(t, err)
	assert.Empty(t, rep.Checks)
	assert.True(t, rep.Interrupted)
	assert.Equal(t, 2, rep.ExitCode())
	assert.True(t, strings.HasPrefix(rep.Summary(), "INTERRUPTED: 0 checks"), rep.Summary())
}

func TestReadLatencyOverTheThresholdsFails(t *testing.T) {
	rep, err := qa.Run(ctxT(t), []qa.Target{{Name: "db", URL: "sqlite::memory:"}}, qa.Options{
		Categories: []qa.Category{qa.Performance}, Ops: 5,
		Thresholds: qa.Thresholds{P50: time.Nanosecond, P99: time.Nanosecond},
	})
	require.NoError(t, err)
	require.Len(t, rep.Checks, 1)
	c := rep.Checks[0]
	assert.Equal(t, qa.Fail, c.Status)
	assert.Contains(t, c.Detail, "5 reads: p50")
	assert.Contains(t, c.Detail, "(limit 1ns)")
	assert.Empty(t, c.Code, "a slow read is no error")
	assert.Equal(t, map[string]int{"db": 1}, rep.Cleaned)
}

func TestSQLiteSecurityJudgesMemoryPrivateFilesAndTrustedSchema(t *testing.T) {
	ctx := ctxT(t)
	path := filepath.Join(t.TempDir(), "private.db")
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NoError(t, os.Chmod(path, 0o600))

	rep, err := qa.Run(ctx, []qa.Target{
		{Name: "mem", URL: "sqlite::memory:"},
		{Name: "private", URL: "sqlite:" + path + "?trusted_schema=true"},
	}, qa.Options{Categories: []qa.Category{qa.Security}})
	require.NoError(t, err)
	checks := byName(rep)
	assert.Equal(t, qa.Skip, checks["mem/security/file permissions"].Status)
	assert.Contains(t, checks["mem/security/file permissions"].Detail, "in-memory")
	assert.Equal(t, qa.Pass, checks["mem/security/trusted schema"].Status)
	assert.Equal(t, qa.Pass, checks["private/security/file permissions"].Status)
	assert.Contains(t, checks["private/security/file permissions"].Detail, "-rw-------")
	assert.Equal(t, qa.Warn, checks["private/security/trusted schema"].Status)
	assert.True(t, rep.Passed(), "warnings do not fail a report")
}

// A Redis server that requires a password and runs in protected mode
// passes both checks (the probe reads CONFIG GET's RESP3 map and sees the
// mode on), and the password appears nowhere in the report.
func TestAPasswordProtectedRedisInProtectedModePasses(t *testing.T) {
	if !testenv.SharedRedis(t).Real {
		t.Skip("miniredis has no CONFIG GET; redis-server answers this test (ARSENAL_REQUIRE_REAL=1 makes the stand-in fail instead)")
	}
	rs := testenv.StartRedis(t, "--requirepass", "qa-cov-pass-77", "--protected-mode", "yes")
	rep, err := qa.Run(ctxT(t), []qa.Target{
		{Name: "cache", URL: "redis://:qa-cov-pass-77@" + rs.Addr + "/0?connect_timeout=2s"},
	}, qa.Options{Categories: []qa.Category{qa.Security}})
	require.NoError(t, err)
	checks := byName(rep)
	assert.Equal(t, qa.Warn, checks["cache/security/transport"].Status, "plaintext on loopback")
	assert.Equal(t, qa.Pass, checks["cache/security/authentication required"].Status, checks["cache/security/authentication required"].Detail)
	assert.Equal(t, qa.Pass, checks["cache/security/protected mode"].Status, checks["cache/security/protected mode"].Detail)
	assert.Equal(t, "protected-mode is on", checks["cache/security/protected mode"].Detail)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteJSON(&buf))
	assert.NotContains(t, buf.String(), "qa-cov-pass-77")
}

// A user without CONFIG cannot tell the protected mode: the check is
// skipped with the code of the refusal.
func TestProtectedModeIsSkippedForAUserWithoutConfig(t *testing.T) {
	rs := testenv.StartRedis(t)
	if !rs.Real {
		t.Skip("miniredis has no ACL users; redis-server answers this test (ARSENAL_REQUIRE_REAL=1 makes the stand-in fail instead)")
	}
	reply, err := testenv.RedisCommand(rs.Addr, "ACL SETUSER limited on >limited-pass ~* &* +@read +@connection +ping +info +client -config")
	require.NoError(t, err)
	require.Equal(t, "+OK", reply)
	rep, err := qa.Run(ctxT(t), []qa.Target{{Name: "cache", URL: "redis://limited:limited-pass@" + rs.Addr + "/0"}},
		qa.Options{Categories: []qa.Category{qa.Security}})
	require.NoError(t, err)
	c := byName(rep)["cache/security/protected mode"]
	assert.Equal(t, qa.Skip, c.Status)
	assert.Equal(t, "PermissionDenied", c.Code, c.Detail)
}

// A WebSocket server that accepts one connection and answers every later
// handshake with 500: the foreign-Origin probe cannot tell (skip, with the
// code) and the close check, which needs a second connection, fails.
func TestAWebSocketServerRefusingLaterHandshakesSkipsOriginAndFailsClose(t *testing.T) {
	var n atomic.Int32
	srv, err := websocket.NewServer(websocket.ServerConfig{
		AllowedOrigins: []string{"*"},
		Upgrade: func(*http.Request) (any, http.Header, error) {
			if n.Add(1) == 1 {
				return nil, nil, nil
			}
			return nil, nil, errors.New("only one connection")
		},
	})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	rep, err := qa.Run(ctxT(t), []qa.Target{{Name: "ws", URL: "ws" + strings.TrimPrefix(hs.URL, "http")}},
		qa.Options{Categories: []qa.Category{qa.Conformance, qa.Security}})
	require.NoError(t, err)
	checks := byName(rep)
	assert.Equal(t, qa.Pass, checks["ws/conformance/open"].Status)
	assert.Equal(t, qa.Pass, checks["ws/conformance/health"].Status)
	origin := checks["ws/security/origin checked"]
	assert.Equal(t, qa.Skip, origin.Status, origin.Detail)
	assert.Equal(t, "Internal", origin.Code)
	cl := checks["ws/conformance/close"]
	assert.Equal(t, qa.Fail, cl.Status)
	assert.Equal(t, "Internal", cl.Code, cl.Detail)
	assert.False(t, rep.Passed())
}

// The text report shows each failure's code, the summary and what the
// clean-up could not remove.
func TestTheTextReportShowsCodesAndCleanupFailures(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep := &qa.Report{
		Started: start, Finished: start.Add(1500 * time.Millisecond), Prefix: "arsenal-qa-x-",
		Checks: []qa.Check{
			{Target: "cache", Kind: "redis", Category: qa.Integration, Name: "round trip", Status: qa.Fail, Detail: "write refused", Code: "PermissionDenied", Duration: time.Millisecond},
			{Target: "cache", Kind: "redis", Category: qa.Conformance, Name: "health", Status: qa.Pass, Detail: "healthy"},
		},
		Cleaned:       map[string]int{"cache": 0},
		CleanupErrors: map[string]string{"cache": "scan failed"},
	}
	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf))
	out := buf.String()
	assert.Contains(t, out, "write refused [PermissionDenied]")
	assert.Contains(t, out, "FAIL: 2 checks, 1 passed, 0 warnings, 1 failed, 0 skipped in 1.5s")
	assert.Contains(t, out, "cleaned up cache: 0 item(s) under arsenal-qa-x-")
	assert.Contains(t, out, "CLEAN-UP FAILED for cache: scan failed")
	assert.Equal(t, 1, rep.ExitCode())

	rep.Interrupted = true
	assert.True(t, strings.HasPrefix(rep.Summary(), "INTERRUPTED: "), rep.Summary())
	assert.Equal(t, 2, rep.ExitCode())
}
