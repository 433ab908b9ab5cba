// Command sqlite-backup-to-s3 backs a live SQLite database up to S3 and
// restores it: an online Backup to a snapshot file, a streaming upload with
// the row count as metadata, then a download that Restore checks for
// integrity before it replaces the target file.
//
//	S3_ENDPOINT=http://127.0.0.1:7070 S3_BUCKET=demo go run ./examples/library/sqlite-backup-to-s3 [-db app.db]
//
// It reads S3_ENDPOINT, S3_BUCKET (default arsenal-examples), S3_REGION and
// S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY; the bucket must exist.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func main() {
	path := flag.String("db", os.Getenv("SQLITE_PATH"), "database file (default: a new file in a temporary directory)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "arsenal-example-")
	if err == nil {
		if *path == "" {
			*path = filepath.Join(dir, "app.db")
		}
		err = run(*path, dir)
		_ = os.RemoveAll(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(path, tmp string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	cfg := s3.FromEnv()
	if cfg.Bucket == "" {
		cfg.Bucket = "arsenal-examples"
	}
	cfg.Prefix = "examples/sqlite-backup-to-s3/"
	store, err := s3.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS orders;
		CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, total REAL)`); err != nil {
		return err
	}
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		for i := range 1000 {
			if _, err := tx.Exec(ctx, "INSERT INTO orders(customer, total) VALUES (?, ?)", fmt.Sprintf("c%d", i%50), float64(i)*1.5); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var rows int64
	if err := db.Get(ctx, &rows, "SELECT count(*) FROM orders"); err != nil {
		return err
	}

	// 1. A consistent snapshot of the live database, then upload it.
	snap := filepath.Join(tmp, "snapshot.db")
	if err := db.Backup(ctx, snap); err != nil {
		return err
	}
	f, err := os.Open(snap)
	if err != nil {
		return err
	}
	key := "backups/app-" + time.Now().UTC().Format("20060102T150405Z") + ".db"
	res, err := store.Upload(ctx, key, f, &s3.PutOptions{
		ContentType: "application/vnd.sqlite3",
		Metadata:    map[string]string{"rows": strconv.FormatInt(rows, 10), "source": filepath.Base(path)},
	})
	f.Close()
	if err != nil {
		return err
	}
	fmt.Printf("uploaded backup of %d rows (%d KiB)\n", rows, res.Size>>10)
	info, err := store.Stat(ctx, key)
	if err != nil {
		return err
	}
	fmt.Println("backup metadata rows:", info.Metadata["rows"])

	// 2. Restore it elsewhere: download, check, write atomically.
	r, err := store.Get(ctx, key, nil)
	if err != nil {
		return err
	}
	restored := filepath.Join(tmp, "restored.db")
	err = sqlite.Restore(ctx, r, restored)
	r.Close()
	if err != nil {
		return err
	}
	rdb, err := sqlite.Open(ctx, sqlite.Config{Path: restored, ReadOnly: true})
	if err != nil {
		return err
	}
	defer rdb.Close()
	var got int64
	if err := rdb.Get(ctx, &got, "SELECT count(*) FROM orders"); err != nil {
		return err
	}
	fmt.Println("restored rows:", got)
	// A corrupt upload is refused and leaves the target untouched.
	if _, err := store.Put(ctx, "backups/corrupt.db", []byte("not a database at all"), nil); err != nil {
		return err
	}
	cr, err := store.Get(ctx, "backups/corrupt.db", nil)
	if err != nil {
		return err
	}
	err = sqlite.Restore(ctx, cr, restored)
	cr.Close()
	fmt.Println("corrupt backup refused:", err != nil)
	return store.DeleteMany(ctx, []string{key, "backups/corrupt.db"})
}
