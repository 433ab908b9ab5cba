package sqlite

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBusyTotalsAreTheRunningSumOfTheDelays keeps the two back-off tables
// (SQLite's delays, and the time slept before each) in step.
func TestBusyTotalsAreTheRunningSumOfTheDelays(t *testing.T) {
	var sum int64
	for i, d := range busyDelays {
		assert.Equal(t, sum, int64(busyTotals[i]), "busyTotals[%d] = %d, want %d", i, busyTotals[i], sum)
		sum += int64(d)
	}
}
