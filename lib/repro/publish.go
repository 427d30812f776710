package repro

import (
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

// publishResult writes a table's figure to dir/base.png and the table, with its provenance, to
// dir/base.json, and returns the JSON's path.
func publishResult(dir, base string, figure func() (*plot.Plot, error), v any) (string, error) {
	fig, err := figure()
	if err != nil {
		return "", err
	}
	if _, err := publishPNG(dir, base+".png", fig); err != nil {
		return "", err
	}
	return publishJSON(dir, base+".json", v)
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
