package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEightWritersAndEightReadersLoseNothing runs 8 writers and 8 readers
// against one file for a few seconds: no error (in particular no
// SQLITE_BUSY) reaches a caller, every acknowledged row is there, readers
// never see the row count go backwards, and integrity_check passes.
func TestEightWritersAndEightReadersLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several seconds")
	}
	db := openFile(t, sqlite.Config{Readers: 8})
	mustExec(t, db, "CREATE TABLE events(id INTEGER PRIMARY KEY, writer INT NOT NULL, seq INT NOT NULL, body TEXT, UNIQUE(writer, seq))")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const run = 3 * time.Second
	stop := time.Now().Add(run)
	var acked atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := 0
			for time.Now().Before(stop) {
				var err error
				if seq%5 == 4 {
					// Every fifth write is a three-row transaction.
					err = db.TxWith(ctx, sqlite.Immediate, func(tx *sqlite.Tx) error {
						for k := 0; k < 3; k++ {
							if _, err := tx.Exec(ctx, "INSERT INTO events(writer, seq, body) VALUES (?, ?, ?)", w, seq+k, "tx"); err != nil {
								return err
							}
						}
						return nil
					})
					if err == nil {
						acked.Add(3)
						seq += 3
					}
				} else {
					_, err = db.Exec(ctx, "INSERT INTO events(writer, seq, body) VALUES (:w, :s, 'one')", sqlite.Named{"w": w, "s": seq})
					if err == nil {
						acked.Add(1)
						seq++
					}
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		}()
	}
	var reads atomic.Int64
	for r := 0; r < 8; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := int64(-1)
			for time.Now().Before(stop) {
				var n int64
				if err := db.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				if n < last {
					errs <- fmt.Errorf("reader %d saw the count go from %d to %d", r, last, n)
					return
				}
				last = n
				for row, err := range db.Query(ctx, "SELECT writer, max(seq) FROM events GROUP BY writer") {
					if err != nil {
						errs <- fmt.Errorf("reader %d: %w", r, err)
						return
					}
					_ = row.Int64(1)
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if arsenal.IsCode(err, arsenal.Unavailable) {
			t.Errorf("SQLITE_BUSY reached a caller: %v", err)
		} else {
			t.Error(err)
		}
	}
	var n int64
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n))
	assert.Equal(t, acked.Load(), n, "%d rows stored, %d acknowledged", n, acked.Load())
	// Per writer the sequence has no gaps.
	var gaps int64
	err := db.QueryRow(ctx, "SELECT count(*) FROM (SELECT writer, count(*) AS c, max(seq) AS m FROM events GROUP BY writer) WHERE c != m + 1").Scan(&gaps)
	require.NoError(t, err, "%d writers with gaps (%v)", gaps, err)
	assert.Equal(t, int64(0), gaps, "%d writers with gaps (%v)", gaps, err)
	assert.NoError(t, db.IntegrityCheck(ctx))
	t.Logf("%d rows written, %d read rounds in %s", n, reads.Load(), run)
	assert.NotEqual(t, int64(0), n, "no progress")
	assert.NotEqual(t, int64(0), reads.Load(), "no progress")
	assert.NotErrorIs(t, ctx.Err(), context.DeadlineExceeded, "test ran out of time")
}
