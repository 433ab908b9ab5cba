package wsredis

import (
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// BridgeStats are a Bridge's typed gauges, the Detail of its Stats.
type BridgeStats struct {
	Partitions     int    // partition channels subscribed
	Topics         int    // topics with local subscribers
	Queued         int    // messages waiting for Redis
	Published      uint64 `stat:",counter"` // messages sent to Redis
	PublishErrors  uint64 `stat:",counter"` // messages lost to a failed PUBLISH
	Dropped        uint64 `stat:",counter"` // messages refused at a full queue
	Received       uint64 `stat:",counter"` // messages from other nodes
	Echoes         uint64 `stat:",counter"` // own messages coming back, ignored
	Malformed      uint64 `stat:",counter"` // undecodable messages on the channels, ignored
	Deliveries     uint64 `stat:",counter"` // connections that other nodes' messages were queued for
	Resubscribes   int64  `stat:",counter"` // partition subscriptions restored after a reconnect or failover
	PresenceErrors uint64 `stat:",counter"` // failed presence writes (retried)
	Replayed       uint64 `stat:",counter"` // history messages Resume sent
	Retries        uint64 `stat:",counter"` // PUBLISH calls retried after a failure that may be a connection's
	Repeats        uint64 `stat:",counter"` // messages received twice (a retry that had gone through), dropped
	Gaps           uint64 `stat:",counter"` // messages of other nodes never received (seen by their sequence numbers)
	SlowClosed     uint64 `stat:",counter"` // history subscribers closed (1013) past their backpressure limit, to resume later
	LastError      string // the last error seen (publish, presence or connection), redacted; "" if none
	LastErrorAt    time.Time
}

// BridgeStats returns the Bridge's counters. It does no I/O.
func (b *Bridge) BridgeStats() BridgeStats {
	st := BridgeStats{
		Partitions: len(b.subs), Published: b.published.Load(), PublishErrors: b.publishErrs.Load(),
		Dropped: b.dropped.Load(), Received: b.received.Load(), Echoes: b.echoes.Load(),
		Malformed: b.malformed.Load(), Deliveries: b.fanout.Load(), PresenceErrors: b.presenceErrs.Load(),
		Replayed: b.replayed.Load(), Retries: b.retries.Load(), Repeats: b.repeats.Load(), Gaps: b.gaps.Load(), SlowClosed: b.slowClosed.Load(),
	}
	for _, s := range b.subs {
		st.Resubscribes += s.Restores()
	}
	for _, q := range b.queues {
		st.Queued += len(q)
	}
	b.mu.Lock()
	for _, n := range b.local {
		if n > 0 {
			st.Topics++
		}
	}
	b.mu.Unlock()
	if e := b.lastErr.Load(); e != nil {
		st.LastError, st.LastErrorAt = e.err.Error(), e.at
	}
	return st
}

// Stats returns the Bridge's operation latencies, with BridgeStats as its
// Detail and Gauges.
func (b *Bridge) Stats() arsenal.Stats {
	bs := b.BridgeStats()
	return arsenal.Stats{
		Kind: Kind, Target: b.c.Describe(), Connected: !b.closed.Load() && b.c.State().Connected,
		Since: b.rec.Since(), Ops: b.rec.Snapshot(), Gauges: stats.Gauges(bs), Detail: bs,
	}
}
