package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/bench/benchplot"
)

const arsenalImpl = bench.ArsenalImpl

// writeMarkdown regenerates BENCHMARKS.md.
func writeMarkdown(path, resultsDir string, rep *Report) error {
	rel := func(p string) string {
		absOut, err1 := filepath.Abs(filepath.Dir(path))
		absP, err2 := filepath.Abs(p)
		if err1 != nil || err2 != nil {
			return p
		}
		r, err := filepath.Rel(absOut, absP)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# Benchmarks\n\n")
	p("Arsenal side by side with the raw drivers it builds on, other Go clients, Bun, and the practical\n")
	p("limit of each server, measured in one run on one machine. Every ratio compares figures measured\n")
	p("in the same run (interleaved where the domain program can), so machine drift largely cancels.\n\n")
	p("This file is generated; do not edit it. Regenerate it with:\n\n    %s\n\n", rep.Command)
	if rep.Quick {
		p("> **Quick run** (`-quick`): short measurements for development, noisier than a full run.\n\n")
	}
	p("- Date: %s (took %s)\n", rep.Started.UTC().Format("2006-01-02 15:04 MST"), rep.Finished.Sub(rep.Started).Round(time.Second))
	m := rep.Machine
	p("- Machine: %s, %d logical CPUs, %s memory\n", m.CPU, m.Cores, m.Memory)
	if rep.LoadStart != "" || rep.LoadEnd != "" {
		p("- Load average (1, 5, 15 min): %s at the start, %s at the end\n", orUnknown(rep.LoadStart), orUnknown(rep.LoadEnd))
	}
	p("- OS: %s (%s)\n", m.OS, m.Arch)
	p("- Go: %s; Bun: %s\n", m.Go, m.Bun)
	for _, s := range rep.Servers {
		p("- Server: %s\n", s)
	}
	for _, n := range rep.Notes {
		p("- Note: %s\n", n)
	}
	for _, s := range rep.Skipped {
		p("- Not found: no program for domain %q in benchmarks\n", s)
	}
	p("\n## Summary\n\n")
	p("| domain | status | workloads | measurements | target checks passed | time |\n|---|---|---|---|---|---|\n")
	for _, d := range rep.Domains {
		t := bench.Tabulate(d.Lines)
		status := "ok"
		if d.Err != nil {
			status = "**failed**"
		}
		pass := 0
		for _, c := range t.Checks {
			if c.Pass {
				pass++
			}
		}
		p("| [%s](#%s) | %s | %d | %d | %d of %d | %s |\n", d.Name, d.Name, status, countWorkloads(t), d.Reported, pass, len(t.Checks), d.Elapsed.Round(time.Second))
	}
	for _, name := range rep.Missing {
		p("| %s | **not run**: no program in benchmarks/%s yet | – | – | – | – |\n", name, name)
	}
	p("\nIn the tables, the figure in parentheses after a peer's value is **Arsenal's advantage** over it:\n")
	p("above 1 means Arsenal did better (more throughput, or less latency), below 1 that the peer did.\n")
	p("`limit` is the practical limit of the server (such as redis-benchmark), `raw <driver>` the driver\n")
	p("Arsenal builds on, used directly.\n")

	for _, d := range rep.Domains {
		t := bench.Tabulate(d.Lines)
		p("\n## %s\n\n", d.Name)
		p("`cd benchmarks && %s` — %s, %d measurements", d.Command, d.Elapsed.Round(time.Second), d.Reported)
		p(" (raw: [%s](%s), log: [%s](%s))\n\n", filepath.Base(d.RawPath), rel(d.RawPath), filepath.Base(d.LogPath), rel(d.LogPath))
		if d.Err != nil {
			p("**Failed:** %s\n\n", oneLine(d.Err.Error()))
			if d.LogTail != "" {
				p("<details><summary>last lines of its output</summary>\n\n```\n%s\n```\n\n</details>\n\n", strings.TrimSpace(d.LogTail))
			}
		}
		if d.Chart != "" {
			p("![%s: Arsenal's advantage per workload](%s)\n\n", d.Name, rel(filepath.Join(resultsDir, d.Chart)))
		}
		if len(t.Checks) > 0 {
			p("### Target checks\n\n| check | result | measured |\n|---|---|---|\n")
			for _, c := range t.Checks {
				res := "✅ pass"
				if !c.Pass {
					res = "❌ fail"
				}
				p("| %s | %s | %s |\n", cell(c.Check), res, cell(c.Detail))
			}
			p("\n")
		}
		main, other := splitRows(t)
		if len(main.Rows) > 0 {
			t := main
			p("### Measurements\n\n| workload | metric |")
			for _, impl := range t.Impls {
				p(" %s |", cell(impl))
			}
			p("\n|---|---|")
			for range t.Impls {
				p("---:|")
			}
			p("\n")
			for _, r := range t.Rows {
				arrow := "↓"
				if r.Higher {
					arrow = "↑"
				}
				p("| %s | %s %s |", cell(r.Workload), cell(r.Metric), arrow)
				for _, impl := range t.Impls {
					v, ok := r.Values[impl]
					switch {
					case !ok:
						p(" – |")
					case impl == arsenalImpl:
						p(" **%s** |", fmtValue(v))
					default:
						if adv := r.Advantage(impl); !math.IsNaN(adv) {
							p(" %s (%s) |", fmtValue(v), benchplot.Ratio(adv))
						} else {
							p(" %s |", fmtValue(v))
						}
					}
				}
				p("\n")
			}
			p("\n↑ higher is better, ↓ lower is better.\n")
		}
		if len(other.Rows) > 0 {
			p("\n### Other measurements\n\nWorkloads without a plain `arsenal` figure; the ratio compares each value with the first in its row (above 1: better than the first).\n\n")
			p("| workload | metric | figures |\n|---|---|---|\n")
			for _, r := range other.Rows {
				arrow := "↓"
				if r.Higher {
					arrow = "↑"
				}
				var cells []string
				var first float64
				for _, impl := range other.Impls {
					v, ok := r.Values[impl]
					if !ok {
						continue
					}
					c := cell(impl) + " " + fmtValue(v)
					if len(cells) == 0 {
						first = v
					} else if first > 0 && v > 0 {
						ratio := v / first
						if !r.Higher {
							ratio = first / v
						}
						c += " (" + benchplot.Ratio(ratio) + ")"
					}
					cells = append(cells, c)
				}
				p("| %s | %s %s | %s |\n", cell(r.Workload), cell(r.Metric), arrow, strings.Join(cells, " · "))
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// splitRows separates the rows with an arsenal figure (shown against it)
// from the rest, each with only the implementations it uses.
func splitRows(t bench.Table) (main, other bench.Table) {
	for _, r := range t.Rows {
		if _, ok := r.Values[arsenalImpl]; ok {
			main.Rows = append(main.Rows, r)
		} else {
			other.Rows = append(other.Rows, r)
		}
	}
	for _, impl := range t.Impls {
		for _, part := range []*bench.Table{&main, &other} {
			for _, r := range part.Rows {
				if _, ok := r.Values[impl]; ok {
					part.Impls = append(part.Impls, impl)
					break
				}
			}
		}
	}
	return main, other
}

func countWorkloads(t bench.Table) int {
	seen := map[string]bool{}
	for _, r := range t.Rows {
		seen[r.Workload] = true
	}
	return len(seen)
}

// cell escapes text for a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// fmtValue formats a measurement with three or four significant digits and
// a k/M suffix for large values.
func fmtValue(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.1:
		return fmt.Sprintf("%.3f", v)
	case a == 0:
		return "0"
	}
	return fmt.Sprintf("%.3g", v)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
