// Command sqlite-migrations applies numbered schema migrations once each,
// in one transaction per step, recording the version in PRAGMA user_version;
// running it again applies nothing.
//
//	go run ./examples/library/sqlite-migrations [-db app.db]
package main

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal/sqlite"
)

var migrations = []string{
	1: `CREATE TABLE accounts(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)`,
	2: `ALTER TABLE accounts ADD COLUMN created_at TEXT NOT NULL DEFAULT (datetime('now'))`,
	3: `CREATE TABLE orders(id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(id), total REAL)`,
	4: `CREATE INDEX orders_by_account ON orders(account_id)`,
}

// Migrate brings the schema to the latest version and returns how many steps ran.
func Migrate(ctx context.Context, db *sqlite.DB) (int, error) {
	var v int
	if err := db.Get(ctx, &v, "PRAGMA user_version"); err != nil {
		return 0, err
	}
	ran := 0
	for next := v + 1; next < len(migrations); next++ {
		err := db.Tx(ctx, func(tx *sqlite.Tx) error {
			if _, err := tx.Exec(ctx, migrations[next]); err != nil {
				return fmt.Errorf("migration %d: %w", next, err)
			}
			_, err := tx.Exec(ctx, fmt.Sprintf("PRAGMA user_version = %d", next))
			return err
		})
		if err != nil {
			return ran, err
		}
		ran++
	}
	return ran, nil
}

func demo(ctx context.Context, db *sqlite.DB) error {
	// Start from an empty schema so the demo can run on the same file twice.
	if _, err := db.Exec(ctx, "DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS accounts; PRAGMA user_version = 0"); err != nil {
		return err
	}
	n, err := Migrate(ctx, db)
	if err != nil {
		return err
	}
	fmt.Println("first run applied:", n)
	n, err = Migrate(ctx, db)
	if err != nil {
		return err
	}
	fmt.Println("second run applied:", n)
	var v int
	if err := db.Get(ctx, &v, "PRAGMA user_version"); err != nil {
		return err
	}
	fmt.Println("schema version:", v)
	tables, err := sqlite.AllAs[string](ctx, db, "SELECT name FROM sqlite_schema WHERE type IN ('table','index') AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return err
	}
	fmt.Println("objects:", tables)
	return nil
}
