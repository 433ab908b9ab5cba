// Command sqlite shows Arsenal's SQLite component: deserialize options,
// declared versus actual column types, safe integers at the JSON boundary,
// strict parameter binding, concurrent writers and readers, and backup.
// It runs with no flags on a temporary file (-dir keeps the files in a
// directory of your choice):
//
//	go run ./examples/sqlite
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func main() {
	dirFlag := flag.String("dir", "", "directory for the example's database files (default: a new temporary directory, removed at exit)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dirFlag); err != nil {
		log.Fatal(err)
	}
}

// run writes the tour to w, keeping its files in dir (a temporary
// directory when dir is empty).
func run(ctx context.Context, w io.Writer, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "arsenal-sqlite-example")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	path := filepath.Join(dir, "app.db")

	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true, Strict: true, SafeIntegers: true, Readers: 4})
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(w, "opened:", db.Describe())

	// Declared versus actual types: affinity decides what is stored.
	if _, err := db.Exec(ctx, `CREATE TABLE events(id INTEGER PRIMARY KEY, at DATETIME, label VARCHAR(20), n INTEGER);
		INSERT INTO events(at, label, n) VALUES ('2020', 1, 9007199254740993), ('2024-05-06', 'x', 7)`); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n== declared vs actual types ==")
	for row, err := range db.Query(ctx, "SELECT at, label, n * 1 AS n FROM events ORDER BY id") {
		if err != nil {
			return err
		}
		for _, c := range row.Columns() {
			fmt.Fprintf(w, "  %-6s declared %-12q stored %-8s", c.Name, c.DeclType, c.Type)
		}
		fmt.Fprintln(w)
	}

	// Safe integers: exact in Go, strings beyond 2^53 in JSON.
	fmt.Fprintln(w, "\n== safe integers ==")
	var n int64
	if err := db.QueryRow(ctx, "SELECT n FROM events WHERE id = 1").Scan(&n); err != nil {
		return err
	}
	js, err := db.AllJSON(ctx, "SELECT id, n FROM events ORDER BY id")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "  in Go:  ", n)
	fmt.Fprintln(w, "  as JSON:", string(js))
	_, err = db.Exec(ctx, "INSERT INTO events(n) VALUES (?)", uint64(1<<63))
	fmt.Fprintln(w, "  uint64 2^63:", arsenal.CodeOf(err), "-", err)

	// Strict binding: bare names work; missing or unknown names are errors.
	fmt.Fprintln(w, "\n== strict binding ==")
	var label string
	err = db.QueryRow(ctx, "SELECT label FROM events WHERE id = $id", sqlite.Named{"id": 2}).Scan(&label)
	fmt.Fprintf(w, "  bare name id -> %q (%v)\n", label, err)
	_, err = db.Values(ctx, "SELECT * FROM events WHERE id = $id AND label = $label", sqlite.Named{"id": 2})
	fmt.Fprintln(w, "  missing $label:", arsenal.CodeOf(err))
	_, err = db.Values(ctx, "SELECT * FROM events WHERE id = $id", sqlite.Named{"id": 2, "idd": 3})
	fmt.Fprintln(w, "  unknown idd:   ", arsenal.CodeOf(err))

	// Concurrent writers and readers: writers queue for the one writer
	// connection, readers run beside it; nobody sees SQLITE_BUSY.
	fmt.Fprintln(w, "\n== concurrent writers and readers ==")
	if _, err := db.Exec(ctx, "CREATE TABLE hits(w INT, i INT)"); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	start := time.Now()
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, err := db.Exec(ctx, "INSERT INTO hits VALUES (:w, :i)", sqlite.Named{"w": w, "i": i}); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				var c int
				if err := db.QueryRow(ctx, "SELECT count(*) FROM hits").Scan(&c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	var hits int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM hits").Scan(&hits); err != nil {
		return err
	}
	g := db.DBStats()
	fmt.Fprintf(w, "  %d rows from 4 writers, 800 reads, in %s; readers opened %v, writer waits %v\n",
		hits, time.Since(start).Round(time.Millisecond), g.ReadersTotal, g.WriterWaits)

	// Backup, then restore the bytes read-only through Deserialize.
	fmt.Fprintln(w, "\n== backup and deserialize ==")
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		return err
	}
	fi, _ := os.Stat(backup)
	fmt.Fprintf(w, "  backup: %s (%d bytes)\n", filepath.Base(backup), fi.Size())
	image, err := db.Serialize(ctx, "main")
	if err != nil {
		return err
	}
	ro, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{ReadOnly: true, SafeIntegers: true})
	if err != nil {
		return err
	}
	defer ro.Close()
	var c int
	if err := ro.QueryRow(ctx, "SELECT count(*) FROM hits").Scan(&c); err != nil {
		return err
	}
	_, werr := ro.Exec(ctx, "DELETE FROM hits")
	_, perr := ro.Exec(ctx, "PRAGMA query_only = OFF")
	fmt.Fprintf(w, "  read-only copy: %d rows; DELETE -> %v; query_only=OFF -> %v\n", c, arsenal.CodeOf(werr), arsenal.CodeOf(perr))
	if werr == nil || perr == nil {
		return errors.New("the read-only copy accepted a write")
	}
	_, err = sqlite.Deserialize(ctx, []byte("definitely not a database, just some bytes"), sqlite.DeserializeOptions{})
	fmt.Fprintln(w, "  garbage bytes:", arsenal.CodeOf(err))
	restored := filepath.Join(dir, "restored.db")
	if err := sqlite.Restore(ctx, bytesReader(image), restored); err != nil {
		return err
	}
	fmt.Fprintln(w, "  restored image to", filepath.Base(restored))

	// Close checkpoints the WAL: the .db file alone then holds everything.
	fmt.Fprintln(w, "\n== close ==")
	if err := db.Close(); err != nil {
		return err
	}
	_, werr = os.Stat(path + "-wal")
	fmt.Fprintf(w, "  after Close: -wal file left: %v\n", !errors.Is(werr, os.ErrNotExist))
	return nil
}
