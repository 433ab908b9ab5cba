package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/infra-arsenal/arsenal/sqlite"
)

func main() {
	path := flag.String("db", os.Getenv("SQLITE_PATH"), "database file (default: a new file in a temporary directory)")
	flag.Parse()
	if *path == "" {
		dir, err := os.MkdirTemp("", "arsenal-example-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		*path = filepath.Join(dir, "app.db")
		err = run(*path)
		_ = os.RemoveAll(dir)
		exit(err)
		return
	}
	exit(run(*path))
}

func exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return demo(ctx, db)
}
