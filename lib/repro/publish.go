package repro

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Published figures are 15 × 10 cm PNGs.
const (
	figureWidth  = 15 * vg.Centimeter
	figureHeight = 10 * vg.Centimeter
)

// plots are a result's figures by the suffix of their file name ("" for the main one).
type plots = map[string]func() (*plot.Plot, error)

// publish writes a table's result v, with its provenance, to dir/base.json and each of its
// figures to dir/base<name>.png (15 × 10 cm), and returns the JSON's path: every table's
// Publish. A figure with nothing to draw yet (report.ErrNoSeries: a result published after
// each cell, before any of that figure's) is left out.
func publish(dir, base string, v any, figures plots) (string, error) {
	pngs := map[string]func() ([]byte, error){}
	for name, figure := range figures {
		pngs[name] = func() ([]byte, error) {
			p, err := figure()
			if errors.Is(err, report.ErrNoSeries) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return report.PNG(p, figureWidth, figureHeight)
		}
	}
	return publishPNGs(dir, base, v, pngs)
}

// publishPNGs is publish with figures rendered as PNGs already.
func publishPNGs(dir, base string, v any, figures map[string]func() ([]byte, error)) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for name, figure := range figures {
		png, err := figure()
		if err != nil {
			return "", err
		}
		if png == nil {
			continue
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, base+name+".png"), png); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, base+".json")
	return path, artifact.WriteJSON(path, v)
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

// The cells of the tables beside the paper: "—" where a number is missing.

// pct formats a fraction as a percentage with two decimals.
func pct(v float64) string { return fmt.Sprintf("%.2f", 100*v) }

// pctIf is pct of v, "—" when !ok.
func pctIf(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return pct(v)
}

// vsPaper returns the paper's number (%), from paperAt and friends, and ours (a fraction)
// less it in points: "—" both where the paper has none.
func vsPaper(paper float64, ok bool, ours float64) (p, delta string) {
	if !ok {
		return "—", "—"
	}
	return fmt.Sprintf("%.2f", paper), fmt.Sprintf("%+.2f", 100*ours-paper)
}

// trainedCols are a classifier's steps and seconds, the last columns of its cell.
func trainedCols(c Classified) []string {
	return []string{fmt.Sprint(c.Steps), fmt.Sprintf("%.1f", c.Seconds)}
}

// poolName names a pool of n training images, 0 for all.
func poolName(n int) string {
	if n > 0 {
		return fmt.Sprintf("%d training images", n)
	}
	return "the whole training split"
}

// netName names a network, "" (Conv-4) with its width.
func netName(net string, channels int) string {
	if net == "" || net == nets.NetConv4 {
		return fmt.Sprintf("conv-4 (%d channels)", channels)
	}
	return net
}

// rateOf is ", N images/s" for a measured training rate, "" when unmeasured (a training too
// short for two progress reports).
func rateOf(imagesPerSecond float64) string {
	if imagesPerSecond > 0 {
		return fmt.Sprintf(", %.0f images/s", imagesPerSecond)
	}
	return ""
}
