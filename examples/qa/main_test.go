package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
)

func TestTheCommandChecksARealRedisAndASQLiteFileAndExitsZero(t *testing.T) {
	rs := testenv.StartRedis(t, "--requirepass", "cmd-pass-123")
	db := filepath.Join(t.TempDir(), "app.db")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-url", "redis://:cmd-pass-123@" + rs.Addr + "/0", "-url", "sqlite:" + db + "?mode=rwc",
		"-ops", "20", "-p50", "1s", "-p99", "5s"}, &stdout, &stderr)
	t.Log(stdout.String(), stderr.String())
	require.Equal(t, 0, code)
	assert.Contains(t, stdout.String(), "PASS: ")
	assert.Contains(t, stdout.String(), "target1  redis")
	assert.Contains(t, stdout.String(), "target2  sqlite")
	assert.NotContains(t, stdout.String(), "cmd-pass-123")
}

func TestTheCommandWritesJSONAndFailsWithExitCodeOneOnAFailedCheck(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-url", "redis://127.0.0.1:1/0?connect_timeout=200ms", "-format", "json", "-out", out}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(stdout.String(), "FAIL: 1 checks"), stdout.String())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var rep struct {
		ExitCode int `json:"exit_code"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, 1, rep.ExitCode)
}

func TestTheCommandRefusesBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(nil, &stdout, &stderr), "no -url")
	assert.Equal(t, 2, run([]string{"-url", "ws://x", "-format", "pdf"}, &stdout, &stderr))
	assert.Equal(t, 2, run([]string{"-url", "ws://x", "-category", "speed"}, &stdout, &stderr))
}
