// Command sqlite-hello creates a table in a SQLite file, inserts rows with
// positional and named parameters, and reads them back with Query and Get.
//
//	go run ./examples/library/sqlite-hello [-db app.db]
package main

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal/sqlite"
)

func demo(ctx context.Context, db *sqlite.DB) error {
	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS users;
		CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE)`); err != nil {
		return err
	}
	r, err := db.Exec(ctx, "INSERT INTO users(name, email) VALUES (?, ?)", "ada", "ada@example.com")
	if err != nil {
		return err
	}
	fmt.Println("inserted id:", r.LastInsertID)
	if _, err := db.Exec(ctx, "INSERT INTO users(name, email) VALUES (:name, :email)",
		sqlite.Named{"name": "grace", "email": "grace@example.com"}); err != nil {
		return err
	}
	for row, err := range db.Query(ctx, "SELECT id, name FROM users ORDER BY id") {
		if err != nil {
			return err
		}
		fmt.Printf("user %d: %s\n", row.Int64(0), row.Text(1))
	}
	var n int64
	if err := db.Get(ctx, &n, "SELECT count(*) FROM users"); err != nil {
		return err
	}
	fmt.Println("users:", n)
	// A duplicate email breaks the UNIQUE constraint: a coded error.
	_, err = db.Exec(ctx, "INSERT INTO users(name, email) VALUES (?, ?)", "ada2", "ada@example.com")
	fmt.Println("duplicate email refused:", err != nil)
	return nil
}
