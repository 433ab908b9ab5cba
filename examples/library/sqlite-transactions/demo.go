// Command sqlite-transactions shows transactions: a function that returns an
// error rolls back everything it wrote, a nested Tx is a savepoint that can
// fail alone, and a constraint violation is a coded error.
//
//	go run ./examples/library/sqlite-transactions [-db app.db]
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func demo(ctx context.Context, db *sqlite.DB) error {
	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS stock;
		CREATE TABLE stock(item TEXT PRIMARY KEY, qty INTEGER NOT NULL CHECK (qty >= 0));
		INSERT INTO stock VALUES ('apple', 10), ('pear', 3)`); err != nil {
		return err
	}
	// A failed order rolls back entirely.
	err := db.Tx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE stock SET qty = qty - 2 WHERE item = 'apple'"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE stock SET qty = qty - 5 WHERE item = 'pear'") // CHECK fails
		return err
	})
	fmt.Println("order failed with code:", arsenal.CodeOf(err))
	qty := func(item string) int64 {
		var n int64
		_ = db.Get(ctx, &n, "SELECT qty FROM stock WHERE item = ?", item)
		return n
	}
	fmt.Println("apples after rollback:", qty("apple"))

	// A savepoint: the optional part fails, the rest commits.
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE stock SET qty = qty - 2 WHERE item = 'apple'"); err != nil {
			return err
		}
		inner := tx.Tx(ctx, func(sp *sqlite.Tx) error {
			if _, err := sp.Exec(ctx, "INSERT INTO stock VALUES ('plum', 1)"); err != nil {
				return err
			}
			return errors.New("plums are out of season")
		})
		fmt.Println("savepoint rolled back:", inner)
		return nil
	})
	if err != nil {
		return err
	}
	var plums int64
	if err := db.Get(ctx, &plums, "SELECT count(*) FROM stock WHERE item = 'plum'"); err != nil {
		return err
	}
	fmt.Printf("apples after commit: %d, plum rows: %d\n", qty("apple"), plums)
	return nil
}
