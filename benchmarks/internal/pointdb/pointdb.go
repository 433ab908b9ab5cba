// Package pointdb is the SQLite file the overhead and hooks benchmarks
// run point selects against: table bench (id INTEGER PRIMARY KEY, name
// TEXT, score REAL) with ids 1..Rows.
package pointdb

import (
	"context"
	"strconv"

	"github.com/infra-arsenal/arsenal/sqlite"
)

// Rows is how many rows Seed writes.
const Rows = 10000

// Select is the point select the benchmarks time: one row by primary key.
const Select = "SELECT id, name, score FROM bench WHERE id = ?"

// Seed creates the file at path and writes the table in one transaction.
func Seed(ctx context.Context, path string) error {
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
	if err != nil {
		return err
	}
	if _, err := db.Exec(ctx, "CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
		db.Close()
		return err
	}
	if err := db.Tx(ctx, func(tx *sqlite.Tx) error {
		for i := 1; i <= Rows; i++ {
			if _, err := tx.Exec(ctx, "INSERT INTO bench VALUES (?, ?, ?)", i, "name-"+strconv.Itoa(i), float64(i)/3); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}
