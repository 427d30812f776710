package pipeline

import (
	"errors"
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

// Plots are a result's figures by the suffix of their file name ("" for the main one).
type Plots = map[string]func() (*plot.Plot, error)

// Publish writes a table's result v, with its provenance, to dir/base.json and each of its
// figures to dir/base<name>.png (15 × 10 cm), and returns the JSON's path: every result's
// Publish. A figure with nothing to draw yet (report.ErrNoSeries: a result published after
// each cell, before any of that figure's) is left out.
func Publish(dir, base string, v any, figures Plots) (string, error) {
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
	return PublishPNGs(dir, base, v, pngs)
}

// PublishPNGs is Publish with figures rendered as PNGs already.
func PublishPNGs(dir, base string, v any, figures map[string]func() ([]byte, error)) (string, error) {
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
