// Command hub-open-urls opens components from URLs through the scheme
// registry (arsenal.Open, arsenal.OpenAs), manages them in a Hub, checks
// their health together and closes them in one call.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/hub-open-urls [-db app.db]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	_ "github.com/infra-arsenal/arsenal/sqlite" // registers sqlite: and file:
)

func main() {
	redisURL := flag.String("redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	dbPath := flag.String("db", "", "SQLite file (default: a new file in a temporary directory)")
	flag.Parse()
	if *dbPath == "" {
		dir, err := os.MkdirTemp("", "arsenal-example-")
		if err != nil {
			exit(err)
		}
		*dbPath = filepath.Join(dir, "app.db")
		err = run(*redisURL, "sqlite:"+*dbPath+"?mode=rwc")
		_ = os.RemoveAll(dir)
		exit(err)
		return
	}
	exit(run(*redisURL, "sqlite:"+*dbPath+"?mode=rwc"))
}

func exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(redisURL, sqliteURL string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hub := arsenal.NewHub()
	defer hub.Close()

	if _, err := hub.OpenURL(ctx, "cache", redisURL); err != nil {
		return err
	}
	if _, err := hub.OpenURL(ctx, "store", sqliteURL); err != nil {
		return err
	}
	fmt.Println("components:", hub.Names())
	for _, name := range hub.Names() {
		c, _ := hub.Get(name)
		fmt.Printf("  %s is a %s component\n", name, c.Kind())
	}
	// The concrete type, for its typed API.
	rc, err := arsenal.GetAs[*redis.Client](hub, "cache")
	if err != nil {
		return err
	}
	if err := rc.Set(ctx, "example:hub:hello", "world"); err != nil {
		return err
	}
	v, err := rc.Get(ctx, "example:hub:hello")
	if err != nil {
		return err
	}
	fmt.Println("cache says:", v)

	rep := hub.Health(ctx)
	fmt.Println("healthy:", rep.Healthy())
	// A scheme nobody registered is a clear error, not a panic.
	_, err = arsenal.Open(ctx, "mongodb://localhost/db")
	fmt.Println("unknown scheme:", arsenal.CodeOf(err))
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
