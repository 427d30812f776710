package report

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func TestCurvePoints(t *testing.T) {
	tests := []struct {
		name  string
		acc   []float64
		wantN int
		first [2]float64 // x %, y %
		last  [2]float64
	}{
		{"single", []float64{0.5}, 1, [2]float64{100, 50}, [2]float64{100, 50}},
		{"four", []float64{1, 1, 2.0 / 3, 0.5}, 4, [2]float64{25, 100}, [2]float64{100, 50}},
		{"subsampled", ramp(2000), maxCurvePoints, [2]float64{0.05, 0}, [2]float64{100, 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts, err := curvePoints(Curve{Name: tc.name, Accuracy: tc.acc})
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) != tc.wantN {
				t.Fatalf("got %d points, want %d", len(pts), tc.wantN)
			}
			got := [][2]float64{{pts[0].X, pts[0].Y}, {pts[len(pts)-1].X, pts[len(pts)-1].Y}}
			for k, want := range [][2]float64{tc.first, tc.last} {
				if math.Abs(got[k][0]-want[0]) > 1e-9 || math.Abs(got[k][1]-want[1]) > 1e-9 {
					t.Errorf("point %d = %v, want %v", k, got[k], want)
				}
			}
			for k := 1; k < len(pts); k++ {
				if pts[k].X <= pts[k-1].X {
					t.Fatalf("x not increasing at %d: %v then %v", k, pts[k-1].X, pts[k].X)
				}
			}
		})
	}
}

// ramp returns n values rising evenly from 0 to 1.
func ramp(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i) / float64(n-1)
	}
	return out
}

func TestAccumulatedAccuracyPlotErrors(t *testing.T) {
	tests := []struct {
		name   string
		curves []Curve
		want   string
	}{
		{"none", nil, "no curves"},
		{"empty", []Curve{{Name: "nn"}}, "empty"},
		{"percent", []Curve{{Name: "nn", Accuracy: []float64{0.9, 90}}}, "fractions"},
		{"nan", []Curve{{Name: "nn", Accuracy: []float64{math.NaN()}}}, "fractions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AccumulatedAccuracyPlot("t", tc.curves)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestPNG(t *testing.T) {
	p, err := AccumulatedAccuracyPlot("Figure 3", []Curve{
		{Name: "nn", Accuracy: ramp(300)},
		{Name: "spectral", Accuracy: []float64{1, 1, 0.9, 0.8}},
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := PNG(p, 15*vg.Centimeter, 10*vg.Centimeter)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	// 15 cm × 10 cm at gonum/plot's default 96 dpi for raster output.
	b := img.Bounds()
	wantW, wantH := int(math.Round(15/2.54*96)), int(math.Round(10/2.54*96))
	if abs(b.Dx()-wantW) > 1 || abs(b.Dy()-wantH) > 1 {
		t.Errorf("image is %d×%d pixels, want about %d×%d", b.Dx(), b.Dy(), wantW, wantH)
	}
	if _, err := PNG(p, 0, 10*vg.Centimeter); err == nil {
		t.Error("PNG of zero width: no error")
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestSideBySide(t *testing.T) {
	a, err := AccumulatedAccuracyPlot("a", []Curve{{Name: "x", Accuracy: ramp(10)}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := AccumulatedAccuracyPlot("b", []Curve{{Name: "y", Accuracy: ramp(20)}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := SideBySide([]*plot.Plot{a, b}, 10*vg.Centimeter, 10*vg.Centimeter)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	want := int(math.Round(10 / 2.54 * 96))
	if bb := img.Bounds(); abs(bb.Dx()-2*want) > 1 || abs(bb.Dy()-want) > 1 {
		t.Errorf("image is %d×%d pixels, want about %d×%d", bb.Dx(), bb.Dy(), 2*want, want)
	}
	for _, bad := range [][]*plot.Plot{nil, {a, nil}} {
		if _, err := SideBySide(bad, 10*vg.Centimeter, 10*vg.Centimeter); err == nil {
			t.Errorf("SideBySide(%d plots with a nil or none): no error", len(bad))
		}
	}
}

func TestPanels(t *testing.T) {
	var plots []*plot.Plot
	for i := range 3 {
		p, err := AccumulatedAccuracyPlot(fmt.Sprint(i), []Curve{{Name: "x", Accuracy: ramp(10)}})
		if err != nil {
			t.Fatal(err)
		}
		plots = append(plots, p)
	}
	data, err := Panels(plots, 2, 10*vg.Centimeter, 5*vg.Centimeter)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	w, h := int(math.Round(10/2.54*96)), int(math.Round(5/2.54*96))
	if bb := img.Bounds(); abs(bb.Dx()-2*w) > 1 || abs(bb.Dy()-2*h) > 1 {
		t.Errorf("3 panels in 2 columns: %d×%d pixels, want about %d×%d", bb.Dx(), bb.Dy(), 2*w, 2*h)
	}
	if _, err := Panels(plots, 0, 10*vg.Centimeter, 5*vg.Centimeter); err == nil {
		t.Error("no columns: no error")
	}
}

// TestLegendBeside checks that PNG keeps the legend off the axes: the data area shrinks by the
// legend's width, and a series paired with its dashed counterpart has one entry (plus one
// entry for all dashed lines).
func TestLegendBeside(t *testing.T) {
	series := []Series{{Name: "ours", Labels: []int{10, 1000}, Values: []float64{0.05, 0.05}},
		{Name: "ours, paper", Labels: []int{10, 1000}, Values: []float64{0.5, 0.5}, Dashed: true}}
	p, err := VsLabelsPlot("t", "y", series)
	if err != nil {
		t.Fatal(err)
	}
	c := draw.New(vgimg.New(10*vg.Centimeter, 10*vg.Centimeter))
	one := p.Legend
	one.Padding = 0
	single, err := VsLabelsPlot("t", "y", series[:1])
	if err != nil {
		t.Fatal(err)
	}
	h2, h1 := one.Rectangle(c).Size().Y, single.Legend.Rectangle(c).Size().Y
	if math.Abs(float64(h2/h1)-2) > 0.01 {
		t.Errorf("legend of a pair is %.2f entries high, want 2 (the series and the dashed note)", h2/h1)
	}
	// The solid series runs at 5 %, low in the image, from the axis's left to its right end;
	// the legend sits at the top. With the legend beside the axes, the series' colour in the
	// lower half of the image stops short of the legend's column.
	data, err := PNG(p, 10*vg.Centimeter, 10*vg.Centimeter)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title.Text != "t" || p.Legend.Top || p.Legend.TextStyle.Font.Size != one.TextStyle.Font.Size {
		t.Error("PNG left the plot's title or legend changed")
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	legendW := int(float64((p.Legend.Rectangle(c).Size().X + 2*legendGap) / vg.Inch * 96))
	line := palette[0]
	lastX := -1
	for y := img.Bounds().Dy() / 2; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			if sameColour(img.At(x, y), line) && x > lastX {
				lastX = x
			}
		}
	}
	if lastX < 0 || lastX >= img.Bounds().Dx()-legendW {
		t.Errorf("the series' colour reaches x = %d of %d; the legend column starts at %d", lastX, img.Bounds().Dx(), img.Bounds().Dx()-legendW)
	}
}

func sameColour(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	return r1>>8 == r2>>8 && g1>>8 == g2>>8 && b1>>8 == b2>>8
}
