package nets

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestBFloat16Precision computes, from the same weights, in float32 and in bfloat16 mixed
// precision: a Conv2D's output and the gradient of a random projection of it with respect to
// its kernel, and the features of a WRN (depth 10, width 1). Each pair must agree to within
// bfloat16's precision (8 bits of mantissa: a relative L2 difference of a few 1e-3) and must
// not be equal, which would mean that nothing was rounded; the kernels stay float32, the
// optimiser's master copy. (The WRN's gradients are left out: through batch norm, which makes
// the output blind to a kernel's scale, they are small differences of large terms.)
func TestBFloat16Precision(t *testing.T) {
	backend := testBackend(t)
	images := tensors.FromFlatDataAndDimensions(randomImages(4, 8, 8, 3, 1), 4, 8, 8, 3)
	projection := tensors.FromFlatDataAndDimensions(randomImages(4, 8, 8, 16, 2), 4, 8, 8, 16)
	run := func(p Precision, model func(ctx *context.Context, x, r *graph.Node) []*graph.Node) [][]float32 {
		ctx := context.New()
		ctx.SetParam(ParamWRNDepth, 10)
		ctx.SetParam(ParamWRNWidth, 1)
		ctx.SetParam(ParamConvImpl, string(ConvPatches))
		ctx.SetParam(ParamPrecision, string(p))
		ctx.SetParam(context.ParamInitialSeed, int64(1))
		exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x, r *graph.Node) []*graph.Node {
			ctx.SetTraining(x.Graph(), true)
			out := model(ctx, x, r)
			for v := range ctx.IterVariables() {
				if v.Name() == "weights" && v.Shape().DType.String() != "Float32" {
					t.Errorf("%s: kernel %s stored as %s", p, v.ScopeAndName(), v.Shape().DType)
				}
			}
			return out
		})
		var vals [][]float32
		for _, o := range exec.MustExec(images, projection) {
			vals = append(vals, tensors.MustCopyFlatData[float32](o))
		}
		return vals
	}
	conv := func(ctx *context.Context, x, r *graph.Node) []*graph.Node {
		y := Conv2D(ctx.In("conv"), x, 16, 3)
		kernel := ctx.InspectVariable("/conv", "weights")
		g := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), kernel.ValueGraph(x.Graph()))[0]
		return []*graph.Node{y, g}
	}
	wrn := func(ctx *context.Context, x, _ *graph.Node) []*graph.Node { return []*graph.Node{WRN(ctx, x)} }
	for _, tc := range []struct {
		name  string
		model func(ctx *context.Context, x, r *graph.Node) []*graph.Node
		what  []string
	}{{"conv", conv, []string{"output", "kernel gradient"}}, {"wrn", wrn, []string{"features"}}} {
		f32, bf16 := run(Float32, tc.model), run(BFloat16, tc.model)
		for i, what := range tc.what {
			d, scale := 0.0, 0.0
			for j := range f32[i] {
				d += math.Pow(float64(f32[i][j]-bf16[i][j]), 2)
				scale += math.Pow(float64(f32[i][j]), 2)
			}
			if rel := math.Sqrt(d / scale); !(rel > 1e-5 && rel < 0.02) {
				t.Errorf("%s %s: bfloat16 differs from float32 by %.2g (relative L2), want between 1e-5 and 0.02", tc.name, what, rel)
			}
		}
	}
	if err := CheckPrecision("float16"); err == nil {
		t.Error("float16 was accepted")
	}
}

// randomImages returns n h×w×c seeded values in [0, 1).
func randomImages(n, h, w, c int, seed uint64) []float32 {
	out := make([]float32, n*h*w*c)
	x := seed
	for i := range out {
		x = x*6364136223846793005 + 1442695040888963407
		out[i] = float32(x>>40) / float32(1<<24)
	}
	return out
}
