// Command otlp runs a short workload on Arsenal components with
// OpenTelemetry on and sends its traces to the OTLP endpoint the standard
// environment names — the traces examples/arsenal would send, from the
// nested otel module so that the library's own go.mod never requires the
// OpenTelemetry SDK:
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_SERVICE_NAME=shop \
//	    go run ./examples/otlp -redis redis://127.0.0.1:6379/0 -ops 100
//
// SQLite runs in a temporary file unless -sqlite names one; Redis is used
// when -redis (or REDIS_URL) is given. Every operation is a span under one
// "workload" span; the exporter reads the other OTEL_EXPORTER_OTLP_*
// variables (headers, protocol, timeout) itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"

	"github.com/infra-arsenal/arsenal"
	arsenalotel "github.com/infra-arsenal/arsenal/otel"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "otlp:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("otlp", flag.ContinueOnError)
	fs.SetOutput(out)
	sqlitePath := fs.String("sqlite", "", "SQLite file (default: a temporary one)")
	redisURL := fs.String("redis", os.Getenv("REDIS_URL"), "Redis URL (default $REDIS_URL; none: Redis is skipped)")
	ops := fs.Int("ops", 20, "operations per component")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tp, ok, err := arsenalotel.TracerFromEnv(ctx, "arsenal-example")
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) to an OTLP/HTTP endpoint")
	}
	obs, err := arsenalotel.NewObserver(arsenalotel.Options{TracerProvider: tp})
	if err != nil {
		return err
	}
	spans := 0
	ctx, root := tp.Tracer("arsenal/examples/otlp").Start(ctx, "workload")

	path := *sqlitePath
	if path == "" {
		dir, err := os.MkdirTemp("", "arsenal-otlp-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "app.db")
	}
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true, Observer: obs})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, page TEXT)"); err != nil {
		return err
	}
	spans++
	for i := 0; i < *ops; i++ {
		if _, err := db.Exec(ctx, "INSERT INTO visits (page) VALUES (?)", "/p/"+strconv.Itoa(i%5)); err != nil {
			return err
		}
		var n int64
		if err := db.QueryRow(ctx, "SELECT count(*) FROM visits").Scan(&n); err != nil {
			return err
		}
		spans += 2
	}
	fmt.Fprintf(out, "sqlite %s: %d operations\n", filepath.Base(path), 1+2**ops)

	if *redisURL != "" {
		cfg, err := redis.ParseURL(*redisURL)
		if err != nil {
			return err
		}
		cfg.Observer = obs
		rc, err := redis.Open(ctx, cfg)
		if err != nil {
			return err
		}
		defer rc.Close()
		for i := 0; i < *ops; i++ {
			key := "otlp-example:" + strconv.Itoa(i%5)
			if err := rc.Set(ctx, key, "v"); err != nil {
				return err
			}
			if _, err := rc.Get(ctx, key); err != nil {
				return err
			}
			spans += 2
		}
		fmt.Fprintf(out, "redis %s: %d operations\n", arsenal.RedactURL(*redisURL), 2**ops)
	}
	root.End()
	// Shutdown flushes the batch to the endpoint.
	if err := tp.Shutdown(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("sending the traces: %w", err)
	}
	fmt.Fprintf(out, "sent %d spans under one trace %s\n", spans+1, root.SpanContext().TraceID())
	return nil
}
