package websocket

import (
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

// Traffic counts a connection's messages and bytes.
type Traffic struct {
	MessagesIn  uint64 `stat:",counter"`
	MessagesOut uint64 `stat:",counter"`
	PayloadIn   uint64 `stat:"payload_bytes_in,bytes,counter"`  // message bytes after decompression
	PayloadOut  uint64 `stat:"payload_bytes_out,bytes,counter"` // message bytes before compression
	WireIn      uint64 `stat:"wire_bytes_in,bytes,counter"`     // bytes on the wire, frame headers included
	WireOut     uint64 `stat:"wire_bytes_out,bytes,counter"`
	QueuedBytes int    `stat:",bytes"` // bytes waiting in the send queue
}

// Traffic returns the connection's counters; the ratio of WireOut to
// PayloadOut shows what compression saved. It is cheap (atomic loads).
func (c *Conn) Traffic() Traffic {
	c.qmu.Lock()
	q := c.queued
	c.qmu.Unlock()
	return Traffic{
		MessagesIn: c.msgsIn.Load(), MessagesOut: c.msgsOut.Load(),
		PayloadIn: c.bytesIn.Load(), PayloadOut: c.bytesOut.Load(),
		WireIn: c.fr.wireBytes(), WireOut: c.wireOut.Load(), QueuedBytes: q,
	}
}

// ConnStats are a Conn's typed gauges, the Detail of its Stats.
type ConnStats struct {
	Traffic
	BackpressureDrops uint64        `stat:",counter"`     // messages Send refused at the backpressure limit
	DialTime          time.Duration `stat:"dial_seconds"` // how long the dial and handshake took (client side)
	Compression       bool          // permessage-deflate was negotiated
}

// DegradationRules are the rules that judge a WebSocket connection or
// server by default: the common ones (stats.DefaultRules), plus any
// message dropped at the backpressure limit since the previous check
// (warn) and a ping round trip (the pong delay) over 500 ms at p99 (retry:
// when it persists).
func DegradationRules() []stats.Rule {
	return stats.Append(
		stats.Rule{Name: "websocket backpressure drops", Kind: Kind, Metric: "gauge:backpressure_drops", Threshold: 0, Rate: true, Action: stats.ActionWarn},
		stats.Rule{Name: "websocket pong delay", Kind: Kind, Op: "ping", Metric: stats.MetricP99, Baseline: 0.001, Threshold: 0.5, Action: stats.ActionRetry, MinCalls: 3},
	)
}

// DegradationRules makes ConnStats a stats.RuleSource.
func (ConnStats) DegradationRules() []stats.Rule { return DegradationRules() }

// ConnStats returns the connection's counters. It is cheap (atomic loads).
func (c *Conn) ConnStats() ConnStats {
	return ConnStats{
		Traffic: c.Traffic(), BackpressureDrops: c.bpDrops.Load(),
		DialTime: c.dialTime, Compression: c.comp.Enabled,
	}
}

// Stats returns the connection's operation latencies (client side:
// write, send, read and ping, every call counted, those that fail at once
// included; histograms, about 28 KiB each, are allocated on first use;
// write, send and read latencies rest on every call for the first 1024
// and on 1 in 8 after that, counts on every call), with ConnStats as its
// Detail and Gauges. Server connections record nothing per operation: the
// Server's Stats count upgrades and publishes.
func (c *Conn) Stats() arsenal.Stats {
	cs := c.ConnStats()
	s := arsenal.Stats{
		Kind:      Kind,
		Target:    c.target,
		Connected: c.Err() == nil && !c.userClosed.Load(),
		Since:     c.started,
		Gauges:    stats.Gauges(cs),
		Detail:    cs,
	}
	if c.rec != nil {
		s.Ops = c.rec.Snapshot()
	} else {
		s.Ops = map[string]arsenal.OpStats{}
	}
	return s
}
