package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

func TestZeroOptionsChangeNothing(t *testing.T) {
	ctx := context.Background()
	var o security.Options
	assert.False(t, o.Active())
	assert.NoError(t, o.Authorize(ctx, "redis", "flushall", ""))
	o.Record(ctx, "redis", "get", "k", time.Now(), nil)
	cfg, err := o.ClientTLS()
	assert.NoError(t, err)
	assert.Nil(t, cfg)
	cfg, err = o.ServerTLS()
	assert.NoError(t, err)
	assert.Nil(t, cfg)
	_, ok, err := o.Creds(ctx)
	assert.False(t, ok)
	assert.NoError(t, err)
	var nilOpts *security.Options
	assert.False(t, nilOpts.Active())
	assert.NoError(t, nilOpts.Authorize(ctx, "redis", "del", "k"))
}

func TestOptionsAuthorizeAndRecord(t *testing.T) {
	var buf bytes.Buffer
	pol, err := security.NewPolicy(
		security.Rule{Name: "no-del", Effect: security.Deny, Component: "redis", Operation: "del"},
		security.Rule{Name: "app", Effect: security.Allow, Principal: "app"},
	)
	require.NoError(t, err)
	o := security.Options{
		Policy:      pol,
		Audit:       security.NewAuditor(slog.NewJSONHandler(&buf, nil), nil),
		TLS:         &security.TLS{MinVersion: 0},
		Credentials: security.StaticUser("app", "pw-opts-1"),
	}
	assert.True(t, o.Active())
	ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "app"})

	require.NoError(t, o.Authorize(ctx, "redis", "get", "k"))
	o.Record(ctx, "redis", "get", "k", time.Now(), nil)
	err = o.Authorize(ctx, "redis", "del", "k")
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), `"no-del"`)
	o.Record(ctx, "redis", "set", "k", time.Now(), arsenal.Errorf(arsenal.Unavailable, "redis", "set", "down"))
	o.Record(ctx, "redis", "set", "k", time.Now(), errors.New("plain"))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 4, buf.String())
	var evs []map[string]any
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		evs = append(evs, m)
	}
	assert.Equal(t, "ok", evs[0]["outcome"])
	assert.Equal(t, "app", evs[0]["principal"])
	assert.Equal(t, "denied", evs[1]["outcome"])
	assert.Equal(t, "no-del", evs[1]["rule"])
	assert.Equal(t, "del", evs[1]["operation"])
	assert.Equal(t, "Unavailable", evs[2]["code"])
	assert.Equal(t, "error", evs[3]["outcome"])

	cfg, err := o.ClientTLS()
	require.NoError(t, err)
	require.NotNil(t, cfg)
	assert.Empty(t, security.Check(cfg))
	c, ok, err := o.Creds(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "pw-opts-1", c.Secret.Reveal())
	_, err = o.ServerTLS()
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "a server needs a certificate")
}
