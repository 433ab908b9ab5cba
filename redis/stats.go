package redis

import (
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// ClientStats are a Client's typed gauges, the Detail of its Stats.
type ClientStats struct {
	Connected     bool         // the client holds a working connection
	Reconnects    int64        `stat:",counter"` // disconnected -> connected transitions since Open
	Disconnects   int64        `stat:",counter"` // connected -> disconnected transitions since Open
	Dials         int64        `stat:",counter"` // connection attempts
	DialErrors    int64        `stat:",counter"` // failed connection attempts
	CacheEnabled  bool         // client-side caching is on (see CacheInfo)
	CacheHits     uint64       `stat:",counter"` // cached reads answered locally
	CacheMisses   uint64       `stat:",counter"` // cached reads that went to the server
	Subscriptions int64        // live Subscriptions
	PubSubDropped uint64       `stat:"pubsub_dropped,count,counter"` // handler messages dropped at HandlerBacklog
	EventsDropped uint64       `stat:",counter"`                     // connection events dropped for a slow listener
	PipelineConns int          // pipelined connections per node
	LastErrorCode arsenal.Code // code of the last connection-level error; OK if none
	LastErrorAt   time.Time    // when it happened; zero if none
}

// DegradationRules are the rules that judge a Client by default: the
// common ones (stats.DefaultRules: error rate, p99 latency, connection),
// plus any reconnect since the previous check (warn) and any pub/sub
// message dropped because a handler fell behind (warn).
func DegradationRules() []stats.Rule {
	return stats.Append(
		stats.Rule{Name: "redis reconnects", Kind: Kind, Metric: "gauge:reconnects", Threshold: 0, Rate: true, Action: stats.ActionWarn},
		stats.Rule{Name: "redis pub/sub drops", Kind: Kind, Metric: "gauge:pubsub_dropped", Threshold: 0, Rate: true, Action: stats.ActionWarn},
	)
}

// DegradationRules makes ClientStats a stats.RuleSource.
func (ClientStats) DegradationRules() []stats.Rule { return DegradationRules() }

// ClientStats returns the connection monitor's and caches' counters. It
// does no I/O.
func (c *Client) ClientStats() ClientStats {
	lastAt, lastErr := c.st.last()
	s := ClientStats{
		Connected:     c.st.up.Load() && !c.closed.Load(),
		Reconnects:    c.st.reconnects.Load(),
		Disconnects:   c.st.disconnects.Load(),
		Dials:         c.st.dials.Load(),
		DialErrors:    c.st.dialErrors.Load(),
		CacheEnabled:  c.cacheOn,
		CacheHits:     c.cacheHits.Load(),
		CacheMisses:   c.cacheMisses.Load(),
		Subscriptions: c.subCnt.Load(),
		PubSubDropped: c.dropped.Load(),
		EventsDropped: c.evDropped.Load(),
		PipelineConns: c.cfg.PipelineConns,
	}
	if lastErr != nil {
		s.LastErrorCode = codeOf(lastErr)
		s.LastErrorAt = lastAt
	}
	return s
}

// Stats returns per-command counts and latency percentiles, with
// ClientStats as its Detail and Gauges. It does no I/O. Counts and errors
// include every call; each command's latency figures rest on every call
// for its first 1024 and on 1 call in 8 after that.
func (c *Client) Stats() arsenal.Stats {
	cs := c.ClientStats()
	return arsenal.Stats{
		Kind:      Kind,
		Target:    c.cfg.target(),
		Connected: cs.Connected,
		Since:     c.rec.Since(),
		Ops:       c.rec.Snapshot(),
		Gauges:    stats.Gauges(cs),
		Detail:    cs,
	}
}

// ConnState is a snapshot of the connection monitor.
type ConnState struct {
	Connected   bool      // the client holds a working connection
	Reconnects  int64     // disconnected -> connected transitions since Open
	Disconnects int64     // connected -> disconnected transitions since Open
	DownSince   time.Time // when the current outage began (zero when connected)
	LastError   error     // the last connection-level error, coded; nil if none
	LastErrorAt time.Time
}

// State returns the connection monitor's snapshot. It does no I/O.
func (c *Client) State() ConnState {
	at, err := c.st.last()
	s := ConnState{
		Connected:   c.st.up.Load() && !c.closed.Load(),
		Reconnects:  c.st.reconnects.Load(),
		Disconnects: c.st.disconnects.Load(),
		LastError:   wrapErr("connection", err),
		LastErrorAt: at,
	}
	if o := c.st.outage.Load(); o != nil {
		s.DownSince = o.since
	}
	return s
}
