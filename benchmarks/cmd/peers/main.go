// Command peers runs every side-by-side comparison program in benchmarks
// (one directory per domain: sqlite, redis, websocket, s3), collects their
// JSON lines, and regenerates BENCHMARKS.md at the repository root with
// tables of ratios measured in the same run, target checks, charts and a
// description of the machine.
//
// Run it from benchmarks:
//
//	go run ./cmd/peers            # every domain, full length (a few minutes each)
//	go run ./cmd/peers -quick     # short runs, for development
//	go run ./cmd/peers -only redis,sqlite
//
// It installs Bun from npm into ARSENAL_NODE_DIR (default
// /opt/arsenal-tools/node) when it is missing, starts redis-server and
// versitygw on loopback (through internal/testenv) unless
// ARSENAL_BENCH_REDIS_ADDR / ARSENAL_BENCH_S3_ENDPOINT already name
// servers, and passes them to the domain programs in those variables. A
// domain program that fails is recorded as failed in BENCHMARKS.md; the
// others still run. Raw results stay in results/<domain>.jsonl, logs in
// results/<domain>.log, charts in results/<domain>.svg.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	quick       bool
	only        []string
	dir         string        // the benchmarks directory holding the domain programs
	out         string        // BENCHMARKS.md to write
	results     string        // directory for raw JSONL, logs and charts
	timeout     time.Duration // per domain program
	install     bool          // install bun from npm when missing
	servers     bool          // start redis-server and versitygw when a domain needs them
	commandLine string        // the command as typed, for the report
}

func main() {
	var o options
	var only string
	flag.BoolVar(&o.quick, "quick", false, "pass -quick to every domain program (short runs)")
	flag.StringVar(&only, "only", "", "comma-separated domains to run (default: every domain directory)")
	flag.StringVar(&o.dir, "dir", ".", "the benchmarks directory holding one program per domain")
	flag.StringVar(&o.out, "out", "", "the report to write (default: BENCHMARKS.md one level above -dir, the repository root)")
	flag.StringVar(&o.results, "results", "", "directory for raw JSONL, logs and charts (default: -dir/results)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "longest a domain program may run")
	flag.BoolVar(&o.install, "install", true, "install bun from npm into ARSENAL_NODE_DIR when it is missing")
	flag.BoolVar(&o.servers, "servers", true, "start redis-server and versitygw on loopback for the domains that need them")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./cmd/peers [-quick] [-only redis,sqlite]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if only != "" {
		for _, d := range strings.Split(only, ",") {
			if d = strings.TrimSpace(d); d != "" {
				o.only = append(o.only, d)
			}
		}
	}
	o.commandLine = commandLine(o.quick, only)
	if o.out == "" {
		o.out = filepath.Join(o.dir, "..", "BENCHMARKS.md")
	}
	if o.results == "" {
		o.results = filepath.Join(o.dir, "results")
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o)
	if err != nil {
		slog.Error("peers", "err", err)
		os.Exit(1)
	}
	slog.Info("wrote report", "file", o.out, "domains", len(rep.Domains), "failed", rep.Failed())
}

// commandLine is the command a reader types to reproduce the report.
func commandLine(quick bool, only string) string {
	cmd := "cd benchmarks && go run ./cmd/peers"
	if quick {
		cmd += " -quick"
	}
	if only != "" {
		cmd += " -only " + only
	}
	return cmd
}
