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
	assert.Equal(t, "two servers share their topics through redis "+srv.Addr+" (standalone)\n"+
		"subscribers of chat on every server, seen from A: 1\n"+
		"client of B got: hello from A\n"+
		"resumed news: two\n"+
		"resumed news: three\n"+
		"server A: dropped=0 resubscribes=0\n", out.String())
}

func TestTheExampleSaysWhatItNeeds(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("VALKEY_URL", "")
	err := run(&bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "REDIS_URL")
}
