package qa_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/qa"
	"github.com/infra-arsenal/arsenal/redis"
)

// A Redis user that may write but not SCAN passes the round trip, but the
// clean-up cannot find what it wrote: the report records the clean-up
// error (without the password) and does not pass.
func TestACleanupThatCannotScanFailsTheReport(t *testing.T) {
	ctx := ctxT(t)
	rs := testenv.StartRedis(t)
	if !rs.Real {
		t.Skip("miniredis has no ACL users; redis-server answers this test (ARSENAL_REQUIRE_REAL=1 makes the stand-in fail instead)")
	}
	reply, err := testenv.RedisCommand(rs.Addr, "ACL SETUSER noscan on >noscan-pass-9 ~* &* +@all -scan")
	require.NoError(t, err)
	require.Equal(t, "+OK", reply)

	rep, err := qa.Run(ctx, []qa.Target{{Name: "cache", URL: "redis://noscan:noscan-pass-9@" + rs.Addr + "/0"}},
		qa.Options{Categories: []qa.Category{qa.Integration}})
	require.NoError(t, err)
	assert.Equal(t, qa.Pass, status(t, rep, "cache/integration/round trip"))
	require.Contains(t, rep.CleanupErrors, "cache")
	assert.NotContains(t, rep.CleanupErrors["cache"], "noscan-pass-9")
	assert.Equal(t, 0, rep.Cleaned["cache"])
	assert.False(t, rep.Passed())
	assert.Equal(t, 1, rep.ExitCode())

	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf))
	assert.Contains(t, buf.String(), "CLEAN-UP FAILED for cache: ")
	assert.NotContains(t, buf.String(), "noscan-pass-9")

	// The probe key is indeed still there.
	rc, err := redis.Open(ctx, redis.Config{Addrs: []string{rs.Addr}})
	require.NoError(t, err)
	defer rc.Close()
	left, err := rc.Keys(ctx, rep.Prefix+"*")
	require.NoError(t, err)
	assert.Len(t, left, 1)
}
