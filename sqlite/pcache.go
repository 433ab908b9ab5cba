package sqlite

import (
	"os"
	_ "unsafe" // go:linkname

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// Page caches.
//
// modernc.org/sqlite is built with SQLITE_ENABLE_MEMORY_MANAGEMENT, which
// makes SQLite's default page cache (pcache1) put every connection's cache
// in one process-wide group behind one mutex, so that sqlite3_release_memory
// can reclaim pages from any of them. Every page fetch and release of every
// connection takes that mutex: with several readers on two cores it is the
// most contended lock in a point select, and 8 concurrent callers gain
// 40-50% throughput without it (benchmarks/sqlite). Without memory
// management, SQLite's own default for a thread-safe build is a separate
// group per cache, with no mutex (a connection is used by one goroutine at
// a time). The package restores that default when it is initialized, for
// every connection the process opens afterwards (zombiezen's and
// database/sql drivers' on the same modernc library included).
//
// The cost: sqlite3_release_memory and the soft heap limit no longer reclaim
// page-cache pages (each connection's cache stays within its cache_size, 2
// MB by default). Set ARSENAL_SQLITE_SHARED_PAGE_CACHE=1 in the environment
// to keep modernc's shared group.
//
// pcache1's global state is unexported in modernc.org/sqlite/lib; its type
// is exported, so the layout below is the library's own, and a release that
// renamed the variable fails to link rather than misbehave.
//
//go:linkname pcache1Global modernc.org/sqlite/lib._pcache1_g
var pcache1Global lib.TPCacheGlobal

// separatePageCaches reports whether page caches are per connection.
var separatePageCaches = initPageCaches()

func initPageCaches() bool {
	if os.Getenv("ARSENAL_SQLITE_SHARED_PAGE_CACHE") == "1" {
		return false
	}
	// sqlite3_initialize runs pcache1's init, which sets the group mode;
	// it does nothing when SQLite is initialized already. Package
	// initialization runs before any goroutine of this package can open a
	// connection.
	tls := libc.NewTLS()
	defer tls.Close()
	if lib.Xsqlite3_initialize(tls) != lib.SQLITE_OK || pcache1Global.FisInit == 0 {
		return false
	}
	pcache1Global.FseparateCache = 1
	return true
}
