package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestTheExampleRunsAgainstARealServer(t *testing.T) {
	srv := testenv.RequireRealRedis(t)
	t.Setenv("REDIS_URL", srv.URL())
	t.Setenv("VALKEY_URL", "")
	var out bytes.Buffer
	require.NoError(t, run(&out))
	got := out.String()
	for _, want := range []string{
		"connected: redis " + srv.Addr + " (standalone)\n",
		`get="hello" incr=1 missing-key NotFound=true` + "\n",
		"hgetall: map[lang:go name:ada]\n",
		"pipeline lrange: [item0 item1 item2 item3 item4]\n",
		`<- "deployed"` + "\n",
		"transaction: balance 70\n",
		"client-side cache: enabled=true  hits=2 misses=1\n",
		"wrong type: code=FailedPrecondition retryable=false\n",
		"  set          n=",
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "miniredis")
}

func TestTheExampleFallsBackToAnEmbeddedServer(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("VALKEY_URL", "")
	var out bytes.Buffer
	require.NoError(t, run(&out))
	got := out.String()
	assert.Contains(t, got, "no REDIS_URL: using an embedded miniredis")
	assert.Contains(t, got, "transaction: balance 70\n")
	assert.Contains(t, got, "client-side cache: enabled=false")
}
