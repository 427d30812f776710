package train

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestConsistencyTermsByHand checks each unsupervised term on logits whose softmax is simple:
// [0, ln 3] gives p = (1/4, 3/4), [0, 0] gives q = (1/2, 1/2), [ln 2, 0, 0] gives (1/2, 1/4, 1/4).
func TestConsistencyTermsByHand(t *testing.T) {
	ln2, ln3 := math.Log(2), math.Log(3)
	for _, tc := range []struct {
		name string
		fn   func(a, b *graph.Node) *graph.Node
		a, b [][]float32
		want []float64
	}{
		// ((1/4 − 1/2)² + (3/4 − 1/2)²) / 2 classes; identical outputs cost nothing.
		{"mse", SoftmaxMSE, [][]float32{{0, float32(ln3)}, {1, 2}}, [][]float32{{0, 0}, {1, 2}}, []float64{0.0625, 0}},
		// KL(p ‖ q) = 1/4 ln(1/2) + 3/4 ln(3/2); KL(q ‖ p) = 1/2 ln 2 + 1/2 ln(2/3).
		{"kl", SoftmaxKL, [][]float32{{0, float32(ln3)}, {0, 0}}, [][]float32{{0, 0}, {0, float32(ln3)}},
			[]float64{0.25*math.Log(0.5) + 0.75*math.Log(1.5), 0.5*ln2 + 0.5*math.Log(2.0/3)}},
		// Entropy (b unused): −(1/4 ln 1/4 + 3/4 ln 3/4); uniform over 2: ln 2.
		{"entropy", func(a, _ *graph.Node) *graph.Node { return SoftmaxEntropy(a) },
			[][]float32{{0, float32(ln3)}, {5, 5}}, [][]float32{{0, 0}, {0, 0}}, []float64{0.25*math.Log(4) + 0.75*math.Log(4.0/3), ln2}},
		// Three classes: (1/2, 1/4, 1/4) against uniform.
		{"mse-3", SoftmaxMSE, [][]float32{{float32(ln2), 0, 0}}, [][]float32{{0, 0, 0}}, []float64{(1.0/36 + 2.0/144) / 3}},
		{"kl-3", SoftmaxKL, [][]float32{{float32(ln2), 0, 0}}, [][]float32{{0, 0, 0}}, []float64{0.5*math.Log(1.5) + 0.5*math.Log(0.75)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := graph.MustExecOnce(testBackend(t), tc.fn, tensors.FromValue(tc.a), tensors.FromValue(tc.b)).Value().([]float32)
			if len(got) != len(tc.want) {
				t.Fatalf("%d values, want %d (one per example)", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if math.Abs(float64(got[i])-w) > 1e-6 {
					t.Errorf("example %d: %g, by hand %g", i, got[i], w)
				}
			}
		})
	}
}

func TestRampUp(t *testing.T) {
	for _, tc := range []struct {
		step, steps int
		want        float64
	}{
		{0, 100, math.Exp(-5)},
		{50, 100, math.Exp(-1.25)},
		{90, 100, math.Exp(-0.05)},
		{100, 100, 1},
		{250, 100, 1},
		{0, 0, 1}, // no ramp-up
	} {
		if got := RampUp(tc.step, tc.steps); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("RampUp(%d, %d) = %g, want %g", tc.step, tc.steps, got, tc.want)
		}
		got := graph.MustExecOnce(testBackend(t), func(step *graph.Node) *graph.Node {
			return rampUpGraph(step, tc.steps)
		}, tensors.FromScalar(int64(tc.step))).Value().(float32)
		if math.Abs(float64(got)-tc.want) > 1e-6 {
			t.Errorf("in the graph, ramp-up at step %d of %d = %g, want %g", tc.step, tc.steps, got, tc.want)
		}
	}
}

// TestViewIsATranslationAndFlip draws many views of one image and checks each against every
// translation by up to pad pixels (zero border) and flip, built on the host: each view must be
// one of them, and more than a few of the 2·(2·pad+1)² must occur.
func TestViewIsATranslationAndFlip(t *testing.T) {
	const h, w, c, pad, n = 5, 6, 2, 1, 64
	img := make([]float32, h*w*c)
	for i := range img {
		img[i] = float32(i + 1)
	}
	batch := make([]float32, 0, n*len(img))
	for range n {
		batch = append(batch, img...)
	}
	backend := testBackend(t)
	ctx := newTestContext(7)
	for _, flip := range []bool{false, true} {
		exec := mustContextExec(t, backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
			return view(ctx, x, pad, flip, 0)
		})
		out := tensors.MustCopyFlatData[float32](exec(tensors.FromFlatDataAndDimensions(batch, n, h, w, c)))
		type transform struct {
			dy, dx int
			flip   bool
		}
		seen := map[transform]bool{}
		for k := range n {
			got := out[k*len(img) : (k+1)*len(img)]
			found := false
			for dy := -pad; dy <= pad && !found; dy++ {
				for dx := -pad; dx <= pad && !found; dx++ {
					for _, f := range []bool{false, true} {
						if f && !flip {
							continue
						}
						if equalFloats(got, shiftFlip(img, h, w, c, dy, dx, f)) {
							seen[transform{dy, dx, f}] = true
							found = true
							break
						}
					}
				}
			}
			if !found {
				t.Fatalf("flip=%v: view %d is no translation by ≤ %d pixels (nor its flip) of the image", flip, k, pad)
			}
		}
		want := (2*pad + 1) * (2*pad + 1)
		if flip {
			want *= 2
		}
		if len(seen) < want/2 {
			t.Errorf("flip=%v: %d distinct views of %d possible in %d draws", flip, len(seen), want, n)
		}
	}
}

// shiftFlip is view's transform by hand: out(y, x) = img(y+dy, x+dx), zero outside, then
// mirrored left-right when flip.
func shiftFlip(img []float32, h, w, c, dy, dx int, flip bool) []float32 {
	out := make([]float32, len(img))
	for y := range h {
		for x := range w {
			sy, sx := y+dy, x+dx
			ox := x
			if flip {
				ox = w - 1 - x
			}
			for ch := range c {
				if sy >= 0 && sy < h && sx >= 0 && sx < w {
					out[(y*w+ox)*c+ch] = img[(sy*w+sx)*c+ch]
				}
			}
		}
	}
	return out
}

func equalFloats(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestViewNoise checks the added noise's standard deviation.
func TestViewNoise(t *testing.T) {
	const n, size = 64, 8
	backend := testBackend(t)
	exec := mustContextExec(t, backend, newTestContext(3), func(ctx *context.Context, x *graph.Node) *graph.Node {
		return view(ctx, x, 0, false, 0.15)
	})
	out := tensors.MustCopyFlatData[float32](exec(tensors.FromShape(shapes.Make(dtypes.Float32, n, size, size, 1))))
	var sum, sq float64
	for _, v := range out {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	mean := sum / float64(len(out))
	std := math.Sqrt(sq/float64(len(out)) - mean*mean)
	if math.Abs(mean) > 0.01 || math.Abs(std-0.15) > 0.01 {
		t.Errorf("noise mean %.4f, std %.4f; want 0 and 0.15", mean, std)
	}
}
