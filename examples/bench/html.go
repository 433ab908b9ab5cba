package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/bench/benchplot"
)

// report is everything an HTML report can show.
type report struct {
	Series  []Series
	Peers   []bench.Line
	Compare *bench.RegressionReport
}

type chart struct {
	Title string
	Src   template.URL // data: URL of the SVG
	Err   string
}

type card struct{ Label, Value, Note string }

type peerDomain struct {
	Name   string
	Chart  chart
	Impls  []string
	Rows   []peerRowView
	Checks []bench.Line
}

type peerRowView struct {
	Workload, Metric string
	Higher           bool
	Cells            []peerCell
}

type peerCell struct {
	Value, Adv string
	Better     bool // the peer beat arsenal here
	Arsenal    bool
}

type view struct {
	Generated string
	Machine   string
	Cards     []card
	Series    []Series
	Charts    []chart
	Peers     []peerDomain
	Compare   *bench.RegressionReport
	CmpChart  *chart
}

func makeChart(title string, f func() ([]byte, error)) chart {
	b, err := f()
	if err != nil {
		return chart{Title: title, Err: err.Error()}
	}
	return chart{Title: title, Src: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(b))}
}

// writeHTML renders the report to path.
func writeHTML(path string, r report) error {
	v := view{
		Generated: time.Now().Format("2006-01-02 15:04 MST"),
		Machine:   fmt.Sprintf("%d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version()),
		Series:    r.Series,
		Compare:   r.Compare,
	}
	var ok []Series
	for _, s := range r.Series {
		if len(s.Result.Levels) > 0 {
			ok = append(ok, s)
		}
	}
	for _, s := range ok {
		serial, best := s.Result.Serial(), s.Result.Best()
		v.Cards = append(v.Cards,
			card{Label: s.Label, Value: fmt.Sprintf("%s ops/s", human(best.OpsPerSec)), Note: fmt.Sprintf("best, at %d callers", best.Concurrency)},
			card{Label: s.Label + " serial", Value: fmt.Sprintf("%s ops/s", human(serial.OpsPerSec)), Note: fmt.Sprintf("p50 %v · p99 %v", round(serial.Latency.P50), round(serial.Latency.P99))},
			card{Label: s.Label + " scaling", Value: fmt.Sprintf("%.1fx", best.Speedup), Note: fmt.Sprintf("speedup at %d callers (%.0f%% efficient)", best.Concurrency, best.Efficiency*100)},
		)
	}
	if len(ok) > 0 {
		v.Charts = append(v.Charts,
			makeChart("Throughput", func() ([]byte, error) { return throughputChart(ok) }),
			makeChart("Latency", func() ([]byte, error) { return latencyChart(ok) }),
			makeChart("Scaling", func() ([]byte, error) { return efficiencyChart(ok) }),
		)
	}
	v.Peers = peerDomains(r.Peers)
	if r.Compare != nil {
		c := makeChart("Benchmark changes", func() ([]byte, error) { return compareChart(r.Compare) })
		v.CmpChart = &c
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func peerDomains(lines []bench.Line) []peerDomain {
	var order []string
	byDomain := map[string][]bench.Line{}
	for _, l := range lines {
		if _, ok := byDomain[l.Domain]; !ok {
			order = append(order, l.Domain)
		}
		byDomain[l.Domain] = append(byDomain[l.Domain], l)
	}
	var out []peerDomain
	for _, d := range order {
		ls := byDomain[d]
		t := bench.Tabulate(ls)
		pd := peerDomain{Name: d, Impls: t.Impls, Checks: t.Checks}
		pd.Chart = makeChart(d, func() ([]byte, error) { return peersChart(d, t) })
		for _, r := range t.Rows {
			rv := peerRowView{Workload: r.Workload, Metric: r.Metric, Higher: r.Higher}
			for _, impl := range t.Impls {
				val, ok := r.Values[impl]
				cell := peerCell{Arsenal: impl == bench.ArsenalImpl}
				if ok {
					cell.Value = human(val)
					if adv := r.Advantage(impl); !cell.Arsenal && !math.IsNaN(adv) {
						cell.Adv = benchplot.Ratio(adv)
						cell.Better = adv < 1
					}
				} else {
					cell.Value = "–"
				}
				rv.Cells = append(rv.Cells, cell)
			}
			pd.Rows = append(pd.Rows, rv)
		}
		out = append(out, pd)
	}
	return out
}

// human formats a number with three or four significant digits and a k/M
// suffix for large values.
func human(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a == 0:
		return "0"
	}
	return fmt.Sprintf("%.3g", v)
}

var funcs = template.FuncMap{
	"dur":  func(d time.Duration) string { return round(d).String() },
	"pct":  func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"ops":  human,
	"f1":   func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"f2":   func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"mib":  mib,
	"sdur": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"delta": func(c bench.Change) string {
		return fmt.Sprintf("%+.2f%%", c.Delta*100)
	},
	"scale": func(v float64, unit string) string { return fmt.Sprintf("%.4g %s", v, unit) },
	"verdictClass": func(v bench.Verdict) string {
		switch v {
		case bench.Regression:
			return "bad"
		case bench.Improvement:
			return "good"
		}
		return "muted"
	},
}

var page = template.Must(template.New("report").Funcs(funcs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Arsenal benchmark report</title>
<style>
:root { --fg:#1d2330; --muted:#6b7280; --line:#e5e7eb; --bg:#f7f8fa; --card:#fff; --good:#047857; --bad:#b45309; --accent:#0072B2; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { background:linear-gradient(120deg,#0b3d63,#0072B2); color:#fff; padding:28px 40px 24px; }
header h1 { margin:0 0 4px; font-size:26px; font-weight:650; letter-spacing:-.01em; }
header p { margin:0; opacity:.85; }
main { max-width:1180px; margin:0 auto; padding:24px 40px 60px; }
h2 { font-size:19px; margin:36px 0 12px; padding-bottom:6px; border-bottom:2px solid var(--line); }
h3 { font-size:16px; margin:22px 0 8px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(240px,1fr)); gap:14px; margin-top:8px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; box-shadow:0 1px 2px rgba(0,0,0,.04); }
.card .label { color:var(--muted); font-size:13px; }
.card .value { font-size:26px; font-weight:650; color:var(--accent); margin:2px 0; font-variant-numeric:tabular-nums; }
.card .note { color:var(--muted); font-size:13px; }
.chart { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px; margin:14px 0; text-align:center; }
.chart img { max-width:100%; height:auto; }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:14px; }
@media (max-width: 1000px) { .grid2 { grid-template-columns:1fr; } }
table { border-collapse:collapse; width:100%; background:var(--card); border:1px solid var(--line); border-radius:10px; overflow:hidden; font-variant-numeric:tabular-nums; }
th, td { padding:7px 10px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
th { background:#f1f3f6; font-weight:600; font-size:13px; color:#374151; }
td.l, th.l { text-align:left; white-space:normal; }
tr:last-child td { border-bottom:none; }
.good { color:var(--good); font-weight:600; }
.bad { color:var(--bad); font-weight:600; }
.muted { color:var(--muted); }
.adv { font-size:12px; margin-left:4px; }
.pill { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; }
.pill.pass { background:#d1fae5; color:#065f46; } .pill.fail { background:#fee2e2; color:#991b1b; }
.err { background:#fff7ed; border:1px solid #fed7aa; border-radius:8px; padding:10px 14px; color:#9a3412; }
footer { color:var(--muted); font-size:13px; margin-top:40px; }
</style></head>
<body>
<header><h1>Arsenal benchmark report</h1><p>Generated {{.Generated}} on {{.Machine}}</p></header>
<main>
{{with .Cards}}<section class="cards">{{range .}}<div class="card"><div class="label">{{.Label}}</div><div class="value">{{.Value}}</div><div class="note">{{.Note}}</div></div>{{end}}</section>{{end}}

{{range .Series}}{{if .Err}}<p class="err"><b>{{.Target}}</b> ({{.Workload}}): {{.Err}}</p>{{end}}{{end}}

{{if .Charts}}
<h2>Throughput and latency</h2>
{{with index .Charts 0}}<div class="chart">{{if .Err}}<p class="err">{{.Err}}</p>{{else}}<img alt="{{.Title}}" src="{{.Src}}">{{end}}</div>{{end}}
<div class="grid2">
{{with index .Charts 1}}<div class="chart">{{if .Err}}<p class="err">{{.Err}}</p>{{else}}<img alt="{{.Title}}" src="{{.Src}}">{{end}}</div>{{end}}
{{with index .Charts 2}}<div class="chart">{{if .Err}}<p class="err">{{.Err}}</p>{{else}}<img alt="{{.Title}}" src="{{.Src}}">{{end}}</div>{{end}}
</div>
<h2>Every level</h2>
{{range .Series}}{{if .Result.Levels}}
<h3>{{.Label}} <span class="muted">— {{.Target}}, {{.Size}}-byte payloads</span></h3>
<table><tr><th>callers</th><th>ops/s</th><th>p50</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>allocs/op</th><th>B/op</th><th>speedup</th><th>efficiency</th><th>errors</th><th>CPU cores</th><th>RSS peak</th></tr>
{{range .Result.Levels}}<tr><td>{{.Concurrency}}</td><td><b>{{ops .OpsPerSec}}</b></td><td>{{dur .Latency.P50}}</td><td>{{dur .Latency.P95}}</td><td>{{dur .Latency.P99}}</td><td>{{dur .P999}}</td><td>{{dur .Latency.Max}}</td><td>{{f1 .AllocsPerOp}}</td><td>{{ops .BytesPerOp}}</td><td>{{f2 .Speedup}}x</td><td>{{pct .Efficiency}}</td><td{{if .Errors}} class="bad"{{end}}>{{.Errors}}</td><td>{{f2 .Resources.CPUCores}}</td><td>{{mib .Resources.RSSPeak}}</td></tr>
{{end}}</table>
{{with .Result.Resources}}<p class="muted">Whole run: {{sdur .Wall}}, CPU user {{sdur .CPUUser}} / sys {{sdur .CPUSys}} ({{f2 .CPUCores}} cores), RSS peak {{mib .RSSPeak}}, Go heap peak {{mib .HeapPeak}}, up to {{.GoroutinesPeak}} goroutines, {{.GCCycles}} GC cycles with {{dur .GCPauseTotal}} of pauses (longest ≤ {{dur .GCPauseMax}}).</p>{{end}}
{{end}}{{end}}
{{end}}

{{if .Peers}}
<h2>Side by side with peers</h2>
<p class="muted">Measured by <code>cd benchmarks &amp;&amp; go run ./cmd/peers</code>. The small figure after a peer's value is Arsenal's advantage over it: above 1x Arsenal did better (more throughput, less latency); <span class="bad">orange</span> marks where the peer did better.</p>
{{range .Peers}}
<h3>{{.Name}}</h3>
<div class="chart">{{if .Chart.Err}}<p class="muted">{{.Chart.Err}}</p>{{else}}<img alt="{{.Name}}" src="{{.Chart.Src}}">{{end}}</div>
{{if .Rows}}<table><tr><th class="l">workload</th><th class="l">metric</th>{{range .Impls}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td class="l">{{.Workload}}</td><td class="l">{{.Metric}} {{if .Higher}}↑{{else}}↓{{end}}</td>{{range .Cells}}<td>{{if .Arsenal}}<b>{{.Value}}</b>{{else}}{{.Value}}{{if .Adv}}<span class="adv {{if .Better}}bad{{else}}good{{end}}">{{.Adv}}</span>{{end}}{{end}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Checks}}<h3>{{.Name}}: target checks</h3><table><tr><th class="l">check</th><th>result</th><th>measured</th></tr>
{{range .Checks}}<tr><td class="l">{{.Check}}</td><td>{{if .Pass}}<span class="pill pass">pass</span>{{else}}<span class="pill fail">fail</span>{{end}}</td><td>{{.Detail}}</td></tr>{{end}}</table>{{end}}
{{end}}
{{end}}

{{with .Compare}}
<h2>Regression check: {{.Old}} → {{.New}}</h2>
<p>{{len .Regressions}} regression(s), {{len .Improvements}} improvement(s) — Mann-Whitney U test at alpha {{.Alpha}}, changes under {{pct .MinEffect}} count as unchanged.</p>
{{with $.CmpChart}}<div class="chart">{{if .Err}}<p class="muted">{{.Err}}</p>{{else}}<img alt="{{.Title}}" src="{{.Src}}">{{end}}</div>{{end}}
<table><tr><th class="l">benchmark</th><th class="l">unit</th><th>old</th><th>new</th><th>change</th><th>p</th><th>n</th><th class="l">verdict</th></tr>
{{range .Changes}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Unit}}</td><td>{{scale .Old ""}}</td><td>{{scale .New ""}}</td><td class="{{verdictClass .Verdict}}">{{delta .}}</td><td>{{printf "%.3f" .P}}</td><td>{{.OldN}}+{{.NewN}}</td><td class="l {{verdictClass .Verdict}}">{{.Verdict}}{{range .Warnings}}<br><span class="muted">{{.}}</span>{{end}}</td></tr>
{{end}}</table>
{{range .Warnings}}<p class="muted">warning: {{.}}</p>{{end}}
{{end}}
<footer>Arsenal · examples/bench · charts drawn with gonum/plot</footer>
</main></body></html>
`))
