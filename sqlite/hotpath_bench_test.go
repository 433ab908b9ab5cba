package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	zs "zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal/sqlite"
)

// BenchmarkHotPathTxExec is one insert through Tx.Exec per iteration inside
// one open transaction, with allocations reported: the wrapper's per-call
// cost over the driver's step shows up as ns/op and allocs/op.
func BenchmarkHotPathTxExec(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "h.db"), Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		i := 0
		for b.Loop() {
			i++
			if _, err := tx.Exec(ctx, "INSERT INTO ins(name, score) VALUES (?, ?)", "row", float64(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHotPathGet is a point select through QueryRow(...).Scan per
// iteration, with allocations reported.
func BenchmarkHotPathGet(b *testing.B) {
	db, _ := benchDB(b)
	ctx := context.Background()
	var (
		id    int64
		name  string
		score float64
	)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := db.QueryRow(ctx, pointSelect, i%benchRows+1).Scan(&id, &name, &score); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHotPathRawInsert is BenchmarkHotPathTxExec on a raw zombiezen
// connection (WAL, synchronous=NORMAL, one open transaction): the floor.
func BenchmarkHotPathRawInsert(b *testing.B) {
	c, err := zs.OpenConn(filepath.Join(b.TempDir(), "raw.db"), zs.OpenReadWrite|zs.OpenCreate|zs.OpenWAL)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{"PRAGMA journal_mode=wal", "PRAGMA synchronous=NORMAL", "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)", "BEGIN"} {
		s, _, err := c.PrepareTransient(q)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Step(); err != nil {
			b.Fatal(err)
		}
		s.Finalize()
	}
	raw := c.Prep("INSERT INTO ins(name, score) VALUES (?, ?)")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		raw.BindText(1, "row")
		raw.BindFloat(2, float64(i))
		if _, err := raw.Step(); err != nil {
			b.Fatal(err)
		}
		raw.Reset()
	}
}
