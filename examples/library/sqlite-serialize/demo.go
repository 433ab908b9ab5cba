// Command sqlite-serialize snapshots a database into bytes with Serialize
// and opens the bytes as an in-memory, read-only database with Deserialize:
// the snapshot keeps its rows after the original changes, refuses writes, and
// bytes that are not a database are DataLoss.
//
//	go run ./examples/library/sqlite-serialize [-db app.db]
package main

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func demo(ctx context.Context, db *sqlite.DB) error {
	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS prices;
		CREATE TABLE prices(sku TEXT PRIMARY KEY, cents INTEGER);
		INSERT INTO prices VALUES ('tea', 450), ('cake', 325)`); err != nil {
		return err
	}
	img, err := db.Serialize(ctx, "main")
	if err != nil {
		return err
	}
	fmt.Println("snapshot is a database image:", string(img[:15]) == "SQLite format 3")
	if _, err := db.Exec(ctx, "UPDATE prices SET cents = cents * 2"); err != nil {
		return err
	}

	snap, err := sqlite.Deserialize(ctx, img, sqlite.DeserializeOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer snap.Close()
	var then, now int64
	if err := snap.Get(ctx, &then, "SELECT cents FROM prices WHERE sku = 'tea'"); err != nil {
		return err
	}
	if err := db.Get(ctx, &now, "SELECT cents FROM prices WHERE sku = 'tea'"); err != nil {
		return err
	}
	fmt.Printf("tea in the snapshot: %d, now: %d\n", then, now)
	_, err = snap.Exec(ctx, "DELETE FROM prices")
	fmt.Println("write to the snapshot:", arsenal.CodeOf(err))
	_, err = sqlite.Deserialize(ctx, []byte("definitely not a database file"), sqlite.DeserializeOptions{})
	fmt.Println("garbage bytes:", arsenal.CodeOf(err))
	return nil
}
