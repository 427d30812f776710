package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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

// Replot renders again the figures of res, the result that its Publish wrote to path as
// <base><suffix>.json, from the numbers read back from there, and puts them beside it; path
// itself is left as it was. It returns the figures' paths. A figure's look changes with the
// code that draws it, its numbers never.
func Replot(path, base string, res interface {
	Publish(dir, suffix string) (string, error)
}) ([]string, error) {
	stem := strings.TrimSuffix(filepath.Base(path), ".json")
	suffix, ok := strings.CutPrefix(stem, base)
	if !ok || !strings.HasSuffix(path, ".json") {
		return nil, fmt.Errorf("replot %s: not a result published as %s<suffix>.json", path, base)
	}
	tmp, err := os.MkdirTemp("", "replot-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if _, err := res.Publish(tmp, suffix); err != nil {
		return nil, fmt.Errorf("replot %s: %w", path, err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), stem) || !strings.HasSuffix(e.Name(), ".png") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(tmp, e.Name()))
		if err != nil {
			return nil, err
		}
		to := filepath.Join(filepath.Dir(path), e.Name())
		if err := atomicfile.WriteFile(to, data); err != nil {
			return nil, fmt.Errorf("replot %s: %w", path, err)
		}
		out = append(out, to)
	}
	return out, nil
}
