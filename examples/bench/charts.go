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
	"github.com/infra-arsenal/arsenal/bench/benchplot"
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

// peersChart draws Arsenal's advantage over each peer per workload (see
// benchplot.Advantage) as SVG.
func peersChart(domain string, t bench.Table) ([]byte, error) {
	p, height, err := benchplot.Advantage(domain, t)
	if err != nil {
		return nil, err
	}
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

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
