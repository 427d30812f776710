package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// BarSeries is one legend entry of BarsWithErrors: in each group a bar with a symmetric error
// bar, such as a mean and its 95 % interval.
type BarSeries struct {
	Name string
	// Values[g] and Errors[g] are the bar of group g and its half-width, in %; a NaN value
	// leaves group g without a bar of this series, its place empty.
	Values, Errors []float64
	// Light draws the series in the colour of the series before it mixed halfway to white: a
	// reference, such as the paper's number, beside the result it is compared with.
	Light bool
}

// Level is a dashed horizontal line across all groups, such as chance.
type Level struct {
	Name string
	Y    float64
}

// barStep is the distance between neighbouring bars of a group in x units, where groups are
// one unit apart; barWidth is a bar's width.
const barStep = 0.13

var barWidth = vg.Points(18)

// BarsWithErrors draws one group of bars per name of groups, one bar per series in each, side
// by side in the order of series, on a 0–100 % axis; then each level as a dashed grey line.
// Series and levels appear in the legend, a series only where it has a bar. Colours follow
// gonum/plot's plotutil palette, one per series that is not Light. It returns an error for no
// groups or a series whose Values or Errors do not have one entry per group.
func BarsWithErrors(title, yLabel string, groups []string, series []BarSeries, levels ...Level) (*plot.Plot, error) {
	if len(groups) == 0 {
		return nil, fmt.Errorf("report: bar chart %q has no groups", title)
	}
	for _, s := range series {
		if len(s.Values) != len(groups) || len(s.Errors) != len(groups) {
			return nil, fmt.Errorf("report: bar chart %q series %q has %d values and %d errors for %d groups; give one of each per group (NaN for no bar)",
				title, s.Name, len(s.Values), len(s.Errors), len(groups))
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	p.Y.Min, p.Y.Max = 0, 100
	p.Legend.Top = true
	colours := seriesColours(series)
	for k, s := range series {
		var legend plot.Thumbnailer
		for g := range groups {
			mean, pm := s.Values[g], s.Errors[g]
			if math.IsNaN(mean) {
				continue
			}
			x := barX(g, k, len(series))
			bar, err := plotter.NewBarChart(plotter.Values{mean}, barWidth)
			if err != nil {
				return nil, fmt.Errorf("report: bar chart %q series %q: %w", title, s.Name, err)
			}
			bar.XMin, bar.Color, bar.LineStyle.Width = x, colours[k], vg.Points(0.5)
			errs, err := plotter.NewYErrorBars(errorPoints{plotter.XYs{{X: x, Y: mean}}, plotter.YErrors{{Low: pm, High: pm}}})
			if err != nil {
				return nil, fmt.Errorf("report: bar chart %q series %q: %w", title, s.Name, err)
			}
			p.Add(bar, errs)
			legend = bar
		}
		if legend != nil {
			p.Legend.Add(s.Name, legend)
		}
	}
	for _, l := range levels {
		line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: l.Y}, {X: float64(len(groups)) - 0.5, Y: l.Y}})
		if err != nil {
			return nil, fmt.Errorf("report: bar chart %q level %q: %w", title, l.Name, err)
		}
		line.Color, line.Dashes = color.Gray{Y: 110}, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		p.Legend.Add(l.Name, line)
	}
	p.NominalX(groups...)
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	return p, nil
}

// barX is the centre of bar k of n in group g: the bars stand barStep apart, centred on the
// group's tick at x = g.
func barX(g, k, n int) float64 {
	return float64(g) + (float64(k)-float64(n-1)/2)*barStep
}

// seriesColours gives each series the next palette colour, and a Light one the colour of the
// series before it (the first colour if none) mixed with white.
func seriesColours(series []BarSeries) []color.Color {
	out := make([]color.Color, len(series))
	i := -1
	for k, s := range series {
		if !s.Light || i < 0 {
			i++
		}
		out[k] = plotutil.Color(i)
		if s.Light {
			out[k] = lighter(out[k])
		}
	}
	return out
}

// lighter mixes c halfway to white.
func lighter(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8 + 255) / 2) }
	return color.RGBA{mix(r), mix(g), mix(b), 255}
}

// errorPoints are points with vertical error bars.
type errorPoints struct {
	plotter.XYs
	plotter.YErrors
}
