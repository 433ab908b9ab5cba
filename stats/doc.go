// Package stats is the runtime telemetry Arsenal's components record
// into: per-operation latency recorders, the typed-stats helpers that turn
// a domain's stats struct into named gauges with units, and degradation
// rules over a component's stats.
//
// It is small on purpose and is what production binaries import: the
// benchmarking tools (serial-vs-concurrent runs, side-by-side comparisons,
// regression detection with golang.org/x/perf) live in package bench,
// which no domain imports.
//
// # Recorder and Op
//
// A Recorder keeps one Op per operation: a latency histogram
// (HdrHistogram, 2 significant digits: within 1%, about 28 KiB per shard)
// with call and error counts. Recording allocates nothing and takes no
// shared lock (a per-P shard from a sync.Pool, merged by Stats).
// Op.SampleEvery and Op.Start time 1 call in n of a microsecond-scale
// operation after its first 1024, counting every call with one atomic add.
//
// # Typed stats
//
// Each domain keeps a typed stats value with named fields (as
// database/sql's DBStats and puddle's Stat do), returned by its own method
// (redis.Client.ClientStats, sqlite.DB.DBStats, ...) and as the Detail of
// its arsenal.Stats; Gauges lists its numeric fields as arsenal.Gauges
// with units, for consumers that treat every domain alike.
//
// # Degradation rules
//
// A Rule {metric, baseline, threshold, action warn|error|retry} judges a
// component's stats. Each domain exports its default rules over its own
// typed stats (its typed stats value is a RuleSource); DetectDegradation
// and a Detector use them unless the caller gives rules of its own.
//
// # Concurrency
//
// Recorder, Op and Detector are safe for concurrent use.
package stats
