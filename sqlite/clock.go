package sqlite

import (
	"time"

	"github.com/infra-arsenal/arsenal/bench"
)

// epoch anchors the clock reads that time every call for Stats.
var epoch = time.Now()

// now reads the monotonic clock as the time since epoch: one clock read,
// where time.Now reads the wall clock as well. Every public call takes two
// (start and end), about 20 ns each.
func now() time.Duration { return time.Since(epoch) }

// record adds one call of op that started at start (a now() reading) and
// returned err; it returns err so a method can end with
// `return x, record(op, start, err)`.
func record(op *bench.Op, start time.Duration, err error) error {
	op.Record(now()-start, err)
	return err
}
