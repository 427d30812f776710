package report

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// PNG renders p as a PNG image of width × height (vg lengths, e.g. 15*vg.Centimeter) at
// gonum/plot's raster resolution (96 dots per inch).
func PNG(p *plot.Plot, width, height vg.Length) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("report: PNG of a nil plot; build one with plot.New()")
	}
	if !(width > 0) || !(height > 0) {
		return nil, fmt.Errorf("report: PNG size %.3g×%.3g cm must be positive", width/vg.Centimeter, height/vg.Centimeter)
	}
	w, err := p.WriterTo(width, height, "png")
	if err != nil {
		return nil, fmt.Errorf("report: rendering PNG: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: rendering PNG: %w", err)
	}
	return buf.Bytes(), nil
}
