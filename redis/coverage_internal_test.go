package redis

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
)

// Each malformed or oversized stream is refused with the code and the
// reason the package doc promises, before rueidis reads it.
func TestTheGuardRefusesEachMalformedShape(t *testing.T) {
	long := strings.Repeat("x", maxReplyLine+1)
	tests := []struct {
		name string
		max  int64
		in   string
		code arsenal.Code
		why  string
	}{
		{"a chunk without ';'", DefaultMaxReplyBytes, "$?\r\nX", arsenal.DataLoss, "does not start with ';'"},
		{"a long simple string", DefaultMaxReplyBytes, "+" + long, arsenal.DataLoss, "longer than"},
		{"a long boolean line", DefaultMaxReplyBytes, "_" + long, arsenal.DataLoss, "carries data"},
		{"a boolean with two bytes", DefaultMaxReplyBytes, "#tt\r\n", arsenal.DataLoss, "not #t or #f"},
		{"an empty boolean", DefaultMaxReplyBytes, "#\r\n", arsenal.DataLoss, "not #t or #f"},
		{"a null with data", DefaultMaxReplyBytes, "_x\r\n", arsenal.DataLoss, "carries data"},
		{"a line without LF", DefaultMaxReplyBytes, "+OK\rX", arsenal.DataLoss, "not ended by CRLF"},
		{"a 20-digit integer", DefaultMaxReplyBytes, ":12345678901234567890\r\n", arsenal.DataLoss, "integer has more than"},
		{"a 20-digit length", DefaultMaxReplyBytes, "$12345678901234567890\r\n", arsenal.DataLoss, "length has more than"},
		{"a length over 64 bits", DefaultMaxReplyBytes, "*9223372036854775808\r\n", arsenal.DataLoss, "overflows 64 bits"},
		{"a letter in a length", DefaultMaxReplyBytes, "$1a\r\n", arsenal.DataLoss, "in a '$' length"},
		{"a streamed string holding a simple string", DefaultMaxReplyBytes, "$?\r\n;1\r\na\r\n+x\r\n", arsenal.DataLoss, "does not start with ';'"},
		{"an empty integer", DefaultMaxReplyBytes, ":\r\n", arsenal.DataLoss, "empty integer"},
		{"bytes after '?'", DefaultMaxReplyBytes, "*?1\r\n", arsenal.DataLoss, "in a '*' length"},
		{"a header without a length", DefaultMaxReplyBytes, "*\r\n", arsenal.DataLoss, "without a length"},
		{"a -2 length", DefaultMaxReplyBytes, "$-2\r\n", arsenal.DataLoss, "length -2"},
		{"a -1 map", DefaultMaxReplyBytes, "%-1\r\n", arsenal.DataLoss, "length -1 in a '%'"},
		{"an unknown type byte", DefaultMaxReplyBytes, "X\r\n", arsenal.DataLoss, "unknown type byte"},
		{"a line over the budget", 10, "+" + strings.Repeat("y", 20) + "\r\n", arsenal.ResourceExhausted, "a line"},
		{"a chunk over the budget", 10, "$?\r\n;20\r\n", arsenal.ResourceExhausted, "a string chunk"},
		{"an aggregate over the budget", 100, "*3\r\n", arsenal.ResourceExhausted, "aggregate of 3 elements"},
		{"a huge map", DefaultMaxReplyBytes, "%1152921504606846976\r\n", arsenal.ResourceExhausted, "a map"},
		{"a streamed aggregate over the budget", 100, "*?\r\n:1\r\n:2\r\n:3\r\n", arsenal.ResourceExhausted, "streamed aggregate"},
	}
	for _, tt := range tests {
		g := newRespGuard(tt.max)
		err := g.check([]byte(tt.in))
		require.Error(t, err, tt.name)
		assert.True(t, arsenal.IsCode(err, tt.code), "%s: %v", tt.name, err)
		assert.Contains(t, err.Error(), tt.why, tt.name)
	}
}

func TestTheGuardWithoutASizeLimitStillFrames(t *testing.T) {
	g := newRespGuard(-1)
	require.NoError(t, g.check([]byte("*3\r\n$5\r\nhello\r\n+"+strings.Repeat("z", 1000)+"\r\n:1\r\n")))
	assert.Equal(t, gType, g.st)
	assert.Error(t, g.check([]byte("$-2\r\n")), "framing is checked without a size limit")
}

// Attributes (RESP3 '|') do not count as elements of their parent, empty
// or streamed alike.
func TestTheGuardSkipsAttributes(t *testing.T) {
	for _, in := range []string{
		"|0\r\n+OK\r\n",
		"|?\r\n+a\r\n:1\r\n.\r\n+OK\r\n",
		"*1\r\n|?\r\n+a\r\n:1\r\n.\r\n:5\r\n",
	} {
		g := newRespGuard(DefaultMaxReplyBytes)
		require.NoError(t, g.check([]byte(in)), "%q", in)
		assert.Equal(t, gType, g.st, "%q", in)
		assert.Empty(t, g.stack, "%q: the reply after the attribute completed it", in)
	}
}

func TestConfigInternals(t *testing.T) {
	d := Config{}.withDefaults()
	assert.Equal(t, []string{DefaultAddr}, d.Addrs)
	assert.Equal(t, DefaultMaxFlushDelay, d.MaxFlushDelay)
	assert.Zero(t, Config{MaxFlushDelay: -1}.withDefaults().MaxFlushDelay)
	assert.Empty(t, Config{UnixSocket: "/run/r.sock"}.withDefaults().Addrs, "a Unix socket takes no default address")

	assert.Equal(t, ModeSentinel, Config{SentinelMaster: "mymaster"}.mode())
	assert.Equal(t, ModeCluster, Config{Mode: ModeCluster}.mode())
	assert.Equal(t, "unix:/run/r.sock/2 tls", Config{UnixSocket: "/run/r.sock", DB: 2, TLS: true}.target())
	assert.Equal(t, "a:1,b:2 sentinel master=m", Config{Addrs: []string{"a:1", "b:2"}, SentinelMaster: "m"}.target())

	assert.Equal(t, -1, multiplexOf(1))
	assert.Equal(t, 3, multiplexOf(8))
	assert.Equal(t, 8, multiplexOf(256))
}

func TestNativeCodeOfRueidisSentinels(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code arsenal.Code
	}{
		{rueidis.ErrReplicaOnlyConflict, arsenal.InvalidArgument},
		{rueidis.ErrInvalidTopologyRefreshInterval, arsenal.InvalidArgument},
		{rueidis.ErrDedicatedClientRecycled, arsenal.FailedPrecondition},
		{rueidis.ErrDoCacheAborted, arsenal.Aborted},
		{fmt.Errorf("wrapped: %w", rueidis.ErrNoSlot), arsenal.Unavailable},
	} {
		code, ok := nativeCode(tt.err)
		assert.True(t, ok, "%v", tt.err)
		assert.Equal(t, tt.code, code, "%v", tt.err)
	}

	// A parse error from rueidis (a reply of the wrong shape) is DataLoss.
	var m rueidis.RedisMessage
	_, perr := m.ToArray()
	require.Error(t, perr)
	code, ok := nativeCode(perr)
	assert.True(t, ok)
	assert.Equal(t, arsenal.DataLoss, code)

	_, ok = nativeCode(errors.New("something else"))
	assert.False(t, ok)

	assert.False(t, isTypedPrefix("E"), "a one-letter word is not a typed prefix")
	assert.False(t, isNetworkError(nil))
	assert.False(t, isNetworkError(rueidis.Nil))

	// A timeout error rueidis did not type is the link gone.
	assert.Equal(t, arsenal.Unavailable, codeOf(timeoutOnly{}))
}

// timeoutOnly is an error with a Timeout method that reports false: no
// OS error, no net.OpError.
type timeoutOnly struct{}

func (timeoutOnly) Error() string { return "link trouble" }
func (timeoutOnly) Timeout() bool { return false }
