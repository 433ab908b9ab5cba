// Package bench measures Arsenal's components and judges the numbers.
//
// It has five parts:
//
//   - Recorder and Op: per-operation latency histograms (HdrHistogram, 2
//     significant digits: within 1%, about 28 KiB per shard), call and
//     error counts. Every domain package keeps one Recorder and returns its
//     Snapshot in Stats; recording allocates nothing and takes no shared
//     lock (a per-P shard from a sync.Pool, merged by Stats; about 20 ns
//     from every core at once). Op.SampleEvery and Op.Start time 1 call in
//     n of a microsecond-scale operation after its first 1024, counting
//     every call with one atomic add.
//   - Run and CompareAB: measure an operation serially and at several
//     concurrency levels (ops/s, latency percentiles, allocations per call,
//     speedup over serial, scaling efficiency), and compare two operations
//     by interleaving them (A B, B A, ...) so machine drift cancels in the
//     per-round ratio, reported with its median, quartiles and extremes.
//   - Monitor: samples CPU time (getrusage), RSS (/proc/self/statm), Go heap,
//     goroutines and GC pauses (runtime/metrics) while a run goes on.
//   - DetectDegradation and Detector: thresholds {metric, baseline,
//     threshold, action warn|error|retry} over live components' Stats, for
//     the hub and the dashboard.
//   - ReadBenchmarks and CompareBenchmarks: regression detection over
//     `go test -bench` output, with golang.org/x/perf's benchfmt and
//     benchmath (Mann-Whitney U test, alpha 0.05, plus a minimum effect
//     size). Baselines are committed under bench/baselines.
//
// Line, ReadLines and LineWriter are the JSON-lines format of the
// side-by-side comparison programs in the nested module bench/peers.
//
// # Configuration
//
// Config (for Run) and ABConfig (for CompareAB) are plain structs whose
// zero values are usable: each field's comment states its default, and
// Validate lists every bad field at once without doing any I/O. Thresholds
// are values too (DefaultThresholds when none are given), as is
// RegressionConfig (alpha 0.05, minimum effect 5% by default).
//
// # Errors
//
// Every error is an *arsenal.Error: a bad Config, ABConfig, Threshold or a
// malformed benchmark or JSON-lines input is InvalidArgument (config errors
// wrap an *arsenal.ConfigError naming each field; input errors name the
// line), a missing file is NotFound, and a run whose context ends returns
// Canceled or DeadlineExceeded with the levels measured so far. Errors
// returned by the operation under test are counted, never fatal.
// RegressionReport.Err is FailedPrecondition when a regression was found,
// for CI gates. Nothing panics on bad input.
//
// # Concurrency
//
// Recorder, Op, Monitor, Detector and LineWriter are safe for concurrent
// use. Run and CompareAB call the measured Func from many goroutines at
// once, so it must be safe for concurrent use itself. A Monitor runs one
// background goroutine until Stop, which must be called; Run stops its own.
// DetectDegradation and CompareBenchmarks are pure functions.
package bench
