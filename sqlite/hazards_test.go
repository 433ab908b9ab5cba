package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openUnmanaged opens a database without registering Close as a cleanup,
// so that a test can check Close itself returns promptly (a hung Close in
// a cleanup would hang the whole test binary).
func openUnmanaged(t *testing.T, cfg sqlite.Config) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(ctxT(t), cfg)
	require.NoError(t, err, "Open")
	return db
}

// closeWithin fails t when db.Close does not return within d.
func closeWithin(t *testing.T, db *sqlite.DB, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { db.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Errorf("Close did not return within %v (a connection leaked)", d)
	}
}

// TestPanicInQueryReleasesConnection proves that a panic raised in a
// Query loop body, an Each callback or a Scan (here a sql.Scanner) and
// recovered higher up does not leak the pooled connection: the statement
// is reset, the connection is given back (or replaced), later statements
// run and Close returns promptly. It covers a reader query, a writer query
// (INSERT ... RETURNING) and the single connection of an in-memory DB.
// Before the fix the connection stayed acquired for good and Close hung.
func TestPanicInQueryReleasesConnection(t *testing.T) {
	cases := []struct {
		name  string
		mem   bool
		query string
		how   string // "loop", "each" or "scan"
	}{
		{"file/read/loop", false, "SELECT v FROM t", "loop"},
		{"file/read/each", false, "SELECT v FROM t", "each"},
		{"file/read/scan", false, "SELECT v FROM t", "scan"},
		{"file/returning/loop", false, "INSERT INTO t(v) VALUES (7), (8) RETURNING v", "loop"},
		{"mem/read/loop", true, "SELECT v FROM t", "loop"},
		{"mem/returning/loop", true, "INSERT INTO t(v) VALUES (7), (8) RETURNING v", "loop"},
		{"mem/read/scan", true, "SELECT v FROM t", "scan"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := sqlite.Config{Path: filepath.Join(t.TempDir(), "p.db"), Create: true, Readers: 1}
			if c.mem {
				cfg = sqlite.Config{Path: sqlite.Memory}
			}
			db := openUnmanaged(t, cfg)
			bg := context.Background()
			_, err := db.Exec(bg, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INT); INSERT INTO t(v) VALUES (1), (2), (3)")
			require.NoError(t, err)
			func() {
				defer func() {
					if p := recover(); p != "boom" {
						t.Errorf("recovered %v, want the panic to continue as boom", p)
					}
				}()
				switch c.how {
				case "loop":
					for range db.Query(bg, c.query) {
						panic("boom")
					}
				case "each":
					db.Each(bg, c.query, func(*sqlite.Row) error { panic("boom") })
				case "scan":
					db.QueryRow(bg, c.query).Scan(panicScanner{})
				}
			}()
			ctx, cancel := context.WithTimeout(bg, 2*time.Second)
			defer cancel()
			_, err = db.Exec(ctx, "INSERT INTO t(v) VALUES (9)")
			assert.NoError(t, err, "Exec after the panic")
			var n int64
			err = db.QueryRow(ctx, "SELECT count(*) FROM t WHERE v = 9").Scan(&n)
			require.NoError(t, err, "read after the panic: n=%d err=%v", n, err)
			assert.Equal(t, int64(1), n, "read after the panic: n=%d err=%v", n, err)
			if c.mem {
				// The in-memory data survived (its only connection was kept).
				err := db.QueryRow(ctx, "SELECT count(*) FROM t WHERE v = 1").Scan(&n)
				require.NoError(t, err, "in-memory data lost: n=%d err=%v", n, err)
				assert.Equal(t, int64(1), n, "in-memory data lost: n=%d err=%v", n, err)
			}
			closeWithin(t, db, 2*time.Second)
		})
	}
}

type panicScanner struct{}

func (panicScanner) Scan(any) error { panic("boom") }

// infiniteInsert writes rows until it is interrupted.
const infiniteInsert = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r) INSERT INTO big SELECT i FROM r"

// TestInterruptedWriteAbortsWholeTx proves that when a cancelled write
// inside a Tx (in a savepoint or not) makes SQLite roll the whole
// transaction back, nothing written afterwards commits on its own: later
// statements in the Tx fail with Aborted without running, db.Tx reports
// Aborted (even when fn swallows the errors and returns nil), and neither
// the rows written before the interrupt nor those after it are in the
// database. Before the fix the savepoint cleanup saw autocommit, assumed
// only the savepoint had failed, and the next tx.Exec ran in autocommit
// and was committed durably while db.Tx reported an error.
func TestInterruptedWriteAbortsWholeTx(t *testing.T) {
	for _, c := range []struct {
		name      string
		savepoint bool
		swallow   bool
	}{
		{"savepoint", true, false},
		{"savepoint/swallowed", true, true},
		{"top-level/swallowed", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openFile(t, sqlite.Config{})
			ctx := ctxT(t)
			mustExec(t, db, "CREATE TABLE t(v INT); CREATE TABLE big(x)")
			var after error
			err := db.Tx(ctx, func(tx *sqlite.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO t(v) VALUES (100)"); err != nil {
					return err
				}
				interrupted := func(q interface {
					Exec(context.Context, string, ...any) (sqlite.Result, error)
				}) error {
					c2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
					defer cancel()
					_, err := q.Exec(c2, infiniteInsert)
					return err
				}
				var serr error
				if c.savepoint {
					serr = tx.Tx(ctx, func(sp *sqlite.Tx) error { return interrupted(sp) })
				} else {
					serr = interrupted(tx)
				}
				assert.Error(t, serr, "the endless insert was not interrupted")
				_, after = tx.Exec(ctx, "INSERT INTO t(v) VALUES (200)")
				if c.swallow {
					// A savepoint after the loss must not start a new
					// transaction either.
					tx.Tx(ctx, func(sp *sqlite.Tx) error {
						_, err := sp.Exec(ctx, "INSERT INTO t(v) VALUES (300)")
						return err
					})
					return nil
				}
				return after
			})
			assert.Equal(t, arsenal.Aborted, arsenal.CodeOf(after), "tx.Exec after the rollback: %v, want Aborted", after)
			wantCode(t, err, arsenal.Aborted)
			var n int64
			require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
			assert.Equal(t, int64(0), n, "the Tx failed but %d rows of it were committed", n)
			// The writer is usable afterwards.
			mustExec(t, db, "INSERT INTO t(v) VALUES (1)")
		})
	}
}

// TestTxCallInsideQueryLoopFailsFast proves that calling the Tx from the
// body of a tx.Query loop or a tx.Each callback returns FailedPrecondition
// at once instead of deadlocking on the transaction's (non-reentrant)
// lock, and that the Tx stays usable: after the loop it writes and
// commits. Before the fix the nested call blocked forever, ignoring its
// context. A timer bounds the test so it fails rather than hangs.
func TestTxCallInsideQueryLoopFailsFast(t *testing.T) {
	// Not openFile: on a deadlock its Close cleanup would hang too.
	db := openUnmanaged(t, sqlite.Config{Path: filepath.Join(t.TempDir(), "q.db"), Create: true})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INT); INSERT INTO t(v) VALUES (1), (2), (3)")
	done := make(chan error, 1)
	var nested []error
	go func() {
		done <- db.Tx(ctx, func(tx *sqlite.Tx) error {
			for row, err := range tx.Query(ctx, "SELECT id FROM t") {
				if err != nil {
					return err
				}
				_, err := tx.Exec(ctx, "UPDATE t SET v = v + 1 WHERE id = ?", row.Int64(0))
				nested = append(nested, err)
				var v int64
				nested = append(nested, tx.Get(ctx, &v, "SELECT v FROM t WHERE id = 1"))
				nested = append(nested, tx.Tx(ctx, func(*sqlite.Tx) error { return nil }))
				break
			}
			nested = append(nested, tx.Each(ctx, "SELECT id FROM t", func(r *sqlite.Row) error {
				_, err := tx.Exec(ctx, "UPDATE t SET v = 0")
				return err
			}))
			_, err := tx.Exec(ctx, "UPDATE t SET v = v + 10")
			return err
		})
	}()
	select {
	case err := <-done:
		require.NoError(t, err, "Tx")
	case <-time.After(5 * time.Second):
		t.Fatal("a Tx call inside a tx.Query loop deadlocked") // db leaks: closing it would hang
	}
	defer closeWithin(t, db, 5*time.Second)
	require.Equal(t, 4, len(nested), "nested calls: %v", nested)
	for i, err := range nested {
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "nested call %d: %v, want FailedPrecondition (busy)", i, err)
		assert.Contains(t, err.Error(), "busy", "nested call %d: %v, want FailedPrecondition (busy)", i, err)
	}
	var sum int64
	err := db.QueryRow(ctx, "SELECT sum(v) FROM t").Scan(&sum)
	require.NoError(t, err, "sum = %d (%v), want 36: only the write after the loops committed", sum, err)
	assert.Equal(t, int64(36), sum, "sum = %d (%v), want 36: only the write after the loops committed", sum, err)
}

// TestNilScanDestination proves that a typed-nil destination, whether to
// Scan ((*int64)(nil), (*string)(nil), a nil sql.Scanner pointer) or to Get
// ((*map[string]any)(nil), (*[]any)(nil), a nil struct pointer), is an
// InvalidArgument error and not a panic, on the single-row path
// (QueryRow.Scan), inside a Query loop, in a Tx and through Get. Before
// the fix the store through the nil pointer panicked.
func TestNilScanDestination(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(v INT, s TEXT); INSERT INTO t VALUES (1, 'a')")
	noPanic := func(name string, f func() error) {
		t.Helper()
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s panicked: %v", name, p)
					err = nil
				}
			}()
			err = f()
		}()
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "%s: %v, want InvalidArgument", name, err)
	}
	noPanic("QueryRow.Scan(*int64 nil)", func() error {
		return db.QueryRow(ctx, "SELECT v FROM t").Scan((*int64)(nil))
	})
	noPanic("QueryRow.Scan(*string nil)", func() error {
		return db.QueryRow(ctx, "SELECT s FROM t").Scan((*string)(nil))
	})
	noPanic("QueryRow.Scan(*int32 nil)", func() error {
		return db.QueryRow(ctx, "SELECT v FROM t").Scan((*int32)(nil))
	})
	noPanic("QueryRow.Scan(*nullScanner nil)", func() error {
		return db.QueryRow(ctx, "SELECT v FROM t").Scan((*nullScanner)(nil))
	})
	noPanic("Row.Scan(*float64 nil)", func() error {
		for row, err := range db.Query(ctx, "SELECT v FROM t") {
			if err != nil {
				return err
			}
			return row.Scan((*float64)(nil))
		}
		return nil
	})
	noPanic("Get(*map nil)", func() error {
		return db.Get(ctx, (*map[string]any)(nil), "SELECT v FROM t")
	})
	noPanic("Get(*[]any nil)", func() error {
		return db.Get(ctx, (*[]any)(nil), "SELECT v FROM t")
	})
	noPanic("Get(*int64 nil)", func() error {
		return db.Get(ctx, (*int64)(nil), "SELECT v FROM t")
	})
	noPanic("Get(*struct nil)", func() error {
		return db.Get(ctx, (*struct{ V int64 })(nil), "SELECT v FROM t")
	})
	noPanic("tx.QueryRow.Scan(*int64 nil)", func() error {
		var scanErr error
		err := db.Tx(ctx, func(tx *sqlite.Tx) error {
			scanErr = tx.QueryRow(ctx, "SELECT v FROM t").Scan((*int64)(nil))
			return nil
		})
		if err != nil {
			return err
		}
		return scanErr
	})
	// The connections are fine afterwards.
	var v int64
	err := db.QueryRow(ctx, "SELECT v FROM t").Scan(&v)
	require.NoError(t, err, "after: v=%d err=%v", v, err)
	assert.Equal(t, int64(1), v, "after: v=%d err=%v", v, err)
}

type nullScanner struct{ v any }

func (n *nullScanner) Scan(v any) error { n.v = v; return nil }

// TestLockWaitHonoursContext proves that a statement waiting for a lock
// another handle (as another process would) holds gives up when its
// context ends — at the deadline, or on cancellation — with the context's
// code, instead of sleeping out the whole BusyTimeout (5 s by default):
// SQLite's busy_timeout wait is not stopped by sqlite3_interrupt. Before
// the fix an Exec with a 200 ms deadline returned after 5 s, Unavailable.
func TestLockWaitHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	a := openFile(t, sqlite.Config{Path: path, Create: true})
	mustExec(t, a, "CREATE TABLE t(x)")
	b := openFile(t, sqlite.Config{Path: path}) // default BusyTimeout, 5 s
	bg := context.Background()
	hold, held, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		finished <- a.TxWith(bg, sqlite.Immediate, func(tx *sqlite.Tx) error {
			if _, err := tx.Exec(bg, "INSERT INTO t VALUES (1)"); err != nil {
				close(held)
				return err
			}
			close(held)
			<-hold
			return nil
		})
	}()
	<-held
	defer func() {
		close(hold)
		assert.NoError(t, <-finished, "holder Tx")
	}()

	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.Exec(ctx, "INSERT INTO t VALUES (2)")
	assert.LessOrEqual(t, time.Since(start), time.Second, "Exec with a 200ms deadline returned after")
	wantCode(t, err, arsenal.DeadlineExceeded)

	ctx2, cancel2 := context.WithCancel(bg)
	time.AfterFunc(100*time.Millisecond, cancel2)
	start = time.Now()
	err = b.Tx(ctx2, func(tx *sqlite.Tx) error {
		_, err := tx.Exec(ctx2, "INSERT INTO t VALUES (3)")
		return err
	})
	assert.LessOrEqual(t, time.Since(start), time.Second, "cancelled Tx returned after")
	wantCode(t, err, arsenal.Canceled)
}

// TestPanicInTxQueryLoop proves that a panic in a tx.Query loop body rolls
// the transaction back, continues to the caller, and leaves the writer
// usable (the statement reset, the Tx's lock and busy mark released).
// Before the fix the cached statement stayed mid-step, so the next run of
// the same query on the writer resumed after the first row.
func TestPanicInTxQueryLoop(t *testing.T) {
	db := openUnmanaged(t, sqlite.Config{Path: filepath.Join(t.TempDir(), "p.db"), Create: true})
	ctx := ctxT(t)
	mustExec(t, db, "CREATE TABLE t(v INT); INSERT INTO t VALUES (1), (2)")
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want boom", p)
			}
		}()
		db.Tx(ctx, func(tx *sqlite.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO t VALUES (3)"); err != nil {
				return err
			}
			for range tx.Query(ctx, "SELECT v FROM t") {
				panic("boom")
			}
			return nil
		})
	}()
	c2, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := db.Exec(c2, "INSERT INTO t VALUES (4)"); err != nil {
		t.Errorf("Exec after the panic: %v", err)
	}
	var n int64
	if err := db.QueryRow(c2, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 3 {
		t.Errorf("count = %d (%v), want 3 (the Tx's insert rolled back)", n, err)
	}
	// The same query on the writer starts from the first row again (a
	// statement left mid-step would resume where the panic left it).
	var got []int64
	err := db.Tx(c2, func(tx *sqlite.Tx) error {
		for row, err := range tx.Query(c2, "SELECT v FROM t") {
			if err != nil {
				return err
			}
			got = append(got, row.Int64(0))
		}
		return nil
	})
	require.NoError(t, err, "rows after the panic: %v (%v), want [1 2 4]", got, err)
	assert.Equal(t, 3, len(got), "rows after the panic: %v (%v), want [1 2 4]", got, err)
	closeWithin(t, db, 2*time.Second)
}
