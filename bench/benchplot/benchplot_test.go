package benchplot_test

import (
	"bytes"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/bench/benchplot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdvantageDrawsOneBarPerPeerAndNeedsAnArsenalFigure(t *testing.T) {
	lines := []bench.Line{
		{Domain: "redis", Workload: "GET", Impl: "arsenal", Metric: "ops/s", Value: 300, Better: "higher"},
		{Domain: "redis", Workload: "GET", Impl: "go-redis", Metric: "ops/s", Value: 100, Better: "higher"},
		{Domain: "redis", Workload: "GET", Impl: "bun", Metric: "ops/s", Value: 600, Better: "higher"},
	}
	p, h, err := benchplot.Advantage("redis", bench.Tabulate(lines))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, h, 3*vg.Inch, "height, want at least 3in")
	w, err := p.WriterTo(8*vg.Inch, h, "svg")
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = w.WriteTo(&buf)
	require.NoError(t, err)
	for _, want := range []string{"3.00x", "0.50x", "go-redis", "bun"} {
		assert.Contains(t, buf.String(), want, "chart lacks")
	}
	only := bench.Tabulate(lines[1:]) // no arsenal figure
	_, _, err = benchplot.Advantage("redis", only)
	assert.Error(t, err, "a table without arsenal figures drew a chart")
}

func TestRatioFormatsAdvantages(t *testing.T) {
	for in, want := range map[float64]string{1.234: "1.23x", 0.5: "0.50x", 12.4: "12x"} {
		assert.Equal(t, want, benchplot.Ratio(in), "Ratio(%v)", in)
	}
}
