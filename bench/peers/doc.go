// Package peers holds Arsenal's side-by-side benchmarks against other
// clients (go-redis, gorilla/websocket, coder/websocket, mattn/go-sqlite3,
// modernc.org/sqlite, minio-go, Bun). It is a nested module so that the
// library's own go.mod never requires a competitor.
package peers
