// Package bench measures Arsenal's components and judges the numbers.
//
// It is tooling: no domain package imports it, so production binaries do
// not carry golang.org/x/perf. The runtime telemetry the components record
// into (latency recorders, typed stats, degradation rules) is package
// stats.
//
// It has these parts:
//
//   - Run and CompareAB: measure an operation serially and at several
//     concurrency levels (ops/s, latency percentiles, allocations per call,
//     speedup over serial, scaling efficiency), and compare two operations
//     by interleaving them (A B, B A, ...) so machine drift cancels in the
//     per-round ratio, reported with its median, quartiles and extremes.
//   - Monitor: samples CPU time (getrusage), RSS (/proc/self/statm), Go heap,
//     goroutines and GC pauses (runtime/metrics) while a run goes on.
//   - ReadBenchmarks and CompareBenchmarks: regression detection over
//     `go test -bench` output, with golang.org/x/perf's benchfmt and
//     benchmath (Mann-Whitney U test, alpha 0.05, plus a minimum effect
//     size). Baselines are committed under bench/baselines.
//
// Line, ReadLines and LineWriter are the JSON-lines format of the
// side-by-side comparison programs in the nested module benchmarks.
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
