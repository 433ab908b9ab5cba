package security_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

// guarded is how a domain calls Options around an operation: Authorize
// before any I/O, Record after.
func guarded(ctx context.Context, o *security.Options, op, key string, call func() error) error {
	if err := o.Authorize(ctx, "redis", op, key); err != nil {
		return err
	}
	if !o.Active() {
		return call()
	}
	start := time.Now()
	err := call()
	o.Record(ctx, "redis", op, key, start, err)
	return err
}

func delCalls(t *testing.T, ctx context.Context, c *redis.Client) string {
	t.Helper()
	r, err := c.Do(ctx, "INFO", "commandstats")
	require.NoError(t, err)
	s, err := r.String()
	require.NoError(t, err)
	for l := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(l, "cmdstat_del:") {
			calls, _, _ := strings.Cut(strings.TrimPrefix(l, "cmdstat_del:"), ",")
			return calls
		}
	}
	return "calls=0"
}

func TestADeniedDELNeverReachesRedisServer(t *testing.T) {
	srv := testenv.StartRedis(t)
	require.True(t, srv.Real || !testenv.RequireReal(), "a real redis-server")
	ctx := tctx(t)
	c, err := redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr}})
	require.NoError(t, err)
	defer c.Close()
	o := &security.Options{Policy: tenRules(t)}
	reader := security.WithPrincipal(ctx, security.Principal{Name: "alice", Roles: []string{"reader"}})
	root := security.WithPrincipal(ctx, security.Principal{Name: "root"})

	require.NoError(t, c.Set(ctx, "sec:del", "v"))
	before := delCalls(t, ctx, c)
	err = guarded(reader, o, "del", "sec:del", func() error { _, err := c.Del(reader, "sec:del"); return err })
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Equal(t, before, delCalls(t, ctx, c), "the server saw no DEL")
	v, err := c.Get(ctx, "sec:del")
	require.NoError(t, err)
	assert.Equal(t, "v", v)

	require.NoError(t, guarded(root, o, "del", "sec:del", func() error { _, err := c.Del(root, "sec:del"); return err }))
	assert.NotEqual(t, before, delCalls(t, ctx, c), "an allowed DEL reaches the server")
}

// BenchmarkRedisGetWithPolicy measures the cost of a ten-rule policy
// (and audit-free Options) on a real Redis GET, side by side with no
// policy in one run.
func BenchmarkRedisGetWithPolicy(b *testing.B) {
	srv := testenv.StartRedis(b)
	ctx := context.Background()
	c, err := redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr}})
	require.NoError(b, err)
	defer c.Close()
	require.NoError(b, c.Set(ctx, "user:1", "v"))
	pctx := security.WithPrincipal(ctx, security.Principal{Name: "alice", Roles: []string{"reader"}})
	for _, bc := range []struct {
		name string
		o    *security.Options
	}{{"none", &security.Options{}}, {"ten-rules", &security.Options{Policy: tenRules(b)}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := guarded(pctx, bc.o, "get", "user:1", func() error { _, err := c.Get(pctx, "user:1"); return err }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
