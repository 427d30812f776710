package metric

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// The sRGB → CIE L*a*b* conversion of colorization (Zhang et al. 2016, §2.1; the paper's Eq. 3
// works in its ab plane): the sRGB transfer curve (IEC 61966-2-1), linear RGB → XYZ for the sRGB
// primaries, and XYZ → Lab relative to the D65 white, as in skimage's rgb2lab.
var (
	rgbToXYZ = [3][3]float64{
		{0.4124564, 0.3575761, 0.1804375},
		{0.2126729, 0.7151522, 0.0721750},
		{0.0193339, 0.1191920, 0.9503041},
	}
	whiteD65 = [3]float64{0.95047, 1, 1.08883}
)

// Constants of the sRGB transfer curve and of Lab's f(t) = t^(1/3) above (6/29)³, linear below.
const (
	srgbKnee  = 0.04045
	labDelta  = 6.0 / 29
	labDelta3 = labDelta * labDelta * labDelta
)

func srgbToLinear(c float64) float64 {
	if c <= srgbKnee {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

func labF(t float64) float64 {
	if t > labDelta3 {
		return math.Cbrt(t)
	}
	return t/(3*labDelta*labDelta) + 4.0/29
}

// labOf converts one sRGB colour in [0, 1]³ to (L, a, b).
func labOf(r, g, b float64) (float64, float64, float64) {
	lin := [3]float64{srgbToLinear(r), srgbToLinear(g), srgbToLinear(b)}
	var f [3]float64
	for c, row := range rgbToXYZ {
		f[c] = labF((row[0]*lin[0] + row[1]*lin[1] + row[2]*lin[2]) / whiteD65[c])
	}
	return 116*f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])
}

// RGBToLab converts sRGB colours in [0, 1] to CIE L*a*b* (D65): L in [0, 100], a and b roughly
// in [−86, 98] and [−108, 95] (Zhang et al. 2016, §2.1, the colour space of Eq. 3). rgb is
// channels-last (HWC or NHWC; one pixel is three consecutive values), and so is the result. A
// length not a multiple of 3, or a value outside [0, 1] or NaN, is an error.
func RGBToLab(rgb []float32) ([]float32, error) {
	if len(rgb)%3 != 0 {
		return nil, fmt.Errorf("RGBToLab: %d values is not a whole number of RGB pixels; want channels-last data with 3 channels", len(rgb))
	}
	for i, v := range rgb {
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("RGBToLab: value %g at %d (pixel %d) is outside [0, 1]; scale 8-bit images by 1/255", v, i, i/3)
		}
	}
	lab := make([]float32, len(rgb))
	for p := 0; p < len(rgb); p += 3 {
		l, a, b := labOf(float64(rgb[p]), float64(rgb[p+1]), float64(rgb[p+2]))
		lab[p], lab[p+1], lab[p+2] = float32(l), float32(a), float32(b)
	}
	return lab, nil
}

// RGBToLabGraph is RGBToLab in graph ops, for images augmented on the device: rgb [..., 3]
// (float) to Lab [..., 3]. It cannot return an error, so values are clipped to [0, 1] first
// (colour jitter may step out of range); it panics, like GoMLX, when the last axis is not 3.
// Both branches of the piecewise curves get safe inputs, so the gradient is finite too.
func RGBToLabGraph(rgb *graph.Node) *graph.Node {
	dims := rgb.Shape().Dimensions
	if rgb.Rank() < 1 || dims[len(dims)-1] != 3 {
		panic(fmt.Sprintf("RGBToLabGraph: want channels-last RGB [..., 3], got %s", rgb.Shape()))
	}
	x := graph.Reshape(graph.ClipScalar(rgb, 0, 1), -1, 3)
	p := x.Shape().Dimensions[0]
	high := graph.GreaterThan(x, graph.ConstAs(x, srgbKnee))
	curve := graph.PowScalar(graph.DivScalar(graph.AddScalar(graph.Where(high, x, graph.OnesLike(x)), 0.055), 1.055), 2.4)
	lin := graph.Where(high, curve, graph.DivScalar(x, 12.92))
	// XYZ/white as one product: column c of m is row c of rgbToXYZ over the white's c.
	m := [][]float64{make([]float64, 3), make([]float64, 3), make([]float64, 3)}
	for c := range 3 {
		for k := range 3 {
			m[k][c] = rgbToXYZ[c][k] / whiteD65[c]
		}
	}
	t := graph.Dot(lin, graph.ConstAs(x, m))
	cube := graph.GreaterThan(t, graph.ConstAs(t, labDelta3))
	root := graph.PowScalar(graph.Where(cube, t, graph.OnesLike(t)), 1.0/3)
	f := graph.Where(cube, root, graph.AddScalar(graph.DivScalar(t, 3*labDelta*labDelta), 4.0/29))
	// (L, a, b) = (fx, fy, fz)·A + (−16, 0, 0).
	a := [][]float64{{0, 500, 0}, {116, -500, 200}, {0, 0, -200}}
	lab := graph.Add(graph.Dot(f, graph.ConstAs(f, a)), graph.BroadcastToDims(graph.ConstAs(f, [][]float64{{-16, 0, 0}}), p, 3))
	return graph.Reshape(lab, dims...)
}
