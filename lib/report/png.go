package report

import (
	"bytes"
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// rasterDPI is the resolution of plot.WriterTo's PNGs, which SideBySide matches.
const rasterDPI = 96

// SideBySide renders plots in one row, each panel width × height, as one PNG image.
func SideBySide(plots []*plot.Plot, width, height vg.Length) ([]byte, error) {
	if len(plots) == 0 || slices.Contains(plots, nil) {
		return nil, fmt.Errorf("report: side-by-side PNG needs plots, none nil; got %d", len(plots))
	}
	if !(width > 0) || !(height > 0) {
		return nil, fmt.Errorf("report: panel size %.3g×%.3g cm must be positive", width/vg.Centimeter, height/vg.Centimeter)
	}
	c := vgimg.NewWith(vgimg.UseWH(width*vg.Length(len(plots)), height), vgimg.UseDPI(rasterDPI))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: rendering PNG: %w", err)
	}
	return buf.Bytes(), nil
}
