package report

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
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
