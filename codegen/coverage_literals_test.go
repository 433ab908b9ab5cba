package codegen_test

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/websocket"
)

func TestParseFeaturesReadsACommaSeparatedList(t *testing.T) {
	fs, err := codegen.ParseFeatures(codegen.Redis, " pubsub , hashes ")
	require.NoError(t, err)
	assert.Equal(t, []codegen.Feature{codegen.RedisPubSub, codegen.RedisHashes}, fs)

	fs, err = codegen.ParseFeatures(codegen.Redis, "  ")
	require.NoError(t, err)
	assert.Nil(t, fs, "an empty list means the complexity's defaults")

	fs, err = codegen.ParseFeatures(codegen.S3, "none")
	require.NoError(t, err)
	assert.NotNil(t, fs)
	assert.Empty(t, fs, "none means no features at all")

	_, err = codegen.ParseFeatures(codegen.SQLite, "backup,pubsub")
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, codeOf(err))
	assert.Contains(t, err.Error(), `unknown sqlite feature "pubsub"`)
	assert.Contains(t, err.Error(), "backup", "the message lists the known features")

	// What ParseFeatures returns renders.
	fs, err = codegen.ParseFeatures(codegen.WebSocket, "reconnect,subprotocols")
	require.NoError(t, err)
	code, err := codegen.Render(websocket.Config{URL: "ws://127.0.0.1:9/ws"}, codegen.Template{Complexity: codegen.Advanced, Features: fs})
	require.NoError(t, err)
	assert.Equal(t, []codegen.Feature{codegen.WebSocketSubprotocols, codegen.WebSocketReconnect}, code.Template.Features)
}

func TestGoFloatRoundTripsAndRefusesNonFiniteValues(t *testing.T) {
	for _, f := range []float64{1, 0.1, -2.5, 1e21, 5e-324, math.MaxFloat64} {
		s, err := codegen.GoFloat(f)
		require.NoError(t, err, "%v", f)
		assert.Regexp(t, `[.eE]`, s, "%v must read as a float literal, not an integer", f)
		back, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		assert.Equal(t, f, back, "literal %s", s)
	}
	s, err := codegen.GoFloat(3)
	require.NoError(t, err)
	assert.Equal(t, "3.0", s)
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, err := codegen.GoFloat(f)
		assert.ErrorContains(t, err, "has no Go literal", "%v", f)
	}
}

func TestJSIntRefusesIntegersJavaScriptWouldRound(t *testing.T) {
	const maxSafe = 1<<53 - 1
	for _, n := range []int64{0, -7, maxSafe, -maxSafe} {
		s, err := codegen.JSInt(n)
		require.NoError(t, err)
		assert.Equal(t, strconv.FormatInt(n, 10), s)
	}
	for _, n := range []int64{maxSafe + 1, -maxSafe - 1, math.MaxInt64} {
		_, err := codegen.JSInt(n)
		assert.ErrorContains(t, err, "safe integer range", "%d", n)
	}
}

func TestJSMillisNeverTurnsATimeoutIntoNone(t *testing.T) {
	assert.Equal(t, "0", codegen.JSMillis(0))
	assert.Equal(t, "1", codegen.JSMillis(time.Microsecond), "under a millisecond rounds up to 1")
	assert.Equal(t, "1500", codegen.JSMillis(1500*time.Millisecond))
	assert.Equal(t, "9223372036854", codegen.JSMillis(time.Duration(math.MaxInt64)), "the longest duration is a safe JavaScript integer")
}

func TestGoDurationReadsNaturally(t *testing.T) {
	cases := map[time.Duration]string{
		0:                      "0",
		time.Hour:              "time.Hour",
		90 * time.Minute:       "90 * time.Minute",
		5 * time.Second:        "5 * time.Second",
		250 * time.Millisecond: "250 * time.Millisecond",
		3 * time.Microsecond:   "3 * time.Microsecond",
		-2 * time.Second:       "(-2 * time.Second)",
		1500 * time.Nanosecond: "time.Duration(1500)", // 1.5µs: not a whole unit
		time.Duration(7):       "time.Duration(7)",
	}
	for d, want := range cases {
		assert.Equal(t, want, codegen.GoDuration(d), "%v", d)
	}
}
