// Package peers holds Arsenal's side-by-side benchmarks against other
// clients (go-redis, gorilla/websocket, coder/websocket, mattn/go-sqlite3,
// modernc.org/sqlite, minio-go, Bun). It is a nested module so that the
// library's own go.mod never requires a competitor.
//
// Each domain has one program, run from this directory as
// `go run ./<domain> [-quick]` (sqlite, redis, websocket, s3; hooks and
// overhead measure the library's own optional layers: the observer hooks
// against a build from before them, and a security policy and
// OpenTelemetry against the same calls without them). It starts the
// servers it needs on loopback unless ARSENAL_BENCH_REDIS_ADDR,
// ARSENAL_BENCH_S3_ENDPOINT, ARSENAL_BENCH_S3_ACCESS_KEY and
// ARSENAL_BENCH_S3_SECRET_KEY name them, finds Bun under ARSENAL_NODE_DIR,
// prints progress to stderr and writes one JSON line per figure to stdout
// (the format of bench.Line; bench.LineWriter writes it):
//
//	{"domain":"redis","workload":"GET, 64 callers","impl":"arsenal","metric":"ops/s","value":412345.6,"better":"higher"}
//	{"domain":"redis","check":"64-caller GET >= 4x go-redis","pass":true,"detail":"5.1x"}
//
// The runner runs them all and regenerates BENCHMARKS.md at the repository
// root, with charts and the raw lines under results/:
//
//	cd benchmarks && go run ./cmd/peers [-quick] [-only redis,sqlite]
package peers
