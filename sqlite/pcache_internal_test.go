package sqlite

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infra-arsenal/arsenal/internal/fanout"
)

// TestPageCachesAreSeparate checks the package turned pcache1's shared
// group off at init (the flag SQLite reads when a connection creates its
// cache) and reports it, and that connections then work concurrently:
// readers on separate caches see every row the writer committed.
func TestPageCachesAreSeparate(t *testing.T) {
	if os.Getenv("ARSENAL_SQLITE_SHARED_PAGE_CACHE") == "1" {
		t.Skip("ARSENAL_SQLITE_SHARED_PAGE_CACHE=1 keeps the shared cache")
	}
	if !separatePageCaches || pcache1Global.FseparateCache != 1 || pcache1Global.FisInit != 1 {
		t.Fatalf("separate=%v, pcache1 separateCache=%d isInit=%d; want separate caches after init",
			separatePageCaches, pcache1Global.FseparateCache, pcache1Global.FisInit)
	}
	ctx := context.Background()
	db, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "p.db"), Create: true, Readers: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if g, _ := db.Stats().Gauge("page_cache_separate"); g != 1 || !db.DBStats().PageCacheSeparate {
		t.Errorf("page_cache_separate gauge %v, want 1", g)
	}
	if _, err := db.Exec(ctx, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	// Four writers (even callers) and four readers (odd ones).
	for _, err := range fanout.Run(8, func(c int) error {
		for i := range 200 {
			if c%2 == 0 {
				if _, err := db.Exec(ctx, "INSERT INTO t(id, v) VALUES (?, ?)", c/2*1000+i, strings.Repeat("x", 500)); err != nil {
					return err
				}
				continue
			}
			var n int64
			if err := db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
				return err
			}
		}
		return nil
	}) {
		t.Fatal(err)
	}
	var n int64
	if err := db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 800 {
		t.Fatalf("count %d (%v), want 800", n, err)
	}
	var ok string
	if err := db.QueryRow(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check %q (%v)", ok, err)
	}
}

// TestSharedPageCacheOptOut runs this package's test binary again with
// ARSENAL_SQLITE_SHARED_PAGE_CACHE=1 and checks it keeps modernc's
// shared group.
func TestSharedPageCacheOptOut(t *testing.T) {
	if os.Getenv("ARSENAL_SQLITE_SHARED_PAGE_CACHE") == "1" {
		if separatePageCaches || pcache1Global.FseparateCache != 0 {
			t.Fatalf("opt-out ignored: separate=%v separateCache=%d", separatePageCaches, pcache1Global.FseparateCache)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSharedPageCacheOptOut$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ARSENAL_SQLITE_SHARED_PAGE_CACHE=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestSharedPageCacheOptOut") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
