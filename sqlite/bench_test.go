package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	zs "zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/require"
)

const benchRows = 10000

const pointSelect = "SELECT id, name, score FROM bench WHERE id = ?"

func benchDB(b testing.TB) (*sqlite.DB, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Create: true, Readers: 8})
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	_, err = db.Exec(ctx, "CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)")
	require.NoError(b, err)
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		for i := 1; i <= benchRows; i++ {
			if _, err := tx.Exec(ctx, "INSERT INTO bench VALUES (?, ?, ?)", i, fmt.Sprintf("name-%d", i), float64(i)/3); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(b, err)
	// Move the rows from the WAL into the database file, as an automatic
	// checkpoint would in a long-running program (and as the benchmarks
	// program's freshly reopened file has them), so lookups do not also
	// search the WAL index.
	_, err = db.Exec(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	require.NoError(b, err)
	return db, path
}

// BenchmarkPointSelect compares one caller's primary-key lookup through
// the wrapper with the same lookup on a raw zombiezen connection.
func BenchmarkPointSelect(b *testing.B) {
	db, path := benchDB(b)
	ctx := context.Background()
	b.Run("impl=arsenal", func(b *testing.B) {
		var id int64
		var name string
		var score float64
		for i := 0; b.Loop(); i++ {
			require.NoError(b, db.QueryRow(ctx, pointSelect, i%benchRows+1).Scan(&id, &name, &score))
		}
	})
	b.Run("impl=arsenal-cancellable-ctx", func(b *testing.B) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var id int64
		var name string
		var score float64
		for i := 0; b.Loop(); i++ {
			require.NoError(b, db.QueryRow(cctx, pointSelect, i%benchRows+1).Scan(&id, &name, &score))
		}
	})
	b.Run("impl=raw-zombiezen", func(b *testing.B) {
		c, err := zs.OpenConn(path, zs.OpenReadOnly)
		require.NoError(b, err)
		defer c.Close()
		s := c.Prep(pointSelect)
		for i := 0; b.Loop(); i++ {
			s.BindInt64(1, int64(i%benchRows+1))
			ok, err := s.Step()
			require.NoError(b, err, "%v %v", ok, err)
			require.True(b, ok, "%v %v", ok, err)
			_, _, _ = s.ColumnInt64(0), s.ColumnText(1), s.ColumnFloat(2)
			s.Reset()
		}
	})
}

// BenchmarkPointSelectParallel runs 8 concurrent callers (parallelism is
// set so GOMAXPROCS×p = 8 goroutines on this machine's cores).
func BenchmarkPointSelectParallel(b *testing.B) {
	db, path := benchDB(b)
	ctx := context.Background()
	par := func(b *testing.B) { b.SetParallelism(max(1, 8/maxProcs())) }
	b.Run("impl=arsenal/callers=8", func(b *testing.B) {
		par(b)
		b.RunParallel(func(pb *testing.PB) {
			var id int64
			var name string
			var score float64
			i := 0
			for pb.Next() {
				i++
				if err := db.QueryRow(ctx, pointSelect, i%benchRows+1).Scan(&id, &name, &score); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("impl=arsenal-mmap/callers=8", func(b *testing.B) {
		// Config.MmapSize: reads bypass the page cache's process-wide lock.
		mdb, err := sqlite.Open(ctx, sqlite.Config{Path: path, Readers: 8, MmapSize: 256 << 20})
		require.NoError(b, err)
		defer mdb.Close()
		par(b)
		b.RunParallel(func(pb *testing.PB) {
			var id int64
			var name string
			var score float64
			i := 0
			for pb.Next() {
				i++
				if err := mdb.QueryRow(ctx, pointSelect, i%benchRows+1).Scan(&id, &name, &score); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("impl=raw-zombiezen/callers=8", func(b *testing.B) {
		// Raw zombiezen with one connection per goroutine.
		par(b)
		var mu sync.Mutex
		var conns []*zs.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		b.RunParallel(func(pb *testing.PB) {
			c, err := zs.OpenConn(path, zs.OpenReadOnly)
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			s := c.Prep(pointSelect)
			i := 0
			for pb.Next() {
				i++
				s.BindInt64(1, int64(i%benchRows+1))
				if ok, err := s.Step(); err != nil || !ok {
					b.Error(ok, err)
					return
				}
				_, _, _ = s.ColumnInt64(0), s.ColumnText(1), s.ColumnFloat(2)
				s.Reset()
			}
		})
	})
}

// BenchmarkInsert100kOneTx inserts 100,000 rows in one transaction
// through Tx.Exec, and the same rows with one statement prepared on a raw
// zombiezen connection (a WAL file with synchronous=NORMAL, as the
// wrapper configures it). Recreating the table is not timed.
func BenchmarkInsert100kOneTx(b *testing.B) {
	const insert = "INSERT INTO ins(name, score) VALUES (?, ?)"
	b.Run("impl=arsenal", func(b *testing.B) {
		db, _ := benchDB(b)
		ctx := context.Background()
		for b.Loop() {
			b.StopTimer()
			if _, err := db.Exec(ctx, "DROP TABLE IF EXISTS ins; CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			err := db.Tx(ctx, func(tx *sqlite.Tx) error {
				for i := 0; i < 100_000; i++ {
					if _, err := tx.Exec(ctx, insert, "row", float64(i)); err != nil {
						return err
					}
				}
				return nil
			})
			require.NoError(b, err)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100_000, "ns/row")
	})
	b.Run("impl=raw-zombiezen", func(b *testing.B) {
		c, err := zs.OpenConn(filepath.Join(b.TempDir(), "raw.db"), zs.OpenReadWrite|zs.OpenCreate|zs.OpenWAL)
		require.NoError(b, err)
		defer c.Close()
		exec := func(q string) {
			s, _, err := c.PrepareTransient(q)
			require.NoError(b, err)
			defer s.Finalize()
			_, err = s.Step()
			require.NoError(b, err)
		}
		exec("PRAGMA journal_mode=wal")
		exec("PRAGMA synchronous=NORMAL")
		for b.Loop() {
			b.StopTimer()
			exec("DROP TABLE IF EXISTS ins")
			exec("CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)")
			b.StartTimer()
			exec("BEGIN")
			s := c.Prep(insert)
			for i := 0; i < 100_000; i++ {
				s.BindText(1, "row")
				s.BindFloat(2, float64(i))
				_, err := s.Step()
				require.NoError(b, err)
				s.Reset()
			}
			exec("COMMIT")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100_000, "ns/row")
	})
}

var image64 struct {
	once sync.Once
	b    []byte
}

// image64MiB builds a database image of about 64 MiB.
func image64MiB(b *testing.B) []byte {
	image64.once.Do(func() {
		ctx := context.Background()
		db, err := sqlite.Open(ctx, sqlite.Config{})
		require.NoError(b, err)
		defer db.Close()
		_, err = db.Exec(ctx, "CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB)")
		require.NoError(b, err)
		err = db.Tx(ctx, func(tx *sqlite.Tx) error {
			for i := 0; i < 1024; i++ {
				if _, err := tx.Exec(ctx, "INSERT INTO blobs(b) VALUES (randomblob(65000))"); err != nil {
					return err
				}
			}
			return nil
		})
		require.NoError(b, err)
		image64.b, err = db.Serialize(ctx, "")
		require.NoError(b, err)
	})
	return image64.b
}

// BenchmarkDeserialize64MiB opens a 64 MiB image as a database (and closes
// it); BenchmarkMemcopy64MiB is the baseline the target compares with.
func BenchmarkDeserialize64MiB(b *testing.B) {
	img := image64MiB(b)
	ctx := context.Background()
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		db, err := sqlite.Deserialize(ctx, img, sqlite.DeserializeOptions{ReadOnly: true})
		require.NoError(b, err)
		db.Close()
	}
}

func BenchmarkMemcopy64MiB(b *testing.B) {
	img := image64MiB(b)
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		dst := make([]byte, len(img))
		copy(dst, img)
		sink = dst
	}
}

var sink []byte

// BenchmarkInsertOverheadPaired measures the wrapper's insert overhead
// the way a loaded machine still allows: blocks of 2,000 inserts through
// Tx.Exec and through a raw zombiezen statement alternate inside one open
// transaction each (separate files, both WAL with synchronous=NORMAL), and
// the median of the per-pair time ratios is reported as arsenal/raw.
func BenchmarkInsertOverheadPaired(b *testing.B) {
	const insert = "INSERT INTO ins(name, score) VALUES (?, ?)"
	const block = 2000
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "a.db"), Create: true})
	require.NoError(b, err)
	defer db.Close()
	_, err = db.Exec(ctx, "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)")
	require.NoError(b, err)
	c, err := zs.OpenConn(filepath.Join(dir, "raw.db"), zs.OpenReadWrite|zs.OpenCreate|zs.OpenWAL)
	require.NoError(b, err)
	defer c.Close()
	for _, q := range []string{"PRAGMA journal_mode=wal", "PRAGMA synchronous=NORMAL", "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)", "BEGIN"} {
		s, _, err := c.PrepareTransient(q)
		require.NoError(b, err)
		_, err = s.Step()
		require.NoError(b, err)
		s.Finalize()
	}
	raw := c.Prep(insert)
	var ratios []float64
	b.ResetTimer()
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		for n := 0; n < b.N; n++ {
			t0 := time.Now()
			for i := range block {
				if _, err := tx.Exec(ctx, insert, "row", float64(i)); err != nil {
					return err
				}
			}
			ta := time.Since(t0)
			t0 = time.Now()
			for i := range block {
				raw.BindText(1, "row")
				raw.BindFloat(2, float64(i))
				if _, err := raw.Step(); err != nil {
					return err
				}
				raw.Reset()
			}
			ratios = append(ratios, float64(ta)/float64(time.Since(t0)))
		}
		return nil
	})
	require.NoError(b, err)
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "arsenal/raw")
	b.ReportMetric(ratios[len(ratios)/4], "q1")
	b.ReportMetric(ratios[3*len(ratios)/4], "q3")
}

var boxSink []any

// BenchmarkInsertBoxingCost is the floor under BenchmarkInsertOverheadPaired:
// raw zombiezen inserts that also box their arguments into a []any that
// escapes (as a variadic ...any API must), and ask for the changes, the
// last rowid and autocommit as the wrapper does, against plain raw inserts,
// paired the same way (median of variant/raw).
func BenchmarkInsertBoxingCost(b *testing.B) {
	const insert = "INSERT INTO ins(name, score) VALUES (?, ?)"
	const block = 2000
	dir := b.TempDir()
	open := func(name string) (*zs.Conn, *zs.Stmt) {
		c, err := zs.OpenConn(filepath.Join(dir, name), zs.OpenReadWrite|zs.OpenCreate|zs.OpenWAL)
		require.NoError(b, err)
		for _, q := range []string{"PRAGMA journal_mode=wal", "PRAGMA synchronous=NORMAL", "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)", "BEGIN"} {
			s, _, err := c.PrepareTransient(q)
			require.NoError(b, err)
			_, err = s.Step()
			require.NoError(b, err)
			s.Finalize()
		}
		return c, c.Prep(insert)
	}
	c1, s1 := open("boxed.db")
	defer c1.Close()
	c2, s2 := open("raw.db")
	defer c2.Close()
	var ratios []float64
	for b.Loop() {
		t0 := time.Now()
		for i := range block {
			args := []any{"row", float64(i)}
			boxSink = args
			s1.BindText(1, args[0].(string))
			s1.BindFloat(2, args[1].(float64))
			_, err := s1.Step()
			require.NoError(b, err)
			s1.Reset()
			_, _, _ = c1.Changes(), c1.LastInsertRowID(), c1.AutocommitEnabled()
		}
		tv := time.Since(t0)
		t0 = time.Now()
		for i := range block {
			s2.BindText(1, "row")
			s2.BindFloat(2, float64(i))
			_, err := s2.Step()
			require.NoError(b, err)
			s2.Reset()
		}
		ratios = append(ratios, float64(tv)/float64(time.Since(t0)))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "variant/raw")
}
