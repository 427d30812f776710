package report

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// PNG renders p as a PNG image of widthCm × heightCm centimetres at gonum/plot's raster
// resolution (96 dots per inch).
func PNG(p *plot.Plot, widthCm, heightCm float64) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("report: PNG of a nil plot")
	}
	if !(widthCm > 0) || !(heightCm > 0) {
		return nil, fmt.Errorf("report: PNG size %v×%v cm must be positive", widthCm, heightCm)
	}
	w, err := p.WriterTo(vg.Length(widthCm)*vg.Centimeter, vg.Length(heightCm)*vg.Centimeter, "png")
	if err != nil {
		return nil, fmt.Errorf("report: rendering PNG: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: rendering PNG: %w", err)
	}
	return buf.Bytes(), nil
}
