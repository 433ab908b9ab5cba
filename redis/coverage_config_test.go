package redis_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
)

func TestParseURLRemainingForms(t *testing.T) {
	c, err := redis.ParseURL("redis://:pw@:6390")
	require.NoError(t, err)
	assert.Equal(t, []string{"localhost:6390"}, c.Addrs, "an empty host is localhost")
	assert.Equal(t, "pw", c.Password.Reveal())

	c, err = redis.ParseURL("unix:run/redis.sock")
	require.NoError(t, err)
	assert.Equal(t, "run/redis.sock", c.UnixSocket, "an opaque unix: URL is a relative path")

	c, err = redis.ParseURL("redis://h:1?replica_only=true&max_flush_delay=20us")
	require.NoError(t, err)
	assert.True(t, c.ReplicaOnly)
	assert.Equal(t, 20*time.Microsecond, c.MaxFlushDelay)

	for _, raw := range []string{"//h:1", "redis://h:1?db=two", "redis://h:1?max_retries=", "redis://h:1?pipeline_conns=x"} {
		_, err := redis.ParseURL(raw)
		assert.True(t, arsenal.IsCode(err, arsenal.InvalidArgument), "%s: %v", raw, err)
	}
	_, err = redis.ParseURL("//h:1")
	assert.Contains(t, err.Error(), "no scheme")
	_, err = redis.ParseURL("redis://h:1?db=two")
	assert.Contains(t, err.Error(), "db must be an integer")
}

func TestValidateUnixSocketAndReplicaFields(t *testing.T) {
	var ce *arsenal.ConfigError
	err := redis.Config{Addrs: []string{"h:1"}, UnixSocket: "/run/r.sock"}.Validate()
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.True(t, ce.Has("UnixSocket"), "UnixSocket with Addrs: %v", err)

	err = redis.Config{UnixSocket: "/run/r.sock", Mode: redis.ModeCluster}.Validate()
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.True(t, ce.Has("UnixSocket"), "UnixSocket in cluster mode: %v", err)
	assert.Contains(t, err.Error(), "cluster mode")

	err = redis.Config{ReplicaAddrs: []string{"no-port", "ok:1", "\u202ebad:1"}}.Validate()
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.True(t, ce.Has("ReplicaAddrs"))
	assert.Contains(t, err.Error(), `"no-port" is not host:port`)
	assert.Contains(t, err.Error(), "outside printable ASCII")

	assert.NoError(t, redis.Config{UnixSocket: "/run/r.sock"}.Validate())
}

// A Client over a Unix socket works like one over TCP, and says so.
func TestOpenOverAUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "arsenal-sock-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "r.sock")
	testenv.RequireRealRedis(t, "--unixsocket", sock, "--unixsocketperm", "700")

	ctx := ctxT(t)
	c, err := redis.Open(ctx, redis.Config{UnixSocket: sock})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Set(ctx, "k", "over unix"))
	v, err := c.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "over unix", v)
	assert.Contains(t, c.String(), "unix:"+sock)

	r, err := c.Do(ctx, "CLIENT", "INFO")
	require.NoError(t, err)
	info, err := r.String()
	require.NoError(t, err)
	assert.Contains(t, info, "laddr="+sock, "the connection is the Unix socket: %s", info)

	u, err := arsenal.OpenAs[*redis.Client](ctx, "redis+unix://"+sock)
	require.NoError(t, err)
	t.Cleanup(func() { u.Close() })
	v, err = u.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "over unix", v)
}

// With ReplicaAddrs, reads go to the replica only with ReadFromReplicas:
// a key written on a writable replica alone shows which server answered.
func TestReplicaAddrsRouteReadsOnlyWhenAsked(t *testing.T) {
	primary := testenv.RequireRealRedis(t)
	host, port, err := net.SplitHostPort(primary.Addr)
	require.NoError(t, err)
	replica := testenv.RequireRealRedis(t, "--replicaof", host, port, "--replica-read-only", "no")
	ctx := ctxT(t)

	direct := openAt(t, replica)
	require.Eventually(t, func() bool {
		r, err := direct.Do(ctx, "INFO", "replication")
		if err != nil {
			return false
		}
		info, _ := r.String()
		return strings.Contains(info, "master_link_status:up")
	}, 20*time.Second, 20*time.Millisecond)
	require.NoError(t, direct.Set(ctx, "only-on-replica", "yes"))

	for _, mode := range []redis.Mode{redis.ModeAuto, redis.ModeStandalone} {
		reads := openAt(t, primary, func(cfg *redis.Config) {
			cfg.Mode, cfg.ReplicaAddrs, cfg.ReadFromReplicas = mode, []string{replica.Addr}, true
		})
		v, err := reads.Get(ctx, "only-on-replica")
		require.NoError(t, err, "mode %q", mode)
		assert.Equal(t, "yes", v, "mode %q: the read went to the replica", mode)

		writes := openAt(t, primary, func(cfg *redis.Config) { cfg.Mode, cfg.ReplicaAddrs = mode, []string{replica.Addr} })
		_, err = writes.Get(ctx, "only-on-replica")
		assert.True(t, redis.IsNotFound(err), "mode %q: without ReadFromReplicas the primary answers: %v", mode, err)
	}
}
