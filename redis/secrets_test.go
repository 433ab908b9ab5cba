package redis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

// printed renders v every way a program might print or log it.
func printed(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{
		"%v":  fmt.Sprintf("%v", v),
		"%+v": fmt.Sprintf("%+v", v),
		"%#v": fmt.Sprintf("%#v", v),
		"%s":  fmt.Sprintf("%s", v),
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("cfg", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("cfg", "v", v)
	out["slog text"], out["slog json"] = text.String(), js.String()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	out["json"] = string(b)
	return out
}

type holder struct {
	name string
	cfg  redis.Config
	c    *redis.Client
}

func TestConfigAndClientNeverPrintTheirSecrets(t *testing.T) {
	const pw, spw = "hunter2-redis-pw", "sentinel-pw-77"
	cfg, err := redis.ParseURL("redis://app:" + pw + "@127.0.0.1:6379/2")
	require.NoError(t, err)
	require.Equal(t, pw, cfg.Password.Reveal())
	cfg.SentinelPassword = security.NewSecret(spw)
	for how, s := range printed(t, cfg) {
		assert.NotContains(t, s, pw, "Config under %s", how)
		assert.NotContains(t, s, spw, "Config under %s", how)
	}
	for how, s := range printed(t, holder{name: "x", cfg: cfg}) {
		assert.NotContains(t, s, pw, "Config in an unexported field under %s", how)
	}

	srv := startReal(t, "--requirepass", pw)
	c := openAt(t, srv, func(c *redis.Config) { c.Password = security.NewSecret(pw) })
	require.NoError(t, c.Health(ctxT(t)))
	for how, s := range printed(t, c) {
		assert.NotContains(t, s, pw, "*Client under %s", how)
		assert.Contains(t, s, srv.Addr, "*Client under %s names no target", how)
	}
	for how, s := range printed(t, holder{name: "x", c: c}) {
		assert.NotContains(t, s, pw, "*Client in an unexported field under %s", how)
	}
}

func TestSkipVerifyLogsAWarning(t *testing.T) {
	var buf bytes.Buffer
	cfg, err := redis.ParseURL("rediss://:tls-secret-pw@127.0.0.1:1/0?skip_verify=true&connect_timeout=200ms")
	require.NoError(t, err)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := redis.Open(ctx, cfg)
	if c != nil {
		c.Close()
	}
	require.Error(t, err) // nothing listens; the warning comes first
	log := buf.String()
	assert.Contains(t, log, "level=WARN")
	assert.Contains(t, log, "verification is off")
	assert.Contains(t, log, "127.0.0.1:1")
	assert.NotContains(t, log, "tls-secret-pw")
}
