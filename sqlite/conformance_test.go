package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/componenttest"
	"github.com/infra-arsenal/arsenal/sqlite"
)

var confN atomic.Int64

func TestConformance(t *testing.T) {
	componenttest.Run(t, componenttest.Harness{
		Kind: sqlite.Kind,
		Open: func(ctx context.Context) (arsenal.Component, error) {
			path := filepath.Join(scratch, fmt.Sprintf("conf-%d.db", confN.Add(1)))
			return sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
		},
		OpenInvalid: func(ctx context.Context) error {
			_, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(scratch, "never.db"), Readers: -1, BusyTimeout: -time.Second, JournalMode: "bogus", StatementCache: -5, Pragmas: []string{"x; DROP TABLE y"}})
			return err
		},
		InvalidFields: []string{"Readers", "BusyTimeout", "JournalMode", "StatementCache", "Pragmas"},
		MissingPath: func(ctx context.Context) error {
			_, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(scratch, "no-such-dir", "x.db")})
			return err
		},
		Exercise: func(ctx context.Context, c arsenal.Component) error {
			db := c.(*sqlite.DB)
			if _, err := db.Exec(ctx, "PRAGMA user_version = 7"); err != nil {
				return err
			}
			var n int
			if err := db.QueryRow(ctx, "SELECT ? + 1", 1).Scan(&n); err != nil {
				return err
			}
			if n != 2 {
				return fmt.Errorf("SELECT 1+1 = %d", n)
			}
			return nil
		},
		Blocking: func(ctx context.Context, c arsenal.Component) error {
			db := c.(*sqlite.DB)
			var n int64
			return db.QueryRow(ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c").Scan(&n)
		},
	})
}
