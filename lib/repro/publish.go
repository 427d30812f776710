package repro

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Published figures are 15 × 10 cm PNGs.
const (
	figureWidth  = 15 * vg.Centimeter
	figureHeight = 10 * vg.Centimeter
)

// publishJSON writes v as indented JSON to dir/name, creating dir, and returns the path. Every
// table's Publish goes through it, so that published results share one place and one format.
func publishJSON(dir, name string, v any) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, artifact.WriteJSON(path, v)
}

// publish writes a table's result v, with its provenance, to dir/base.json and each of its
// figures to dir/base<name>.png, and returns the JSON's path: every table's Publish.
func publish(dir, base string, v any, figures map[string]func() (*plot.Plot, error)) (string, error) {
	for name, figure := range figures {
		fig, err := figure()
		if err != nil {
			return "", err
		}
		if _, err := publishPNG(dir, base+name+".png", fig); err != nil {
			return "", err
		}
	}
	return publishJSON(dir, base+".json", v)
}

// ReadResult reads a result that its Publish wrote to path (a Table2Result, say), e.g. a
// paper-scale run from a GPU machine, so that a notebook can show it beside its own.
func ReadResult[R any](path string) (*R, error) {
	r := new(R)
	if err := artifact.ReadJSON(path, r); err != nil {
		return nil, fmt.Errorf("result %s: %w", path, err)
	}
	return r, nil
}

// publishPNG renders p as a PNG to dir/name, creating dir, and returns the path.
func publishPNG(dir, name string, p *plot.Plot) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	png, err := report.PNG(p, figureWidth, figureHeight)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, atomicfile.WriteFile(path, png)
}

// oursAndPaper returns the series of a figure against the columns xs: for each row, ours as a
// solid line where its cells were computed and, beside it, the paper's as a dashed line of the
// same colour (the paper prints %), named by name(row) plus ", ours" and paper.
func oursAndPaper[R any](rows []R, xs []int, name func(R) string, paper string, ours, papers func(row R, col int) (float64, bool)) []report.Series {
	var series []report.Series
	for _, row := range rows {
		o := report.Series{Name: name(row) + ", ours"}
		p := report.Series{Name: name(row) + paper, Dashed: true}
		for col, x := range xs {
			if v, ok := ours(row, col); ok {
				o.Labels, o.Values = append(o.Labels, x), append(o.Values, v)
			}
			if v, ok := papers(row, col); ok {
				p.Labels, p.Values = append(p.Labels, x), append(p.Values, v/100)
			}
		}
		if len(o.Labels) > 0 {
			series = append(series, o)
			if len(p.Labels) > 0 {
				series = append(series, p)
			}
		}
	}
	return series
}
