package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

func TestAuditorWritesStructuredEventsWithoutSecrets(t *testing.T) {
	var buf bytes.Buffer
	a := security.NewAuditor(slog.NewJSONHandler(&buf, nil), nil)
	ctx := context.Background()
	start := time.Now().Add(-15 * time.Millisecond)
	require.NoError(t, a.Record(ctx, security.EventFor("alice", "redis", "get", "user:1", start, nil)))
	denied := arsenal.Errorf(arsenal.PermissionDenied, "redis", "del", "denied by rule %q", "no-del")
	e := security.EventFor("bob", "s3", "put", "s3://AKID:sk-in-url@bucket/key", start, denied)
	e.Rule = "no-del"
	e.Attrs = []slog.Attr{
		slog.String("password", "pw-attr-1"),
		slog.Any("conn", security.NewSecret("sk-secret-1")),
		slog.String("Authorization", "Bearer tok-1"),
		slog.Group("auth", slog.String("session_token", "st-1"), slog.String("user", "bob")),
		slog.String("endpoint", "redis://u:pw-url-2@host:6379/0"),
		slog.Int("bytes", 42),
	}
	require.NoError(t, a.Record(ctx, e))
	out := buf.String()
	for _, secret := range []string{"pw-attr-1", "sk-secret-1", "tok-1", "st-1", "sk-in-url", "pw-url-2"} {
		assert.NotContains(t, out, secret)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var ok, bad map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ok))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &bad))
	assert.Equal(t, "audit", ok["msg"])
	assert.Equal(t, "INFO", ok["level"])
	assert.Equal(t, "alice", ok["principal"])
	assert.Equal(t, "redis", ok["component"])
	assert.Equal(t, "get", ok["operation"])
	assert.Equal(t, "user:1", ok["resource"])
	assert.Equal(t, "ok", ok["outcome"])
	assert.Equal(t, "OK", ok["code"])
	assert.GreaterOrEqual(t, ok["latency_ms"].(float64), 15.0)
	assert.NotEmpty(t, ok["time"])
	assert.Equal(t, "WARN", bad["level"])
	assert.Equal(t, "denied", bad["outcome"])
	assert.Equal(t, "PermissionDenied", bad["code"])
	assert.Equal(t, "no-del", bad["rule"])
	assert.Equal(t, float64(42), bad["bytes"])
	assert.Equal(t, "bob", bad["auth"].(map[string]any)["user"])

	var none *security.Auditor
	assert.NoError(t, none.Record(ctx, e), "a nil Auditor records nothing")
	fail := security.EventFor("c", "sqlite", "exec", "t", start, errors.New("disk"))
	assert.Equal(t, security.OutcomeError, func() security.Outcome {
		var b bytes.Buffer
		require.NoError(t, security.NewAuditor(slog.NewJSONHandler(&b, nil), nil).Record(ctx, fail))
		var m map[string]any
		require.NoError(t, json.Unmarshal(b.Bytes(), &m))
		return security.Outcome(m["outcome"].(string))
	}())
}

func writeChain(t *testing.T, path string, key security.Secret, n int) {
	t.Helper()
	c, err := security.OpenAuditChain(security.AuditChainConfig{Path: path, Key: key, Sync: true})
	require.NoError(t, err)
	a := security.NewAuditor(nil, c)
	for i := range n {
		e := security.Event{Principal: "p", Component: "redis", Operation: "set", Resource: "k" + string(rune('a'+i)), Latency: time.Duration(i)}
		e.Attrs = []slog.Attr{slog.String("token", "tok-chain")}
		require.NoError(t, a.Record(context.Background(), e))
	}
	require.NoError(t, c.Close())
}

func chainLines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
}

func rewrite(t *testing.T, path string, lines []string) {
	out := strings.Join(lines, "")
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	require.NoError(t, os.WriteFile(path, []byte(out), 0o600))
}

func TestAuditChainVerifyDetectsTampering(t *testing.T) {
	for _, key := range []security.Secret{{}, security.NewSecret("chain-key-0123456789")} {
		dir := t.TempDir()
		path := filepath.Join(dir, "audit.log")
		writeChain(t, path, key, 5)
		n, head, err := security.VerifyAuditChain(path, key)
		require.NoError(t, err)
		assert.Equal(t, uint64(5), n)
		assert.Len(t, head, 64)
		b, _ := os.ReadFile(path)
		assert.NotContains(t, string(b), "tok-chain", "secrets are redacted in the chain too")

		// Reopening continues the chain.
		writeChain(t, path, key, 2)
		n2, _, err := security.VerifyAuditChain(path, key)
		require.NoError(t, err)
		assert.Equal(t, uint64(7), n2)

		orig := chainLines(t, path)
		require.Len(t, orig, 7)
		tamper := map[string]func([]string) []string{
			"edited": func(l []string) []string {
				l[2] = strings.Replace(l[2], `"principal":"p"`, `"principal":"q"`, 1)
				return l
			},
			"removed": func(l []string) []string { return append(l[:3:3], l[4:]...) },
			"reordered": func(l []string) []string {
				l[1], l[2] = l[2], l[1]
				return l
			},
			"inserted": func(l []string) []string {
				return append(l[:2:2], append([]string{l[5]}, l[2:]...)...)
			},
			"first removed": func(l []string) []string { return l[1:] },
			"garbage":       func(l []string) []string { l[3] = "not json\n"; return l },
			"torn":          func(l []string) []string { l[6] = l[6][:20]; return l },
		}
		for name, f := range tamper {
			lines := f(append([]string(nil), orig...))
			if name == "torn" {
				require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600))
			} else {
				rewrite(t, path, lines)
			}
			_, _, err := security.VerifyAuditChain(path, key)
			assert.Equal(t, arsenal.DataLoss, arsenal.CodeOf(err), "%s (key %v): %v", name, !key.IsZero(), err)
			_, err = security.OpenAuditChain(security.AuditChainConfig{Path: path, Key: key})
			assert.Equal(t, arsenal.DataLoss, arsenal.CodeOf(err), "open refuses a broken chain: %s", name)
		}
		rewrite(t, path, orig)
		_, _, err = security.VerifyAuditChain(path, key)
		require.NoError(t, err)

		// Truncating the tail leaves a valid chain: the head kept elsewhere tells.
		rewrite(t, path, orig[:4])
		n3, head3, err := security.VerifyAuditChain(path, key)
		require.NoError(t, err)
		assert.Equal(t, uint64(4), n3)
		assert.NotEqual(t, head, head3)
	}
}

func TestAuditChainKeyStopsForgery(t *testing.T) {
	dir := t.TempDir()
	key := security.NewSecret("chain-key-0123456789")
	path := filepath.Join(dir, "audit.log")
	writeChain(t, path, key, 3)
	_, _, err := security.VerifyAuditChain(path, security.NewSecret("wrong-key"))
	assert.Equal(t, arsenal.DataLoss, arsenal.CodeOf(err), "a wrong key fails")
	_, _, err = security.VerifyAuditChain(path, security.Secret{})
	assert.Equal(t, arsenal.DataLoss, arsenal.CodeOf(err), "a keyed chain is not a plain SHA-256 chain")

	// Without the key, someone who rewrites the file can only produce a
	// plain chain, which the keyed verification refuses.
	forged := filepath.Join(dir, "forged.log")
	writeChain(t, forged, security.Secret{}, 3)
	_, _, err = security.VerifyAuditChain(forged, key)
	assert.Equal(t, arsenal.DataLoss, arsenal.CodeOf(err))
}

func TestAuditChainConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	c, err := security.OpenAuditChain(security.AuditChainConfig{Path: path})
	require.NoError(t, err)
	a := security.NewAuditor(nil, c)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				assert.NoError(t, a.Record(context.Background(), security.Event{Principal: string(rune('a' + g)), Operation: "op", Latency: time.Duration(i)}))
			}
		})
	}
	wg.Wait()
	n, head, err := security.VerifyAuditChain(path, security.Secret{})
	require.NoError(t, err)
	assert.Equal(t, uint64(200), n)
	cn, ch := c.Head()
	assert.Equal(t, n, cn)
	assert.Equal(t, head, ch)
	require.NoError(t, c.Close())
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(c.Append(security.Event{})))
	_, err = security.OpenAuditChain(security.AuditChainConfig{})
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
}
