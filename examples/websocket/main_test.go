package main

import (
	"bytes"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer collects the example's output, written from its callbacks'
// goroutines too.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The example runs as written against its own loopback server, restarts
// it, and its output says what happened.
func TestExampleRunsAndReportsEachStep(t *testing.T) {
	var out lockedBuffer
	require.NoError(t, run(&out, "127.0.0.1:0"))
	got := out.String()
	t.Log(got)
	assert.Regexp(t, `(?m)^echo server on ws://127\.0\.0\.1:\d+/$`, got)
	assert.Contains(t, got, "subprotocol: echo.v2 (the server's preference)\n")
	assert.Contains(t, got, "compression: permessage-deflate")
	assert.Contains(t, got, "response header X-Greeting: hello example\n")
	m := regexp.MustCompile(`sent 500 JSON messages: (\d+) payload bytes, (\d+) bytes on the wire \((\d+)% saved\)`).FindStringSubmatch(got)
	require.NotNil(t, m, "the compression line")
	payload, _ := strconv.Atoi(m[1])
	wire, _ := strconv.Atoi(m[2])
	saved, _ := strconv.Atoi(m[3])
	assert.Greater(t, payload, 30000)
	assert.Less(t, wire, payload/2, "permessage-deflate halves the JSON at least")
	assert.GreaterOrEqual(t, saved, 50)
	assert.Contains(t, got, "restarting the server...\n")
	assert.Regexp(t, `reconnect attempt 1 in \d+ms`, got)
	assert.Contains(t, got, "reconnected (reconnects: 1)\n")
	assert.Contains(t, got, "  echo: sent while the server was down\n", "the message queued while down is delivered after the reconnect")
}
