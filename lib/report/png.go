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
// gonum/plot's raster resolution (96 dots per inch), its legend beside the axes (drawPlot).
func PNG(p *plot.Plot, width, height vg.Length) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("report: PNG of a nil plot; build one with plot.New()")
	}
	return SideBySide([]*plot.Plot{p}, width, height)
}

// legendGap is the space between the axes and a legend drawn beside them.
const legendGap = 2 * vg.Millimeter

// drawPlot draws p on c with its title across the whole width and its legend, if it has
// entries, in a column to the right of the axes (its text at most 9 points), top-aligned with
// them, rather than over the data; the axes take what the legend leaves.
func drawPlot(p *plot.Plot, c draw.Canvas) {
	if title := p.Title.Text; title != "" {
		c.FillText(p.Title.TextStyle, vg.Point{X: c.Center().X, Y: c.Max.Y}, title)
		c.Max.Y -= p.Title.TextStyle.Rectangle(title).Size().Y + p.Title.Padding
		p.Title.Text = ""
		defer func() { p.Title.Text = title }()
	}
	orig := p.Legend
	legend := orig // a copy, restyled to be drawn here
	legend.TextStyle.Font.Size = min(legend.TextStyle.Font.Size, vg.Points(9))
	w := legend.Rectangle(c).Size().X
	if w <= 0 {
		p.Draw(c)
		return
	}
	w += 2 * legendGap          // between the axes and the legend, and after it
	p.Legend = plot.NewLegend() // drawn beside, not over, the axes
	defer func() { p.Legend = orig }()
	p.Draw(draw.Crop(c, 0, -w, 0, 0))
	legend.Top, legend.Left, legend.YOffs = true, true, 0
	legend.Draw(draw.Crop(c, c.Size().X-w+legendGap, -legendGap, 0, 0))
}

// rasterDPI is the resolution of plot.WriterTo's PNGs, which SideBySide matches.
const rasterDPI = 96

// SideBySide renders plots in one row, each panel width × height, as one PNG image, each
// panel's legend beside its axes (drawPlot).
func SideBySide(plots []*plot.Plot, width, height vg.Length) ([]byte, error) {
	return Panels(plots, len(plots), width, height)
}

// Panels renders plots in rows of cols panels, each width × height, as one PNG image, each
// panel's legend beside its axes (drawPlot).
func Panels(plots []*plot.Plot, cols int, width, height vg.Length) ([]byte, error) {
	if len(plots) == 0 || slices.Contains(plots, nil) || cols < 1 {
		return nil, fmt.Errorf("report: a PNG of panels needs plots, none nil, and at least one column; got %d plots in %d columns", len(plots), cols)
	}
	if !(width > 0) || !(height > 0) {
		return nil, fmt.Errorf("report: panel size %.3g×%.3g cm must be positive", width/vg.Centimeter, height/vg.Centimeter)
	}
	cols = min(cols, len(plots))
	rows := (len(plots) + cols - 1) / cols
	c := vgimg.NewWith(vgimg.UseWH(width*vg.Length(cols), height*vg.Length(rows)), vgimg.UseDPI(rasterDPI))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter}
	for i, p := range plots {
		drawPlot(p, tiles.At(dc, i%cols, i/cols))
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: rendering PNG: %w", err)
	}
	return buf.Bytes(), nil
}
