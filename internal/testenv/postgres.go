package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresAdminURL is the local PostgreSQL server's maintenance database;
// ARSENAL_PG_ADMIN_URL overrides it. Tests never write to it: they get
// their own database from Postgres.
func PostgresAdminURL() string {
	if u := os.Getenv("ARSENAL_PG_ADMIN_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Postgres creates a throwaway database on the local PostgreSQL server and
// returns its URL; the database is dropped when t ends. It fails the test
// if no server answers (PostgreSQL has no embedded stand-in).
func Postgres(t testing.TB) string {
	t.Helper()
	u, drop, err := PostgresDatabase()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return u
}

// PostgresDatabase creates a throwaway database on the local PostgreSQL
// server and returns its URL and the function that drops it, for a
// TestMain (where no testing.TB exists yet).
func PostgresDatabase() (string, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, PostgresAdminURL())
	if err != nil {
		return "", nil, fmt.Errorf("testenv: connect to PostgreSQL at %s: %w", PostgresAdminURL(), err)
	}
	defer admin.Close(ctx)
	name := "arsenal_test_" + RandomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("testenv: create database %s: %w", name, err)
	}
	Logf("using real PostgreSQL, throwaway database %s", name)
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, PostgresAdminURL())
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	cfg, _ := pgx.ParseConfig(PostgresAdminURL())
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name), drop, nil
}
