package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// maxCurvePoints bounds the points drawn per curve; longer curves are subsampled evenly (the
// first and last points are always kept), which is invisible at figure resolution.
const maxCurvePoints = 500

// Curve is one line of an accumulated-accuracy figure: Accuracy[i] is the fraction of correct
// pseudo labels among the i+1 most confident examples, as propagate.AccumulatedAccuracy returns.
type Curve struct {
	Name     string
	Accuracy []float64
}

// palette holds distinguishable line colours, cycled when there are more curves: ColorBrewer's
// qualitative Set1 without its yellow (too pale on white), then Dark2.
var palette = func() []color.Color {
	var out []color.Color
	for _, set := range []struct {
		name string
		n    int
	}{{"Set1", 9}, {"Dark2", 8}} {
		p, err := brewer.GetPalette(brewer.TypeQualitative, set.name, set.n)
		if err != nil {
			panic(err) // a fixed name and size that brewer has
		}
		for _, c := range p.Colors() {
			if r, g, b, _ := c.RGBA(); r>>8 == 0xff && g>>8 == 0xff && b>>8 == 0x33 {
				continue
			}
			out = append(out, c)
		}
	}
	return out
}()

// AccumulatedAccuracyPlot draws the paper's Figure 3: for each curve, the accuracy (in %) of
// the pseudo labels accumulated over the examples sorted by confidence, against the share of
// the data taken (in %). It returns an error for no curves, an empty curve, or a value outside
// [0, 1].
func AccumulatedAccuracyPlot(title string, curves []Curve) (*plot.Plot, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("report: accumulated-accuracy plot %q has no curves", title)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "examples taken, most confident first (%)"
	p.Y.Label.Text = "pseudo-label accuracy (%)"
	p.X.Min, p.X.Max = 0, 100
	p.Legend.Top = false
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	for ci, c := range curves {
		pts, err := curvePoints(c)
		if err != nil {
			return nil, fmt.Errorf("report: plot %q: %w", title, err)
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("report: plot %q curve %q: %w", title, c.Name, err)
		}
		line.Color = palette[ci%len(palette)]
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(c.Name, line)
	}
	return p, nil
}

// curvePoints turns a curve into at most maxCurvePoints (x %, y %) points.
func curvePoints(c Curve) (plotter.XYs, error) {
	n := len(c.Accuracy)
	if n == 0 {
		return nil, fmt.Errorf("curve %q is empty", c.Name)
	}
	for i, a := range c.Accuracy {
		if math.IsNaN(a) || a < 0 || a > 1 {
			return nil, fmt.Errorf("curve %q point %d is %v; accuracies are fractions in [0, 1]", c.Name, i, a)
		}
	}
	m := min(n, maxCurvePoints)
	pts := make(plotter.XYs, m)
	for k := range pts {
		i := 0
		if m > 1 {
			i = k * (n - 1) / (m - 1)
		}
		pts[k].X = 100 * float64(i+1) / float64(n)
		pts[k].Y = 100 * c.Accuracy[i]
	}
	return pts, nil
}
