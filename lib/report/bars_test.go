package report

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// TestBarX checks that the bars of a group stand barStep apart and centred on its tick.
func TestBarX(t *testing.T) {
	for _, tc := range []struct {
		g, n int
		want []float64
	}{
		{0, 1, []float64{0}},
		{1, 2, []float64{1 - barStep/2, 1 + barStep/2}},
		{2, 3, []float64{2 - barStep, 2, 2 + barStep}},
	} {
		for k, want := range tc.want {
			if got := barX(tc.g, k, tc.n); math.Abs(got-want) > 1e-12 {
				t.Errorf("bar %d of %d in group %d at x = %v, want %v", k, tc.n, tc.g, got, want)
			}
		}
	}
}

// TestSeriesColours checks that a Light series takes the colour of the one before it, mixed
// halfway to white, and that the others step through the palette.
func TestSeriesColours(t *testing.T) {
	got := seriesColours([]BarSeries{{Light: true}, {}, {Light: true}, {}, {}, {Light: true}})
	want := []color.Color{lighter(plotutil.Color(0)), plotutil.Color(1), lighter(plotutil.Color(1)),
		plotutil.Color(2), plotutil.Color(3), lighter(plotutil.Color(3))}
	for k := range want {
		r0, g0, b0, a0 := got[k].RGBA()
		r1, g1, b1, a1 := want[k].RGBA()
		if r0 != r1 || g0 != g1 || b0 != b1 || a0 != a1 {
			t.Errorf("series %d has colour %v, want %v", k, got[k], want[k])
		}
	}
	for _, tc := range []struct{ in, want color.RGBA }{
		{color.RGBA{0, 0, 0, 255}, color.RGBA{127, 127, 127, 255}},
		{color.RGBA{255, 255, 255, 255}, color.RGBA{255, 255, 255, 255}},
		{color.RGBA{255, 0, 100, 255}, color.RGBA{255, 127, 177, 255}},
	} {
		if got := lighter(tc.in); got != tc.want {
			t.Errorf("lighter(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestBarsWithErrors(t *testing.T) {
	nan := math.NaN()
	series := []BarSeries{
		{Name: "ours", Values: []float64{41, 55}, Errors: []float64{2, 1.5}},
		{Name: "paper", Values: []float64{50.3, nan}, Errors: []float64{0.7, 0}, Light: true},
	}
	p, err := BarsWithErrors("t", "accuracy (%)", []string{"1-shot", "5-shot"}, series, Level{Name: "chance", Y: 20})
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Min != -0.5 || p.X.Max != 1.5 || p.Y.Min != 0 || p.Y.Max != 100 {
		t.Errorf("axes x %v–%v, y %v–%v; want −0.5–1.5 and 0–100", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	data, err := PNG(p, 15*vg.Centimeter, 10*vg.Centimeter)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("output is not a PNG: %v", err)
	}
	for _, tc := range []struct {
		name   string
		groups []string
		series []BarSeries
		want   string
	}{
		{"no groups", nil, series, "no groups"},
		{"short values", []string{"a", "b"}, []BarSeries{{Name: "s", Values: []float64{1}, Errors: []float64{1, 1}}}, "1 values"},
		{"no errors", []string{"a"}, []BarSeries{{Name: "s", Values: []float64{1}}}, "0 errors"},
		{"infinite", []string{"a"}, []BarSeries{{Name: "s", Values: []float64{math.Inf(1)}, Errors: []float64{1}}}, `series "s"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := BarsWithErrors("t", "y", tc.groups, tc.series); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
