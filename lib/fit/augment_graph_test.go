package fit

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// augmentImages returns n seeded h×w×c images, as uint8 and as float32 in [0, 1].
func augmentImages(n, h, w, c int) ([][]uint8, []float32) {
	rng := rand.New(rand.NewPCG(9, 9))
	var src [][]uint8
	var flat []float32
	for range n {
		img := make([]uint8, h*w*c)
		for i := range img {
			img[i] = uint8(rng.IntN(256))
			flat = append(flat, float32(img[i])/255)
		}
		src = append(src, img)
	}
	return src, flat
}

// TestRenderGraphMatchesHost renders views drawn on the host both on the host (view.render,
// what Batches uses) and in the graph (renderGraph, what AugmentGraph uses), for each kind of
// view: the two must agree to float32 rounding.
func TestRenderGraphMatchesHost(t *testing.T) {
	backend := testBackend(t)
	for _, tc := range []struct {
		name    string
		a       Augment
		h, w, c int
	}{
		{"flip", Augment{Flip: true}, 5, 6, 1},
		{"pad and flip", Augment{Pad: 2, Flip: true}, 6, 5, 3},
		{"authors' views", Augment{CropScale: 0.2, Flip: true, Jitter: 0.4, Grayscale: 0.5}, 8, 7, 3},
		{"crop, gray images", Augment{CropScale: 0.3, Jitter: 0.4}, 7, 7, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 12
			src, flat := augmentImages(n, tc.h, tc.w, tc.c)
			rng := rand.New(rand.NewPCG(1, 2))
			size := tc.h * tc.w * tc.c
			want := make([]float32, n*size)
			cols := make([][]float32, 8)
			for i := range n {
				v := tc.a.draw(rng, tc.h, tc.w, tc.c)
				v.render(src[i], want[i*size:(i+1)*size], tc.h, tc.w, tc.c, tc.a.Jitter > 0)
				for k, x := range []float64{v.Y0, v.X0, v.BH, v.BW, b2f(v.Flip), v.Brightness, v.Contrast, b2f(v.Gray)} {
					cols[k] = append(cols[k], float32(x))
				}
			}
			var params []*tensors.Tensor
			for _, col := range cols {
				params = append(params, tensors.FromFlatDataAndDimensions(col, n))
			}
			inputs := append([]any{tensors.FromFlatDataAndDimensions(flat, n, tc.h, tc.w, tc.c)}, anySlice(params)...)
			got := graph.MustExecOnceN(backend, func(x []*graph.Node) []*graph.Node {
				v := viewNodes{Y0: x[1], X0: x[2], BH: x[3], BW: x[4], Flip: x[5], Brightness: x[6], Contrast: x[7], Gray: x[8]}
				return []*graph.Node{renderGraph(x[0], v, tc.a)}
			}, inputs...)
			out := tensors.MustCopyFlatData[float32](got[0])
			for i := range want {
				if math.Abs(float64(out[i]-want[i])) > 2e-6 {
					t.Fatalf("value %d (image %d): graph %v, host %v", i, i/size, out[i], want[i])
				}
			}
		})
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func anySlice(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

// TestAugmentGraph: in a training graph the views are random (flips of about half the images,
// crops) and follow the context's seed (two contexts with one seed draw the same views, and a
// second call draws new ones); an inference graph gets the images unchanged.
func TestAugmentGraph(t *testing.T) {
	backend := testBackend(t)
	const n, h, w, c = 64, 6, 6, 3
	_, flat := augmentImages(n, h, w, c)
	images := tensors.FromFlatDataAndDimensions(flat, n, h, w, c)
	a := Augment{CropScale: 0.2, Flip: true, Jitter: 0.4, Grayscale: 0.2}
	run := func(seed uint64, training bool, calls int) [][]float32 {
		ctx := context.New()
		Seed(ctx, seed)
		exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
			ctx.SetTraining(x.Graph(), training)
			return AugmentGraph(ctx, x, a)
		})
		var out [][]float32
		for range calls {
			out = append(out, tensors.MustCopyFlatData[float32](exec.MustExec(images)[0]))
		}
		return out
	}
	first, again, other := run(1, true, 2), run(1, true, 1), run(2, true, 1)
	if !slices.Equal(first[0], again[0]) {
		t.Error("one seed drew different views in two contexts")
	}
	if slices.Equal(first[0], first[1]) || slices.Equal(first[0], other[0]) {
		t.Error("a second call, or another seed, drew the same views")
	}
	if slices.Equal(first[0], flat) {
		t.Error("training views equal the images")
	}
	for _, v := range first[0] {
		if v < 0 || v > 1 || math.IsNaN(float64(v)) {
			t.Fatalf("a view holds %v, outside [0, 1]", v)
		}
	}
	if inf := run(1, false, 1); !slices.Equal(inf[0], flat) {
		t.Error("an inference graph changed the images")
	}
}
