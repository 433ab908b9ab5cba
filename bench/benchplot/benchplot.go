// Package benchplot draws the charts of Arsenal's benchmark reports with
// gonum/plot. It is separate from package bench so the library's domain
// packages, which use bench's recorder, never link the plotting code.
package benchplot

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/infra-arsenal/arsenal/bench"
)

// Palette is a colour-blind-safe qualitative palette (Okabe-Ito).
var Palette = []color.Color{
	color.RGBA{0x00, 0x72, 0xB2, 0xff}, // blue
	color.RGBA{0xE6, 0x9F, 0x00, 0xff}, // orange
	color.RGBA{0x00, 0x9E, 0x73, 0xff}, // green
	color.RGBA{0xCC, 0x79, 0xA7, 0xff}, // purple
	color.RGBA{0x56, 0xB4, 0xE9, 0xff}, // sky
	color.RGBA{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	color.RGBA{0xF0, 0xE4, 0x42, 0xff}, // yellow
	color.RGBA{0x99, 0x99, 0x99, 0xff}, // grey
}

// Ratio formats an advantage such as 1.23x (12x from 10 up).
func Ratio(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

// Advantage draws, for each row of t, one horizontal bar per peer showing
// Arsenal's advantage over it on a log2 scale centred on 1x: bars to the
// right mean Arsenal did better, to the left that the peer did. It returns
// the plot and the height it needs; rows without an Arsenal figure and a
// peer's are left out, and a table with none is an error.
func Advantage(domain string, t bench.Table) (*plot.Plot, vg.Length, error) {
	var peers []string
	for _, impl := range t.Impls {
		if impl != bench.ArsenalImpl {
			peers = append(peers, impl)
		}
	}
	var rows []bench.Row
	used := map[string]bool{}
	for _, r := range t.Rows {
		for _, p := range peers {
			if !math.IsNaN(r.Advantage(p)) {
				used[p] = true
			}
		}
	}
	peers = slices.DeleteFunc(peers, func(p string) bool { return !used[p] })
	for _, r := range t.Rows {
		for _, p := range peers {
			if !math.IsNaN(r.Advantage(p)) {
				rows = append(rows, r)
				break
			}
		}
	}
	if len(rows) == 0 || len(peers) == 0 {
		return nil, 0, fmt.Errorf("no row has both an arsenal figure and a peer's")
	}
	p := plot.New()
	p.Title.Text = domain + ": Arsenal's advantage over each peer (right of 1x: Arsenal better)"
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = "Arsenal's advantage (log scale)"
	p.Y.Padding = 0

	// Rows top to bottom in reading order: the Y axis grows upwards.
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[len(rows)-1-i] = shorten(r.Workload+" · "+r.Metric, 48)
	}
	barW := vg.Points(9)
	if n := len(peers); n > 4 {
		barW = vg.Points(36 / float64(n))
	}
	maxAbs := 1.0
	for j, peer := range peers {
		vals := make(plotter.Values, len(rows))
		var pts plotter.XYs
		var texts []string
		for i, r := range rows {
			adv := r.Advantage(peer)
			if math.IsNaN(adv) {
				continue
			}
			v := math.Log2(adv)
			y := len(rows) - 1 - i
			vals[y] = v
			maxAbs = math.Max(maxAbs, math.Abs(v))
			pts = append(pts, plotter.XY{X: math.Max(v, 0), Y: float64(y)})
			texts = append(texts, Ratio(adv))
		}
		bc, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return nil, 0, err
		}
		bc.Horizontal = true
		bc.Color = Palette[j%len(Palette)]
		bc.LineStyle.Width = 0
		off := vg.Length(float64(len(peers)-1)/2-float64(j)) * barW
		bc.Offset = off
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
	p.X.Tick.Marker = log2Ticks(lim)
	p.Add(plotter.NewGrid())
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(len(rows)) - 0.5}})
	if err == nil {
		zero.LineStyle.Width = vg.Points(1.2)
		zero.LineStyle.Color = color.Gray{0x33}
		p.Add(zero)
	}
	p.NominalY(labels...)
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.TextStyle.Font.Size = vg.Points(10)

	height := vg.Length(float64(len(rows))*float64(len(peers))*float64(barW)*1.5) + vg.Points(110)
	height = max(height, 3*vg.Inch)
	// Leave room above the first row for the legend.
	rowH := float64(height-vg.Points(110)) / float64(len(rows))
	p.Y.Max = float64(len(rows)) - 0.5 + float64(len(peers))*13/rowH + 0.1
	p.Title.Padding = vg.Points(8)
	return p, height, nil
}

// log2Ticks labels a log2 axis from -lim to lim as 1/4x, 1/2x, 1x, 2x, 4x...
func log2Ticks(lim float64) plot.ConstantTicks {
	step := 1.0
	if lim > 6 {
		step = math.Ceil(lim / 6)
	}
	var ticks []plot.Tick
	for v := -lim; v <= lim; v += step {
		var label string
		switch {
		case v == 0:
			label = "1x"
		case v > 0:
			label = fmt.Sprintf("%gx", math.Exp2(v))
		default:
			label = fmt.Sprintf("1/%gx", math.Exp2(-v))
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
