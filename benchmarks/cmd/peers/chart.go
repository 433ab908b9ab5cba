package main

import (
	"gonum.org/v1/plot/vg"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/bench/benchplot"
)

// writeChart draws Arsenal's advantage over each peer per workload (see
// benchplot.Advantage). The file type follows the extension (.svg or .png).
func writeChart(path string, d *DomainRun) error {
	p, height, err := benchplot.Advantage(d.Name, bench.Tabulate(d.Lines))
	if err != nil {
		return err
	}
	return p.Save(10*vg.Inch, height, path)
}
