// Command arsenal runs the whole toolkit live: it opens a SQLite database,
// a Redis client, an S3 client and a WebSocket connection, runs a short
// workload on each, and prints a health and latency report. With
// -console it keeps a light load running and serves the Arsenal console
// (package console) over those components until interrupted.
//
// With no flags every component runs on embedded defaults, so it works on a
// machine with nothing but Go: SQLite in a temp file, an embedded Redis
// (miniredis), an embedded S3 (gofakes3) and a local WebSocket echo server.
// Point it at real servers with flags or environment variables:
//
//	-sqlite PATH|URL   ARSENAL_SQLITE   (sqlite:///var/db/app.db?mode=rwc)
//	-redis URL         REDIS_URL, VALKEY_URL
//	-s3 URL            ARSENAL_S3_URL, or S3_ENDPOINT + S3_BUCKET (+ S3_ACCESS_KEY_ID ...)
//	-ws URL            ARSENAL_WS_URL   (an echo server)
//
// It is a module of its own (github.com/infra-arsenal/arsenal/examples/arsenal),
// so run it from its directory. Examples:
//
//	cd examples/arsenal
//	go run .
//	go run . -console 127.0.0.1:8080
//
// The console serves loopback clients only. To serve another address, set
// ARSENAL_CONSOLE_TOKEN (or -console-token) and open the printed URL,
// which carries the token once; -dashboard is an alias of -console.
//
//	REDIS_URL=redis://127.0.0.1:6379/0 go run . -ops 5000
//
// When OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// is set, every component reports its operations as OpenTelemetry spans
// (package github.com/infra-arsenal/arsenal/otel) under one "workload" span,
// sent over OTLP/HTTP; the exporter reads the other OTEL_EXPORTER_OTLP_*
// variables (headers, timeout, certificates) itself, OTEL_SERVICE_NAME names
// the service (default arsenal-example) and OTEL_SDK_DISABLED=true turns it
// off. The spans are flushed before exit and one line says where they went:
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_SERVICE_NAME=shop go run .
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

type options struct {
	sqlite, redis, s3, ws string
	ops                   int
	concurrency           int
	console               string
	consoleToken          string
	duration              time.Duration
	// observer is set on every component opened; nil (no tracing) unless
	// the environment names an OTLP endpoint.
	observer arsenal.Observer
}

func main() {
	var o options
	flag.StringVar(&o.sqlite, "sqlite", os.Getenv("ARSENAL_SQLITE"), "SQLite file or sqlite: URL (default: a temp file)")
	flag.StringVar(&o.redis, "redis", firstEnv("REDIS_URL", "VALKEY_URL"), "Redis URL (default: embedded miniredis)")
	flag.StringVar(&o.s3, "s3", os.Getenv("ARSENAL_S3_URL"), "s3://bucket?endpoint=... URL (default: S3_ENDPOINT/S3_BUCKET, else embedded gofakes3)")
	flag.StringVar(&o.ws, "ws", os.Getenv("ARSENAL_WS_URL"), "ws:// URL of an echo server (default: a local echo server)")
	flag.IntVar(&o.ops, "ops", 500, "operations per component in the demo run")
	flag.IntVar(&o.concurrency, "c", 4, "concurrent callers per component")
	flag.StringVar(&o.console, "console", "", "serve the Arsenal console on this address (e.g. 127.0.0.1:8080) and keep a light load running")
	flag.StringVar(&o.console, "dashboard", "", "alias of -console")
	flag.StringVar(&o.consoleToken, "console-token", os.Getenv("ARSENAL_CONSOLE_TOKEN"), "token the console requires; needed to serve a non-loopback address")
	flag.DurationVar(&o.duration, "duration", 0, "with -console: stop after this long (default: until interrupted)")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "arsenal:", err)
		c := arsenal.Classify(err)
		fmt.Fprintf(os.Stderr, "  code %v, retryable %v, action %v\n", c.Code, c.Retryable, c.Action)
		os.Exit(1)
	}
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// part is one component of the demo: how it was opened and its workload.
type part struct {
	name     string
	comp     arsenal.Component
	source   string // "embedded ..." or "real ..."
	workload func(ctx context.Context, worker, i int) error
	cleanup  func()
}

func run(ctx context.Context, o options) error { return runWithOutput(ctx, o, os.Stdout) }

// runWithOutput is run printing to w.
func runWithOutput(ctx context.Context, o options, w io.Writer) (err error) {
	if o.ops <= 0 || o.concurrency <= 0 {
		return arsenal.Errorf(arsenal.InvalidArgument, "arsenal", "flags", "-ops and -c must be positive")
	}
	ctx, obs, tr, err := startTracing(ctx)
	if err != nil {
		return err
	}
	if tr != nil {
		o.observer = obs
		// After the components are closed: every span has ended.
		defer func() { err = errors.Join(err, tr.finish(ctx, w)) }()
	}
	hub := arsenal.NewHub()
	var cleanups []func()
	defer func() {
		if err := hub.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close:", err)
		}
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()

	openers := []func(context.Context, options) (*part, error){openSQLite, openRedis, openS3, openWebSocket}
	var parts []*part
	var openErrs []error
	for _, open := range openers {
		octx, cancel := context.WithTimeout(ctx, 20*time.Second)
		p, err := open(octx, o)
		cancel()
		if p != nil && p.cleanup != nil {
			cleanups = append(cleanups, p.cleanup)
		}
		if err != nil {
			openErrs = append(openErrs, err)
			fmt.Fprintf(os.Stderr, "skipping a component: %v\n", err)
			continue
		}
		if err := hub.Add(p.name, p.comp); err != nil {
			return errors.Join(err, p.comp.Close())
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return errors.Join(openErrs...)
	}

	fmt.Fprintln(w, "Arsenal: opened", len(parts), "components")
	for _, p := range parts {
		desc := p.comp.Stats().Target
		if d, ok := p.comp.(arsenal.Describer); ok {
			desc = d.Describe()
		}
		fmt.Fprintf(w, "  %-10s %-9s %s\n             %s\n", p.name, p.comp.Kind(), p.source, desc)
	}

	if o.console != "" {
		return runConsole(ctx, hub, parts, o, w)
	}

	fmt.Fprintf(w, "\nRunning %d operations on each component with %d callers...\n", o.ops, o.concurrency)
	for _, p := range parts {
		res := drive(ctx, p, o.ops, o.concurrency)
		fmt.Fprintf(w, "  %-10s %8.0f rounds/s  (%d rounds, %d errors, p50 %s, p99 %s)\n", p.name, res.opsPerSec, res.count,
			res.errors, dur(res.latency.P50), dur(res.latency.P99))
		if res.firstErr != nil {
			fmt.Fprintf(w, "             first error: %v\n", res.firstErr)
		}
	}
	report(ctx, hub, w)
	return nil
}

// roundResult is one component's demo run.
type roundResult struct {
	count     int
	errors    int
	firstErr  error
	elapsed   time.Duration
	latency   arsenal.OpStats
	opsPerSec float64
}

// drive runs p's workload ops times across conc workers and times each
// round with a stats.Recorder. When ctx ends it stops starting rounds.
func drive(ctx context.Context, p *part, ops, conc int) roundResult {
	rec := stats.NewRecorder()
	op := rec.Op("round")
	var mu sync.Mutex
	res := roundResult{}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// An interrupt stops new rounds; a round started finishes
			// (bounded by its own timeout), so it is not reported as an error.
			for i := w; i < ops && ctx.Err() == nil; i += conc {
				t := time.Now()
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				err := p.workload(rctx, w, i)
				cancel()
				op.Record(time.Since(t), err)
				if err != nil {
					mu.Lock()
					res.errors++
					if res.firstErr == nil {
						res.firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.latency = op.Stats()
	res.count = int(res.latency.Count)
	res.opsPerSec = float64(res.count) / res.elapsed.Seconds()
	return res
}

// report prints health and per-operation latency for every component.
func report(ctx context.Context, hub *arsenal.Hub, w io.Writer) {
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	health := hub.Health(hctx)
	snaps := hub.Stats()
	fmt.Fprintln(w, "\nHealth")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  COMPONENT\tKIND\tHEALTH\tCHECK")
	for _, h := range health.Components {
		state := "ok"
		if h.Err != nil {
			state = arsenal.CodeOf(h.Err).String() + ": " + h.Err.Error()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", h.Name, h.Kind, state, h.Latency.Round(time.Microsecond))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nLatency by operation")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  COMPONENT\tOPERATION\tCALLS\tERRORS\tP50\tP95\tP99\tMAX\t")
	for _, name := range hub.Names() {
		st := snaps[name]
		for _, op := range st.OpNames() {
			s := st.Ops[op]
			if s.Count == 0 {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", name, op, s.Count, s.Errors,
				dur(s.P50), dur(s.P95), dur(s.P99), dur(s.Max))
		}
	}
	tw.Flush()
	alerts := stats.DetectDegradation(snaps)
	fmt.Fprintln(w, "\nDegradation check:", map[bool]string{true: "no alerts", false: fmt.Sprintf("%d alert(s)", len(alerts))}[len(alerts) == 0])
	for _, a := range alerts {
		fmt.Fprintln(w, "  "+a.String())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "\nProcess: %d goroutines, heap %.1f MiB\n", runtime.NumGoroutine(), float64(ms.HeapAlloc)/(1<<20))
	if !health.Healthy() {
		fmt.Fprintln(w, "Some components are unhealthy:", strings.ReplaceAll(health.Err().Error(), "\n", "; "))
	}
}

func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	default:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
}
