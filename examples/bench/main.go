// Command bench measures Arsenal components and reports on the numbers.
//
//	bench run -url redis://127.0.0.1:6379 -workload get [-c 1,4,16,64] [-d 2s] [-html report.html]
//	bench run -url sqlite::memory: -url 'sqlite:/tmp/x.db?mode=rwc' -workload select -html report.html
//	bench compare bench/baselines/bench.txt new.txt [-html compare.html]
//	bench report -results run.json [-peers benchmarks/results/all.jsonl] -html report.html
//	bench workloads
//
// run opens each -url with arsenal.Open (sqlite:, file:, redis://,
// rediss://, ws://, wss://, s3:// are registered by the imported domain
// packages), measures the workload serially and at each concurrency level
// with a progress bar, prints a table, and can write an HTML report with
// charts (throughput by concurrency, latency percentiles, scaling
// efficiency, and — with -peers — the side-by-side comparisons from
// benchmarks). Several -url flags are measured one after the other and
// shown side by side.
//
// compare reads two `go test -bench` outputs and reports regressions,
// improvements and unchanged benchmarks (Mann-Whitney U, alpha 0.05, 5%
// minimum effect); it exits 1 when it finds a regression.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  bench run -url URL [-url URL2 ...] -workload NAME [-c 1,4,16,64] [-d 2s | -n COUNT] [-html FILE] [-json FILE] [-peers FILE]
  bench compare OLD.txt NEW.txt [-alpha 0.05] [-min-effect 0.05] [-html FILE]
  bench report -results RUN.json [-peers all.jsonl] -html FILE
  bench workloads
`

// run is the CLI; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "compare":
		err = cmdCompare(args[1:], stdout, stderr)
	case "report":
		err = cmdReport(args[1:], stdout, stderr)
	case "workloads":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "workload\tcomponents\twhat it measures")
		for _, w := range workloads {
			kinds := "any"
			if len(w.Kinds) > 0 {
				kinds = strings.Join(w.Kinds, ", ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", w.Name, kinds, w.About)
		}
		err = tw.Flush()
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "bench: unknown command %q\n%s", args[0], usage)
		return 2
	}
	var flagErr usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &flagErr):
		fmt.Fprintf(stderr, "bench: %v\n%s", err, usage)
		return 2
	case errors.Is(err, errRegressions):
		return 1
	default:
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

var errRegressions = errors.New("regressions found")

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, usageError{fmt.Sprintf("-c: %q is not a positive integer", f)}
		}
		out = append(out, n)
	}
	return out, nil
}

// Series is one measured (URL, workload) pair, as the report shows it.
type Series struct {
	Label    string       `json:"label"`  // short name shown in charts
	Target   string       `json:"target"` // the URL, secrets redacted
	Kind     string       `json:"kind"`
	Workload string       `json:"workload"`
	Size     int          `json:"size"`
	Result   bench.Result `json:"result"`
	Err      string       `json:"error,omitempty"`
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var urls stringList
	fs.Var(&urls, "url", "component URL (repeat to compare several side by side)")
	wl := fs.String("workload", "health", "workload to run (see `bench workloads`)")
	levels := fs.String("c", "1,4,16,64", "concurrency levels (1 is always measured first)")
	dur := fs.Duration("d", 2*time.Second, "measuring time per level")
	count := fs.Int("n", 0, "calls per level instead of -d")
	warm := fs.Duration("warmup", 200*time.Millisecond, "warm-up per level")
	size := fs.Int("size", 64, "payload bytes for workloads that write or read values")
	htmlOut := fs.String("html", "", "write an HTML report with charts to this file")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	peers := fs.String("peers", "", "benchmarks JSON lines to show side by side in the HTML report")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if len(urls) == 0 {
		return usageError{"run needs at least one -url"}
	}
	lv, err := parseLevels(*levels)
	if err != nil {
		return err
	}
	if *size < 0 || *size > 64<<20 {
		return usageError{"-size must be between 0 and 64 MiB"}
	}
	cfg := bench.Config{Levels: lv, Duration: *dur, Count: *count, Warmup: *warm}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var all []Series
	for _, u := range urls {
		s := measure(ctx, u, *wl, *size, cfg, *quiet, stderr)
		all = append(all, s)
		if ctx.Err() != nil {
			break
		}
	}
	printTable(stdout, all)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(all, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		var lines []bench.Line
		if *peers != "" {
			if lines, err = readPeers(*peers); err != nil {
				return err
			}
		}
		if err := writeHTML(*htmlOut, report{Series: all, Peers: lines}); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "wrote", *htmlOut)
	}
	for _, s := range all {
		if s.Err != "" {
			return fmt.Errorf("%s: %s", s.Target, s.Err)
		}
	}
	return ctx.Err()
}

// measure opens one URL, prepares the workload and runs it.
func measure(ctx context.Context, rawURL, wlName string, size int, cfg bench.Config, quiet bool, stderr io.Writer) Series {
	s := Series{Target: arsenal.RedactURL(rawURL), Workload: wlName, Size: size}
	c, err := arsenal.Open(ctx, rawURL)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	defer c.Close()
	s.Kind = c.Kind()
	s.Label = s.Kind + " " + wlName
	w, err := findWorkload(wlName, c)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	fn, err := w.Prepare(ctx, c, size)
	if err != nil {
		s.Err = "prepare: " + err.Error()
		return s
	}
	var bar *progressbar.ProgressBar
	if !quiet {
		cfg.Progress = progressTo(stderr, &bar, s.Label)
	}
	res, err := bench.Run(ctx, s.Label, cfg, fn)
	if bar != nil {
		_ = bar.Finish()
	}
	s.Result = res
	if err != nil {
		s.Err = err.Error()
	}
	return s
}

// progressTo returns a Progress callback drawing one bar per level: a
// spinner while warming up, then a bar over the calls (-n) or the time (-d).
func progressTo(w io.Writer, bar **progressbar.ProgressBar, label string) func(bench.Progress) {
	type state struct {
		level  int
		warmup bool
	}
	cur := state{level: -1}
	return func(p bench.Progress) {
		desc := fmt.Sprintf("%s  %2d callers (%d/%d)", label, p.Concurrency, p.Level+1, p.Levels)
		if st := (state{p.Level, p.Warmup}); st != cur || *bar == nil {
			if *bar != nil {
				_ = (*bar).Finish()
			}
			cur = st
			max := int64(-1) // spinner while warming up
			if !p.Warmup {
				max = int64(p.Total)
				if max == 0 {
					max = p.Planned.Milliseconds()
				}
			}
			opts := []progressbar.Option{
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(desc),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100 * time.Millisecond),
				progressbar.OptionClearOnFinish(),
			}
			if p.Warmup {
				opts = append(opts, progressbar.OptionSetDescription(desc+" warming up"))
			}
			*bar = progressbar.NewOptions64(max, opts...)
		}
		if p.Warmup {
			_ = (*bar).Add(1)
			return
		}
		(*bar).Describe(fmt.Sprintf("%s  %s calls", desc, human(float64(p.Done))))
		if p.Total > 0 {
			_ = (*bar).Set64(int64(p.Done))
		} else {
			_ = (*bar).Set64(min(p.Elapsed.Milliseconds(), p.Planned.Milliseconds()))
		}
		if p.Finished {
			_ = (*bar).Finish()
			fmt.Fprintf(w, "%s  %s ops/s\n", desc, human(float64(p.Done)/p.Elapsed.Seconds()))
		}
	}
}

// printTable writes each series' levels as an aligned table.
func printTable(w io.Writer, all []Series) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tworkload\tcallers\tops/s\tp50\tp95\tp99\tp99.9\tallocs/op\tspeedup\tefficiency\terrors\t")
	for _, s := range all {
		if s.Err != "" && len(s.Result.Levels) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t\t\t\t\tfailed: %s\t\n", s.Target, s.Workload, s.Err)
			continue
		}
		for _, l := range s.Result.Levels {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%v\t%v\t%v\t%v\t%.1f\t%.2fx\t%.0f%%\t%d\t\n", s.Target, s.Workload, l.Concurrency, l.OpsPerSec,
				round(l.Latency.P50), round(l.Latency.P95), round(l.Latency.P99), round(l.P999), l.AllocsPerOp, l.Speedup, l.Efficiency*100, l.Errors)
		}
	}
	_ = tw.Flush()
	for _, s := range all {
		r := s.Result.Resources
		if r.Wall > 0 {
			fmt.Fprintf(w, "%s: CPU %.2f cores (user %v, sys %v), RSS peak %s, heap peak %s, %d GC cycles (%v paused)\n",
				s.Target, r.CPUCores, r.CPUUser.Round(time.Millisecond), r.CPUSys.Round(time.Millisecond),
				mib(r.RSSPeak), mib(r.HeapPeak), r.GCCycles, r.GCPauseTotal.Round(time.Microsecond))
		}
		for _, l := range s.Result.Levels {
			if l.FirstError != "" {
				fmt.Fprintf(w, "%s at %d callers: first error: %s\n", s.Target, l.Concurrency, l.FirstError)
			}
		}
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func cmdCompare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	alpha := fs.Float64("alpha", bench.DefaultAlpha, "significance level of the Mann-Whitney U test")
	minEffect := fs.Float64("min-effect", bench.DefaultMinEffect, "smallest relative change reported as a regression or improvement")
	htmlOut := fs.String("html", "", "also write the comparison as an HTML report")
	// Accept flags before or after the two files.
	var files []string
	rest := args
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return usageError{err.Error()}
		}
		rest = fs.Args()
		if len(rest) > 0 {
			files = append(files, rest[0])
			rest = rest[1:]
		}
	}
	if len(files) != 2 {
		return usageError{"compare needs two benchmark files: OLD NEW"}
	}
	old, err := bench.ReadBenchmarksFile(files[0])
	if err != nil {
		return err
	}
	nw, err := bench.ReadBenchmarksFile(files[1])
	if err != nil {
		return err
	}
	rep := bench.CompareBenchmarks(old, nw, bench.RegressionConfig{Alpha: *alpha, MinEffect: *minEffect})
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if *htmlOut != "" {
		if err := writeHTML(*htmlOut, report{Compare: &rep}); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "wrote", *htmlOut)
	}
	if len(rep.Regressions()) > 0 {
		return errRegressions
	}
	return nil
}

func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	results := fs.String("results", "", "JSON written by `bench run -json`")
	peers := fs.String("peers", "", "benchmarks JSON lines (results/all.jsonl)")
	htmlOut := fs.String("html", "report.html", "the HTML file to write")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *results == "" && *peers == "" {
		return usageError{"report needs -results, -peers or both"}
	}
	var rep report
	if *results != "" {
		b, err := os.ReadFile(*results)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &rep.Series); err != nil {
			return arsenal.E(arsenal.InvalidArgument, "bench", "report", fmt.Errorf("%s: %w", *results, err))
		}
	}
	if *peers != "" {
		lines, err := readPeers(*peers)
		if err != nil {
			return err
		}
		rep.Peers = lines
	}
	if err := writeHTML(*htmlOut, rep); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", *htmlOut)
	return nil
}

func readPeers(path string) ([]bench.Line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return bench.ReadLines(f)
}
