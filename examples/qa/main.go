// Command qa checks your own endpoints — conformance, integration round
// trips, latency against thresholds, and security posture — and prints one
// report, exiting non-zero when a check fails (for CI):
//
//	go run ./examples/qa -url redis://:PASSWORD@cache.internal:6379/0 \
//	    -url 's3://KEY:SECRET@my-bucket?endpoint=https://s3.example.com' \
//	    -url wss://ws.example.com/socket -url sqlite:/var/lib/app/app.db \
//	    [-category security,integration] [-format text|json|html] [-out report.html]
//
// Checks that write do so under a random scratch prefix (-prefix to choose
// one), and everything written is deleted before the command exits, also
// when it is interrupted with Ctrl-C (exit code 2). See package qa.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/infra-arsenal/arsenal/qa"
)

type urls []string

func (u *urls) String() string     { return strings.Join(*u, ",") }
func (u *urls) Set(v string) error { *u = append(*u, v); return nil }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("qa", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var targets urls
	fs.Var(&targets, "url", "a component URL to check (repeatable): redis://, rediss://, s3://, ws://, wss://, sqlite:")
	categories := fs.String("category", "", "comma-separated categories: conformance, integration, performance, security (default all)")
	format := fs.String("format", "text", "report format: text, json or html")
	out := fs.String("out", "", "write the report to this file instead of stdout")
	prefix := fs.String("prefix", "", "scratch prefix for what the checks write (default arsenal-qa-<random>-)")
	ops := fs.Int("ops", 200, "timed reads per performance check")
	p50 := fs.Duration("p50", 10*time.Millisecond, "p50 read latency limit")
	p99 := fs.Duration("p99", 100*time.Millisecond, "p99 read latency limit")
	timeout := fs.Duration("timeout", 10*time.Second, "bound of each check")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(targets) == 0 {
		fmt.Fprintln(stderr, "qa: give at least one -url")
		fs.Usage()
		return 2
	}
	opts := qa.Options{Prefix: *prefix, Ops: *ops, Thresholds: qa.Thresholds{P50: *p50, P99: *p99}, Timeout: *timeout}
	if *categories != "" {
		for _, c := range strings.Split(*categories, ",") {
			opts.Categories = append(opts.Categories, qa.Category(strings.TrimSpace(c)))
		}
	}
	var ts []qa.Target
	for _, u := range targets {
		ts = append(ts, qa.Target{URL: u})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := qa.Run(ctx, ts, opts)
	if err != nil {
		fmt.Fprintln(stderr, "qa:", err)
		return 2
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "qa:", err)
			return 2
		}
		defer f.Close()
		w = f
	}
	switch *format {
	case "json":
		err = rep.WriteJSON(w)
	case "html":
		err = rep.WriteHTML(w)
	case "text":
		err = rep.WriteText(w)
	default:
		fmt.Fprintf(stderr, "qa: unknown -format %q (text, json or html)\n", *format)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "qa:", err)
		return 2
	}
	if *out != "" {
		fmt.Fprintln(stdout, rep.Summary())
	}
	return rep.ExitCode()
}
