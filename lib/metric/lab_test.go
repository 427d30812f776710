package metric

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Published sRGB (D65) → Lab values (e.g. Lindbloom's calculator, skimage.color.rgb2lab).
var labKnown = []struct {
	name    string
	rgb     [3]float32
	l, a, b float64
}{
	{"white", [3]float32{1, 1, 1}, 100, 0, 0},
	{"black", [3]float32{0, 0, 0}, 0, 0, 0},
	{"red", [3]float32{1, 0, 0}, 53.24, 80.09, 67.20},
	{"green", [3]float32{0, 1, 0}, 87.73, -86.18, 83.18},
	{"blue", [3]float32{0, 0, 1}, 32.30, 79.19, -107.86},
	{"yellow", [3]float32{1, 1, 0}, 97.14, -21.55, 94.48},
	{"cyan", [3]float32{0, 1, 1}, 91.11, -48.09, -14.13},
	{"magenta", [3]float32{1, 0, 1}, 60.32, 98.23, -60.82},
	{"grey 0.5", [3]float32{0.5, 0.5, 0.5}, 53.39, 0, 0},
}

func TestRGBToLabKnownColours(t *testing.T) {
	var rgb []float32
	for _, c := range labKnown {
		rgb = append(rgb, c.rgb[:]...)
	}
	lab, err := RGBToLab(rgb)
	if err != nil {
		t.Fatal(err)
	}
	graphLab := tensors.MustCopyFlatData[float32](graph.MustExecOnce(testBackend(t), RGBToLabGraph,
		tensors.FromFlatDataAndDimensions(rgb, len(labKnown), 3)))
	for i, c := range labKnown {
		for name, got := range map[string][]float32{"RGBToLab": lab[3*i : 3*i+3], "RGBToLabGraph": graphLab[3*i : 3*i+3]} {
			if math.Abs(float64(got[0])-c.l) > 0.05 || math.Abs(float64(got[1])-c.a) > 0.05 || math.Abs(float64(got[2])-c.b) > 0.05 {
				t.Errorf("%s(%s) = %v, want (%g, %g, %g)", name, c.name, got, c.l, c.a, c.b)
			}
		}
	}
}

// The graph version against the Go one on random colours, values at the sRGB knee and on both
// sides of Lab's cube-root threshold (greys of 0.0921 and 0.0923: Y = 0.008856 at 0.0922), on an
// image-shaped [2, 4, 4, 3] input.
func TestRGBToLabGraphMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rgb := make([]float32, 2*4*4*3)
	for i := range rgb {
		rgb[i] = rng.Float32()
	}
	copy(rgb, []float32{srgbKnee, srgbKnee, srgbKnee, 0.0921, 0.0921, 0.0921, 0.0923, 0.0923, 0.0923, 1e-4, 0, 1})
	want, err := RGBToLab(rgb)
	if err != nil {
		t.Fatal(err)
	}
	out := graph.MustExecOnceN(testBackend(t), func(x *graph.Node) []*graph.Node {
		lab := RGBToLabGraph(x)
		return []*graph.Node{lab, graph.Gradient(graph.ReduceAllSum(lab), x)[0]}
	}, tensors.FromFlatDataAndDimensions(rgb, 2, 4, 4, 3))
	if got := out[0].Shape().Dimensions; len(got) != 4 || got[3] != 3 {
		t.Fatalf("RGBToLabGraph shape %v, want [2 4 4 3]", got)
	}
	got := tensors.MustCopyFlatData[float32](out[0])
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 2e-3 {
			t.Fatalf("value %d: graph %g, Go %g", i, got[i], want[i])
		}
	}
	for i, g := range tensors.MustCopyFlatData[float32](out[1]) {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("gradient %d is %g, want finite", i, g)
		}
	}
}

func TestRGBToLabErrors(t *testing.T) {
	for _, tc := range []struct {
		rgb  []float32
		want string
	}{
		{[]float32{0, 0, 0, 1}, "whole number of RGB pixels"},
		{[]float32{0, 1.5, 0}, "outside [0, 1]"},
		{[]float32{-0.1, 0, 0}, "outside [0, 1]"},
		{[]float32{0, 0, float32(math.NaN())}, "outside [0, 1]"},
	} {
		if _, err := RGBToLab(tc.rgb); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RGBToLab(%v) error %v, want one containing %q", tc.rgb, err, tc.want)
		}
	}
}
