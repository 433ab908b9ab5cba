package qa

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// round keeps latencies readable: 10 µs steps above a millisecond, 100 ns
// steps above a microsecond, and sub-microsecond values as they are.
func TestRoundKeepsLatenciesReadable(t *testing.T) {
	assert.Equal(t, 12350*time.Microsecond, round(12345678*time.Nanosecond))
	assert.Equal(t, 45600*time.Nanosecond, round(45612*time.Nanosecond))
	assert.Equal(t, 750*time.Nanosecond, round(750*time.Nanosecond))
	assert.Equal(t, time.Duration(0), round(0))
}
