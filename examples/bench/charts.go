package main

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/infra-arsenal/arsenal/bench"
)

// palette is the Okabe-Ito colour-blind-safe palette.
var palette = []color.Color{
	color.RGBA{0x00, 0x72, 0xB2, 0xff},
	color.RGBA{0xE6, 0x9F, 0x00, 0xff},
	color.RGBA{0x00, 0x9E, 0x73, 0xff},
	color.RGBA{0xCC, 0x79, 0xA7, 0xff},
	color.RGBA{0x56, 0xB4, 0xE9, 0xff},
	color.RGBA{0xD5, 0x5E, 0x00, 0xff},
	color.RGBA{0x99, 0x99, 0x99, 0xff},
}

var (
	red   = color.RGBA{0xD5, 0x5E, 0x00, 0xff}
	green = color.RGBA{0x00, 0x9E, 0x73, 0xff}
	grey  = color.RGBA{0xAA, 0xAA, 0xAA, 0xff}
)

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Add(plotter.NewGrid())
	return p
}

// svg renders p as SVG bytes.
func svg(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// levelTicks labels a log2 concurrency axis with the measured levels.
func levelTicks(series []Series) plot.ConstantTicks {
	var levels []int
	for _, s := range series {
		for _, l := range s.Result.Levels {
			if !slices.Contains(levels, l.Concurrency) {
				levels = append(levels, l.Concurrency)
			}
		}
	}
	slices.Sort(levels)
	var t plot.ConstantTicks
	for _, l := range levels {
		t = append(t, plot.Tick{Value: math.Log2(float64(l)), Label: fmt.Sprint(l)})
	}
	return t
}

// throughputChart plots ops/s against concurrency, one line per series.
func throughputChart(series []Series) ([]byte, error) {
	p := newPlot("Throughput by concurrency", "concurrent callers (log scale)", "calls per second")
	p.X.Tick.Marker = levelTicks(series)
	p.Y.Min = 0
	for i, s := range series {
		var pts plotter.XYs
		for _, l := range s.Result.Levels {
			pts = append(pts, plotter.XY{X: math.Log2(float64(l.Concurrency)), Y: l.OpsPerSec})
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		c := palette[i%len(palette)]
		line.Color, line.Width = c, vg.Points(2)
		points.Color, points.Shape, points.Radius = c, draw.CircleGlyph{}, vg.Points(3.5)
		p.Add(line, points)
		p.Legend.Add(s.Label+" — "+s.Target, line, points)
	}
	p.Legend.Left = true
	return svg(p, 7.5*vg.Inch, 4*vg.Inch)
}

// latencyChart plots p50 (solid) and p99 (dashed) against concurrency on a
// log scale.
func latencyChart(series []Series) ([]byte, error) {
	p := newPlot("Latency percentiles by concurrency (solid p50, dashed p99)", "concurrent callers (log scale)", "latency, ms (log scale)")
	p.X.Tick.Marker = levelTicks(series)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	for i, s := range series {
		c := palette[i%len(palette)]
		for _, pc := range []struct {
			name   string
			get    func(bench.Level) float64
			dashed bool
		}{
			{"p50", func(l bench.Level) float64 { return l.Latency.P50.Seconds() * 1e3 }, false},
			{"p99", func(l bench.Level) float64 { return l.Latency.P99.Seconds() * 1e3 }, true},
		} {
			var pts plotter.XYs
			for _, l := range s.Result.Levels {
				if v := pc.get(l); v > 0 {
					pts = append(pts, plotter.XY{X: math.Log2(float64(l.Concurrency)), Y: v})
				}
			}
			if len(pts) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			line.Color, line.Width = c, vg.Points(2)
			if pc.dashed {
				line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			points.Color, points.Shape, points.Radius = c, draw.CircleGlyph{}, vg.Points(3)
			p.Add(line, points)
			p.Legend.Add(s.Label+" "+pc.name, line)
		}
	}
	p.Legend.Left = true
	return svg(p, 7.5*vg.Inch, 4*vg.Inch)
}

// efficiencyChart draws scaling efficiency (speedup / callers) per level as
// grouped bars; 100% is perfect scaling.
func efficiencyChart(series []Series) ([]byte, error) {
	p := newPlot("Scaling efficiency (speedup over serial ÷ callers)", "concurrent callers", "efficiency, %")
	ticks := levelTicks(series)
	var names []string
	for _, t := range ticks {
		names = append(names, t.Label)
	}
	w := vg.Points(min(40, 90/float64(max(1, len(series)))))
	for i, s := range series {
		vals := make(plotter.Values, len(names))
		for _, l := range s.Result.Levels {
			idx := slices.Index(names, fmt.Sprint(l.Concurrency))
			vals[idx] = l.Efficiency * 100
		}
		bc, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		bc.Color = palette[i%len(palette)]
		bc.LineStyle.Width = 0
		bc.Offset = vg.Length(float64(i)-float64(len(series)-1)/2) * w
		p.Add(bc)
		p.Legend.Add(s.Label, bc)
	}
	hundred, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 100}, {X: float64(len(names)) - 0.5, Y: 100}})
	if err == nil {
		hundred.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		hundred.Color = color.Gray{0x55}
		p.Add(hundred)
	}
	p.NominalX(names...)
	p.Y.Min = 0
	p.Legend.Left = false
	return svg(p, 7.5*vg.Inch, 3.6*vg.Inch)
}

// peerRow is one workload in one metric of a peers domain.
type peerRow struct {
	workload, metric string
	higher           bool
	values           map[string]float64
}

// peerTable groups a domain's measurement lines by workload and metric,
// keeping the median of repeated figures; impls come arsenal first.
func peerTable(lines []bench.Line) (impls []string, rows []peerRow) {
	idx := map[[2]string]int{}
	samples := map[[3]string][]float64{}
	for _, l := range lines {
		if l.IsCheck() {
			continue
		}
		if !slices.Contains(impls, l.Impl) {
			impls = append(impls, l.Impl)
		}
		k := [2]string{l.Workload, l.Metric}
		if _, ok := idx[k]; !ok {
			idx[k] = len(rows)
			rows = append(rows, peerRow{workload: l.Workload, metric: l.Metric, higher: l.HigherIsBetter(), values: map[string]float64{}})
		}
		samples[[3]string{l.Workload, l.Metric, l.Impl}] = append(samples[[3]string{l.Workload, l.Metric, l.Impl}], l.Value)
	}
	for k, vs := range samples {
		rows[idx[[2]string{k[0], k[1]}]].values[k[2]] = bench.SpreadOf(vs).Median
	}
	if i := slices.Index(impls, "arsenal"); i > 0 {
		impls = append([]string{"arsenal"}, slices.Delete(impls, i, i+1)...)
	}
	return impls, rows
}

// advantage is how many times better arsenal did than impl in r, or NaN.
func (r peerRow) advantage(impl string) float64 {
	a, ok1 := r.values["arsenal"]
	v, ok2 := r.values[impl]
	if !ok1 || !ok2 || a <= 0 || v <= 0 {
		return math.NaN()
	}
	if r.higher {
		return a / v
	}
	return v / a
}

// peersChart draws Arsenal's advantage over each peer per workload, on a
// log2 axis centred on 1x (right: Arsenal better).
func peersChart(domain string, lines []bench.Line) ([]byte, error) {
	impls, all := peerTable(lines)
	used := map[string]bool{}
	for _, r := range all {
		for _, p := range impls {
			if p != "arsenal" && !math.IsNaN(r.advantage(p)) {
				used[p] = true
			}
		}
	}
	peers := slices.DeleteFunc(slices.Clone(impls), func(s string) bool { return !used[s] })
	var rows []peerRow
	for _, r := range all {
		for _, p := range peers {
			if !math.IsNaN(r.advantage(p)) {
				rows = append(rows, r)
				break
			}
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no workload has both an arsenal figure and a peer's", domain)
	}
	p := newPlot(domain+": Arsenal's advantage over each peer (right of 1x: Arsenal better)", "Arsenal's advantage (log scale)", "")
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[len(rows)-1-i] = shorten(r.workload+" · "+r.metric, 46)
	}
	barW := vg.Points(min(9, 36/float64(max(1, len(peers)))))
	maxAbs := 1.0
	for j, peer := range peers {
		vals := make(plotter.Values, len(rows))
		var pts plotter.XYs
		var texts []string
		for i, r := range rows {
			adv := r.advantage(peer)
			if math.IsNaN(adv) {
				continue
			}
			y := len(rows) - 1 - i
			vals[y] = math.Log2(adv)
			maxAbs = math.Max(maxAbs, math.Abs(vals[y]))
			pts = append(pts, plotter.XY{X: math.Max(vals[y], 0), Y: float64(y)})
			texts = append(texts, ratio(adv))
		}
		bc, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return nil, err
		}
		off := vg.Length(float64(len(peers)-1)/2-float64(j)) * barW
		bc.Horizontal, bc.Color, bc.Offset = true, palette[(j+1)%len(palette)], off
		bc.LineStyle.Width = 0
		p.Add(bc)
		p.Legend.Add(peer, bc)
		if lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: texts}); err == nil {
			for k := range lbl.TextStyle {
				lbl.TextStyle[k].Font.Size = vg.Points(8)
				lbl.TextStyle[k].Color = color.Gray{0x44}
			}
			lbl.Offset = vg.Point{X: vg.Points(3), Y: off - vg.Points(3)}
			p.Add(lbl)
		}
	}
	lim := math.Ceil(maxAbs)
	p.X.Min, p.X.Max = -lim, lim
	var ticks plot.ConstantTicks
	step := math.Max(1, math.Ceil(lim/6))
	for v := -lim; v <= lim; v += step {
		label := "1x"
		if v > 0 {
			label = fmt.Sprintf("%gx", math.Exp2(v))
		} else if v < 0 {
			label = fmt.Sprintf("1/%gx", math.Exp2(-v))
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	p.X.Tick.Marker = ticks
	if zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(len(rows)) - 0.5}}); err == nil {
		zero.Width, zero.Color = vg.Points(1.2), color.Gray{0x33}
		p.Add(zero)
	}
	p.NominalY(labels...)
	height := vg.Length(float64(len(rows))*float64(len(peers))*float64(barW)*1.5) + vg.Points(110)
	height = max(height, 3*vg.Inch)
	rowH := float64(height-vg.Points(110)) / float64(len(rows))
	p.Y.Max = float64(len(rows)) - 0.5 + float64(len(peers))*13/rowH + 0.1
	return svg(p, 9*vg.Inch, height)
}

// compareChart draws each benchmark's relative change in its first unit,
// coloured by verdict.
func compareChart(rep *bench.RegressionReport) ([]byte, error) {
	var changes []bench.Change
	for _, c := range rep.Changes {
		if c.Unit == "sec/op" && !math.IsInf(c.Delta, 0) {
			changes = append(changes, c)
		}
	}
	if len(changes) == 0 {
		return nil, fmt.Errorf("no sec/op benchmarks to chart")
	}
	p := newPlot("Change in time per operation (red: regression, green: improvement, grey: no significant change)", "change of the median, %", "")
	labels := make([]string, len(changes))
	maxAbs := 5.0
	for i, c := range changes {
		y := len(changes) - 1 - i
		labels[y] = shorten(c.Name, 40)
		vals := make(plotter.Values, len(changes))
		vals[y] = c.Delta * 100
		maxAbs = math.Max(maxAbs, math.Abs(c.Delta*100))
		bc, err := plotter.NewBarChart(vals, vg.Points(12))
		if err != nil {
			return nil, err
		}
		bc.Horizontal = true
		bc.LineStyle.Width = 0
		switch c.Verdict {
		case bench.Regression:
			bc.Color = red
		case bench.Improvement:
			bc.Color = green
		default:
			bc.Color = grey
		}
		p.Add(bc)
	}
	p.X.Min, p.X.Max = -maxAbs*1.1, maxAbs*1.1
	p.NominalY(labels...)
	h := max(vg.Length(len(changes))*vg.Points(22)+vg.Points(90), 2.5*vg.Inch)
	return svg(p, 8*vg.Inch, h)
}

func ratio(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
