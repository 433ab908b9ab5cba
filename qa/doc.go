// Package qa checks a user's own endpoints: given component URLs, it runs
// non-destructive checks and aggregates them into one report for a person
// (text, HTML) or a CI job (JSON, an exit code). It is the design's test
// suite runner (DatabaseTester.runTestSuite), for live endpoints rather
// than for this repository's tests; examples/qa is its command line.
//
// The checks, per target:
//
//   - conformance: the URL opens a Component of the expected kind; Health
//     passes; Stats are consistent; Describe and Stats never show the
//     URL's credentials; Close is idempotent and later calls fail with
//     FailedPrecondition wrapping arsenal.ErrClosed;
//   - integration: a write, read-back and compare under a scratch prefix
//     (a SQLite table, a Redis key, an S3 object; a ping and its pong for
//     a WebSocket server, the one exchange every server answers);
//   - performance: the p50 and p99 of Options.Ops timed reads against
//     Options.Thresholds;
//   - security: TLS on and verified (plaintext is a warning on loopback and
//     a failure elsewhere); Redis refuses clients without credentials and
//     keeps protected mode on (or requires a password); the S3 bucket is
//     not listable, nor its objects readable, without credentials; the
//     WebSocket server refuses a foreign Origin; a SQLite file is not
//     writable by other users (readable by all is a warning) and
//     trusted_schema is off.
//
// # Configuration
//
// Options' zero value runs everything with a random scratch prefix, 200
// timed reads, p50 ≤ 10 ms and p99 ≤ 100 ms, and a 10 s bound per check.
//
// # Errors and clean-up
//
// Run fails only for bad options or targets; a target that does not open
// or a check that fails is a failed Check in the report, with the arsenal
// code of its error. Everything written under the prefix is deleted before
// Run returns, under a context of its own, so that a run cancelled by
// SIGINT still cleans up (the report is then marked Interrupted, and
// ExitCode is 2). Reports never hold the URLs' credentials.
//
// # Concurrency
//
// Run checks the targets one after the other; Reports are not safe for
// concurrent mutation.
package qa
