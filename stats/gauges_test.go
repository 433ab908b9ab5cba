package stats_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

type pool struct {
	Idle, Acquired int
}

type sample struct {
	pool
	Connected     bool
	Reconnects    uint64 `stat:",counter"`
	WALBytes      int64  `stat:",bytes"`
	ReaderWait    time.Duration
	LastErrorAt   time.Time
	LastErrorCode arsenal.Code
	Ratio         float64 `stat:"compression_ratio,ratio"`
	Target        string  // not a number: left out
	Hidden        int     `stat:"-"`
	unexported    int
	P99           time.Duration
}

func TestGaugesListsTypedFieldsWithNamesAndUnits(t *testing.T) {
	at := time.Unix(1796239579, 450_000_000)
	s := sample{pool: pool{Idle: 2, Acquired: 1}, Connected: true, Reconnects: 4, WALBytes: 8192,
		ReaderWait: 1500 * time.Millisecond, LastErrorAt: at, LastErrorCode: arsenal.Unavailable,
		Ratio: 0.25, Target: "x", Hidden: 9, unexported: 9, P99: 2 * time.Millisecond}
	got := stats.Gauges(&s)
	want := []arsenal.Gauge{
		{Name: "idle", Value: 2, Unit: arsenal.UnitCount},
		{Name: "acquired", Value: 1, Unit: arsenal.UnitCount},
		{Name: "connected", Value: 1, Unit: arsenal.UnitBool},
		{Name: "reconnects", Value: 4, Unit: arsenal.UnitCount, Counter: true},
		{Name: "wal_bytes", Value: 8192, Unit: arsenal.UnitBytes},
		{Name: "reader_wait", Value: 1.5, Unit: arsenal.UnitSeconds},
		{Name: "last_error_at", Value: 1796239579.45, Unit: arsenal.UnitUnixTime},
		{Name: "last_error_code", Value: float64(arsenal.Unavailable), Unit: arsenal.UnitCode},
		{Name: "compression_ratio", Value: 0.25, Unit: arsenal.UnitRatio},
		{Name: "p99", Value: 0.002, Unit: arsenal.UnitSeconds},
	}
	assert.Equal(t, want, got)
	assert.Equal(t, got, stats.Gauges(s), "a value and a pointer list the same gauges")
}

func TestGaugesOfAZeroTimeIsZeroAndOfNonStructsNothing(t *testing.T) {
	g := stats.Gauges(sample{})
	v := arsenal.Stats{Gauges: g}
	at, ok := v.Gauge("last_error_at")
	assert.True(t, ok)
	assert.Zero(t, at, "never is 0, not year 1's Unix time")
	assert.Nil(t, stats.Gauges(42))
	assert.Nil(t, stats.Gauges((*sample)(nil)))
}
