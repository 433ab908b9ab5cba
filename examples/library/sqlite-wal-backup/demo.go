// Command sqlite-wal-backup takes an online backup of a WAL-mode database
// while a writer keeps inserting, then opens the copy read-only, checks its
// integrity and counts its rows: the copy is one consistent snapshot.
//
//	go run ./examples/library/sqlite-wal-backup [-db app.db]
package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/infra-arsenal/arsenal/sqlite"
)

func demo(ctx context.Context, db *sqlite.DB) error {
	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS readings;
		CREATE TABLE readings(id INTEGER PRIMARY KEY, sensor TEXT, value REAL)`); err != nil {
		return err
	}
	var mode string
	if err := db.Get(ctx, &mode, "PRAGMA journal_mode"); err != nil {
		return err
	}
	fmt.Println("journal mode:", mode)
	for i := range 5000 {
		if _, err := db.Exec(ctx, "INSERT INTO readings(sensor, value) VALUES (?, ?)", fmt.Sprintf("s%d", i%8), float64(i)/10); err != nil {
			return err
		}
	}
	// Keep writing while the backup runs.
	stop := make(chan struct{})
	var extra atomic.Int64
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := db.Exec(ctx, "INSERT INTO readings(sensor, value) VALUES ('live', 1)"); err != nil {
				done <- err
				return
			}
			extra.Add(1)
		}
	}()
	dst := filepath.Join(filepath.Dir(db.Config().Path), "backup.db")
	err := db.Backup(ctx, dst)
	close(stop)
	if werr := <-done; werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	cp, err := sqlite.Open(ctx, sqlite.Config{Path: dst, ReadOnly: true})
	if err != nil {
		return err
	}
	defer cp.Close()
	if err := cp.IntegrityCheck(ctx); err != nil {
		return err
	}
	var n, live int64
	if err := cp.Get(ctx, &n, "SELECT count(*) FROM readings WHERE sensor != 'live'"); err != nil {
		return err
	}
	if err := cp.Get(ctx, &live, "SELECT count(*) FROM readings WHERE sensor = 'live'"); err != nil {
		return err
	}
	fmt.Println("backup integrity: ok")
	fmt.Println("backup rows written before it:", n)
	fmt.Println("backup is a snapshot (live rows it holds <= written):", live <= extra.Load())
	return nil
}
