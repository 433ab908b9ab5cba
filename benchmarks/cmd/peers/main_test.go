package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/bench"
)

func TestFindDomainsListsMainPackagesOnly(t *testing.T) {
	got, err := findDomains("testdata/domains")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"broken", "fake"}) {
		t.Errorf("domains = %v, want [broken fake]", got)
	}
}

// The runner runs every domain program, keeps going past a failure, and
// writes BENCHMARKS.md, the raw JSONL and the charts.
func TestRunnerRegeneratesTheReportAndRecordsFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles two programs with go run")
	}
	tmp := t.TempDir()
	o := options{
		quick: true, dir: "testdata/domains", out: filepath.Join(tmp, "BENCHMARKS.md"),
		results: filepath.Join(tmp, "benchmarks", "results"), timeout: 3 * time.Minute,
		commandLine: commandLine(true, ""),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Domains) != 2 || rep.Failed() != 1 {
		t.Fatalf("domains %d failed %d, want 2 and 1", len(rep.Domains), rep.Failed())
	}
	md, err := os.ReadFile(o.out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(md)
	for _, want := range []string{
		"cd benchmarks && go run ./cmd/peers -quick", // the exact command
		"Quick run",
		"- Machine: ",
		"- Load average (1, 5, 15 min): ", // a reader can tell a busy machine
		"- Go: go1.",
		"| [broken](#broken) | **failed** |",
		"| [fake](#fake) | ok | 3 | 9 | 2 of 3 |",
		"cannot reach the server", // the failure's log tail
		"exit status 3",           // and its exit status
		"| 64-caller GET >= 3x go-peer | ✅ pass | 4.0x |",
		"| 64-caller GET >= 3x bun | ❌ fail | 2.0x |",
		"| ran quick | ✅ pass |",
		"| workload | metric | arsenal | raw driver | go-peer | bun | limit |",
		"| GET, 64 callers | ops/s ↑ | **400.0k** | 420.0k (0.95x) | 100.0k (4.00x) | 200.0k (2.00x) | – |",
		"| GET, serial | p99 ms ↓ | **0.500** | – | 1.50 (3.00x) | – | 0.250 (0.50x) |",
		"| PUT 1 MiB | MB/s ↑ | **123** |", // lines printed before a failure are kept
		"| list 16000 objects | objects/s ↑ | arsenal sequential 1000 · arsenal parallel 2500 (2.50x) |",
		"| sqlite | **not run**: no program in benchmarks/sqlite yet |",
		"![fake: Arsenal's advantage per workload](benchmarks/results/fake.svg)",
		"[fake.jsonl](benchmarks/results/fake.jsonl)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	if strings.Contains(text, "stray human line") {
		t.Errorf("BENCHMARKS.md contains stray stdout")
	}
	svg, err := os.ReadFile(filepath.Join(o.results, "fake.svg"))
	if err != nil || !strings.Contains(string(svg), "<svg") {
		t.Errorf("fake.svg: %v (%d bytes)", err, len(svg))
	}
	f, err := os.Open(filepath.Join(o.results, "all.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := bench.ReadLines(f)
	if err != nil || len(lines) != 13 {
		t.Errorf("all.jsonl: %d lines, err %v; want 13", len(lines), err)
	}
	raw, err := os.ReadFile(filepath.Join(o.results, "fake.jsonl"))
	if err != nil || !strings.Contains(string(raw), "stray human line") {
		t.Errorf("fake.jsonl should keep the program's stdout verbatim: %v", err)
	}
}

func TestRunnerReportsDomainsThatDoNotExist(t *testing.T) {
	tmp := t.TempDir()
	o := options{dir: "testdata/domains", only: []string{"nosuch"}, out: filepath.Join(tmp, "B.md"), results: filepath.Join(tmp, "r"), timeout: time.Minute}
	rep, err := run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(o.out)
	if len(rep.Domains) != 0 || !strings.Contains(string(md), `no program for domain "nosuch"`) {
		t.Errorf("domains %d; report:\n%s", len(rep.Domains), md)
	}
}

func TestTabulateTakesTheMedianOfRepeatedFigures(t *testing.T) {
	tab := bench.Tabulate([]bench.Line{
		{Domain: "d", Workload: "w", Impl: "peer", Metric: "ops/s", Value: 10},
		{Domain: "d", Workload: "w", Impl: "arsenal", Metric: "ops/s", Value: 30},
		{Domain: "d", Workload: "w", Impl: "arsenal", Metric: "ops/s", Value: 20},
		{Domain: "d", Workload: "w", Impl: "arsenal", Metric: "ops/s", Value: 40},
	})
	if !slices.Equal(tab.Impls, []string{"arsenal", "peer"}) || len(tab.Rows) != 1 {
		t.Fatalf("table = %+v", tab)
	}
	if r := tab.Rows[0]; r.Values["arsenal"] != 30 || r.Advantage("peer") != 3 {
		t.Errorf("row = %+v, advantage %v; want median 30 and 3x", r, r.Advantage("peer"))
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		want string
	}{
		{"millions", 1234567, "1.23M"},
		{"thousands", 412345.6, "412.3k"},
		{"hundreds", 123.4, "123"},
		{"units", 1.5, "1.50"},
		{"fractions", 0.01234, "0.0123"},
		{"zero", 0, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmtValue(tt.v); got != tt.want {
				t.Errorf("fmtValue(%v) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}
