package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a figure against the number of labels: Values[i] (a fraction in
// [0, 1]) at Labels[i] labels. Dashed lines mark reference numbers, such as the paper's.
type Series struct {
	Name   string
	Labels []int
	Values []float64
	Dashed bool
	// Colour, if not nil, is the series' colour (Colour(i) gives the palette's); nil takes the
	// palette's next one.
	Colour color.Color
}

// Colour is the i-th colour of the figures' palette, cycled: figures that draw one kind of
// thing in several panels give it the same colour in each.
func Colour(i int) color.Color { return palette[i%len(palette)] }

// SortByLabels orders the series' points by their label count, as a line through them needs.
func (s *Series) SortByLabels() {
	idx := make([]int, len(s.Labels))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return s.Labels[a] - s.Labels[b] })
	labels, values := make([]int, len(idx)), make([]float64, len(idx))
	for i, j := range idx {
		labels[i], values[i] = s.Labels[j], s.Values[j]
	}
	s.Labels, s.Values = labels, values
}

// ErrNoSeries is the error of a plot given nothing to draw (a table whose cells of that figure
// are not computed yet, say).
var ErrNoSeries = errors.New("no series to draw")

// VsLabelsPlot draws each series in % against the number of labels on a log axis, as the
// paper's tables grow the labels (50, 100, 250, … 8000). Colours follow the series in order,
// and a dashed series takes the colour of the solid series before it, so that "ours" and
// "paper" of one setting match: the legend then names the solid series alone, and one last
// entry says what dashed lines are (the dashed series' name past the solid one's, e.g.
// "dashed: paper"). It returns an error for no series, a length mismatch, a non-positive label
// count, or a value outside [0, 1]. PNG draws the legend beside the axes.
func VsLabelsPlot(title, yLabel string, series []Series) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("report: plot %q: %w", title, ErrNoSeries)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "labels"
	p.Y.Label.Text = yLabel
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = labelTicks(series)
	// A fixed 0–100 % axis keeps figures of different runs comparable.
	p.Y.Min, p.Y.Max = 0, 100
	p.Legend.TextStyle.Font.Size, p.Legend.Padding = vg.Points(9), vg.Points(1)
	p.Add(plotter.NewGrid())
	colour := -1
	dashedNote := ""
	var dashedThumb *plotter.Line
	for i, s := range series {
		if len(s.Labels) != len(s.Values) || len(s.Labels) == 0 {
			return nil, fmt.Errorf("report: plot %q series %q has %d label counts and %d values", title, s.Name, len(s.Labels), len(s.Values))
		}
		pts := make(plotter.XYs, len(s.Labels))
		for i, n := range s.Labels {
			v := s.Values[i]
			if n <= 0 || math.IsNaN(v) || v < 0 || v > 1 {
				return nil, fmt.Errorf("report: plot %q series %q point %d is (%d labels, %v); want positive labels and a fraction in [0, 1]", title, s.Name, i, n, v)
			}
			pts[i] = plotter.XY{X: float64(n), Y: 100 * v}
		}
		line, scatter, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("report: plot %q series %q: %w", title, s.Name, err)
		}
		paired := s.Dashed && i > 0 && !series[i-1].Dashed && strings.HasPrefix(s.Name, series[i-1].Name)
		if !paired {
			colour++
		}
		c := Colour(colour)
		if s.Colour != nil {
			c = s.Colour
		} else if paired && series[i-1].Colour != nil {
			c = series[i-1].Colour
		}
		line.Color, scatter.Color = c, c
		line.Width = vg.Points(1.5)
		scatter.Shape = draw.CircleGlyph{}
		if s.Dashed {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			scatter.Shape = draw.RingGlyph{}
		}
		p.Add(line, scatter)
		if !paired {
			p.Legend.Add(s.Name, line, scatter)
		} else if dashedThumb == nil {
			dashedNote = "dashed: " + strings.TrimLeft(strings.TrimPrefix(s.Name, series[i-1].Name), " ,")
			thumb := *line
			thumb.Color = color.Gray{Y: 80}
			dashedThumb = &thumb
		}
	}
	if dashedThumb != nil {
		p.Legend.Add(dashedNote, dashedThumb)
	}
	return p, nil
}

// labelTicks marks the x axis at every label count that a series uses.
func labelTicks(series []Series) plot.Ticker {
	seen := map[int]bool{}
	var ticks plot.ConstantTicks
	for _, s := range series {
		for _, n := range s.Labels {
			if !seen[n] && n > 0 {
				seen[n] = true
				ticks = append(ticks, plot.Tick{Value: float64(n), Label: fmt.Sprint(n)})
			}
		}
	}
	return ticks
}

// OursAndPaper returns the series of a figure against the columns xs: for each row, ours as a
// solid line where its cells were computed, named name(row), and beside it the paper's as a
// dashed line of the same colour (the paper prints %, ours are fractions), named name(row)
// plus paper (", paper", say), which VsLabelsPlot's legend says once.
func OursAndPaper[R any](rows []R, xs []int, name func(R) string, paper string, ours, papers func(row R, col int) (float64, bool)) []Series {
	var series []Series
	for _, row := range rows {
		o := Series{Name: name(row)}
		p := Series{Name: name(row) + paper, Dashed: true}
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
