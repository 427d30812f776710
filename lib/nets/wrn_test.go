package nets

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/backendtest"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// wrnBackend is the pure-Go backend running one op at a time. With its default parallel op
// execution, GoMLX v0.26.0's simplego deadlocks on graphs with parallel branches (the WRN's
// shortcuts) when it has few CPUs: every pool slot is held by an op that waits for a slot for
// its own matrix-product workers (seen in about half the runs on 2 cores).
func wrnBackend(t testing.TB) backends.Backend { return backendtest.New(t, "go:ops_sequential") }

// wrnParamCount counts the trainable parameters of WRN-depth-k with a linear head by the
// architecture's closed form: an independent reference for the graph's variables.
func wrnParamCount(depth, k, classes int, convBias bool) int {
	conv := func(cin, cout, ks int) int {
		p := ks * ks * cin * cout
		if convBias {
			p += cout
		}
		return p
	}
	bn := func(c int) int { return 2 * c } // scale and offset; the running averages are not trained.
	n := (depth - 4) / 6
	p := conv(3, 16, 3)
	cin := 16
	for _, cout := range []int{16 * k, 32 * k, 64 * k} {
		for b := 0; b < n; b++ {
			p += bn(cin) + conv(cin, cout, 3) + bn(cout) + conv(cout, cout, 3)
			if cin != cout {
				p += conv(cin, cout, 1)
			}
			cin = cout
		}
	}
	return p + bn(cin) + cin*classes + classes
}

// The graph's trainable variables must match the closed form, and the bias-free count the
// published sizes (WRN-28-2 ≈ 1.5M, WRN-28-10 ≈ 36.5M). Only the graph is built: no variable
// is initialised and nothing runs, so even WRN-28-10 takes well under a second.
func TestWRNParameterCount(t *testing.T) {
	backend := wrnBackend(t)
	cases := []struct {
		depth, k         int
		want, wantNoBias int // exact counts, with Conv2D's biases and without
		published        float64
	}{
		{28, 2, 1_469_642, 1_467_610, 1.47e6},
		{28, 10, 36_489_290, 36_479_194, 36.5e6},
		{10, 1, 0, 0, 0}, // the closed form alone: the identity shortcut of group 0
	}
	for _, c := range cases {
		ctx := context.New()
		ctx.SetParam(ParamWRNDepth, c.depth)
		ctx.SetParam(ParamWRNWidth, c.k)
		ctx.SetParam(ParamConvImpl, string(ConvNative))
		g := graph.NewGraph(backend, "wrn_shapes")
		x := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 1, 32, 32, 3))
		ClassifyWRN(ctx, x, 10).AssertDims(1, 10)
		got := 0
		for v := range ctx.IterVariables() {
			if v.Trainable {
				got += v.Shape().Size()
			}
		}
		g.Finalize()
		if want := wrnParamCount(c.depth, c.k, 10, true); got != want {
			t.Errorf("WRN-%d-%d: graph has %d trainable parameters, closed form %d", c.depth, c.k, got, want)
		}
		if c.want == 0 {
			continue
		}
		if got != c.want {
			t.Errorf("WRN-%d-%d: %d trainable parameters, want %d", c.depth, c.k, got, c.want)
		}
		noBias := wrnParamCount(c.depth, c.k, 10, false)
		if noBias != c.wantNoBias || math.Abs(float64(noBias)-c.published)/c.published > 0.01 {
			t.Errorf("WRN-%d-%d without conv biases: %d parameters, want %d (published ≈ %.3g)",
				c.depth, c.k, noBias, c.wantNoBias, c.published)
		}
	}
}

// Both convolution implementations must give the same network: the stride-2 convolutions
// (native stride vs. full convolution then Subsample2) and the stride-2 shortcuts included. An
// odd image side (9 → 5 → 3) checks the ceil-mode rounding.
func TestWRNPatchesMatchesNative(t *testing.T) {
	backend := wrnBackend(t)
	const b, side = 2, 9
	x := tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(11, 12)), b*side*side*3), b, side, side, 3)
	ctx := context.New()
	ctx.SetParam(ParamWRNDepth, 10)
	ctx.SetParam(ParamWRNWidth, 1)
	model := func(ctx *context.Context, x *graph.Node) *graph.Node { return ClassifyWRN(ctx, x, 5) }
	assertPatchesMatchNative(t, backend, ctx, model, x, "WRN-10-1")
}

// ParamBatchNormImpl must reach every batch norm: the backend's fused op, which the pure-Go
// backend lacks, makes building the training graph fail there.
func TestWRNBatchNormImplIsRead(t *testing.T) {
	backend := wrnBackend(t)
	for _, c := range []struct {
		impl    BatchNormImpl
		wantErr bool
	}{{BatchNormGraph, false}, {BatchNormBackend, true}} {
		ctx := context.New()
		ctx.SetParam(ParamWRNDepth, 10)
		ctx.SetParam(ParamWRNWidth, 1)
		ctx.SetParam(ParamBatchNormImpl, string(c.impl))
		x := tensors.FromFlatDataAndDimensions(make([]float32, 2*8*8*3), 2, 8, 8, 3)
		_, err := context.ExecOnce(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
			ctx.SetTraining(x.Graph(), true)
			return ClassifyWRN(ctx, x, 10)
		}, x)
		if (err != nil) != c.wantErr || (err != nil && !strings.Contains(err.Error(), "BatchNorm")) {
			t.Errorf("batch norm %q on the pure-Go backend: error %v, want an error about BatchNorm: %v", c.impl, err, c.wantErr)
		}
	}
}

func TestSubsample2(t *testing.T) {
	backend := wrnBackend(t)
	for _, c := range []struct{ h, w int }{{4, 4}, {5, 3}, {1, 1}} {
		const b, ch = 2, 3
		in := randSlice(rand.New(rand.NewPCG(13, 14)), b*c.h*c.w*ch)
		got := graph.MustExecOnce(backend, Subsample2, tensors.FromFlatDataAndDimensions(in, b, c.h, c.w, ch))
		oh, ow := (c.h+1)/2, (c.w+1)/2
		if d := got.Shape().Dimensions; d[1] != oh || d[2] != ow {
			t.Fatalf("%dx%d: Subsample2 shape %v, want [%d %d %d %d]", c.h, c.w, d, b, oh, ow, ch)
		}
		flat := tensors.MustCopyFlatData[float32](got)
		for i := 0; i < b; i++ {
			for y := 0; y < oh; y++ {
				for x := 0; x < ow; x++ {
					for k := 0; k < ch; k++ {
						want := in[((i*c.h+2*y)*c.w+2*x)*ch+k]
						if g := flat[((i*oh+y)*ow+x)*ch+k]; g != want {
							t.Fatalf("%dx%d: [%d %d %d %d] = %g, want %g", c.h, c.w, i, y, x, k, g, want)
						}
					}
				}
			}
		}
	}
}

// The pure-Go backend must be able to train the WRN: every gradient exists and is finite.
func TestWRNGradientsOnPureGo(t *testing.T) {
	backend := wrnBackend(t)
	ctx := context.New()
	ctx.SetParam(ParamWRNDepth, 10)
	ctx.SetParam(ParamWRNWidth, 1)
	x := tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(15, 16)), 2*8*8*3), 2, 8, 8, 3)
	grads := context.MustExecOnceN(backend, ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
		ctx.SetTraining(x.Graph(), true)
		loss := graph.ReduceAllMean(graph.Square(ClassifyWRN(ctx, x, 10)))
		return ctx.BuildTrainableVariablesGradientsGraph(loss)
	}, x)
	if len(grads) == 0 {
		t.Fatal("no gradients")
	}
	assertFiniteGradients(t, grads)
}

// BenchmarkWRNTrainStep times forward and backward of WRN-28-2 on 8 CIFAR-sized images on the
// pure-Go backend (the GPU throughput is measured by lib/cmd/gpubench).
func BenchmarkWRNTrainStep(b *testing.B) {
	benchTrainStep(b, context.New(), func(ctx *context.Context, x *graph.Node) *graph.Node { return ClassifyWRN(ctx, x, 10) }, 8, 17)
}

// Conv-4 with 64 channels, the few-shot backbone, has the published ≈113k parameters: four
// blocks of a 3×3 convolution (with Conv2D's bias) and a batch norm (scale and offset),
// 3·64·9+64 + 2·64 + 3·(64·64·9+64 + 2·64) = 113,088. The count does not depend on the image
// size, the classifier's would, so only the backbone is counted, on one 84×84 image; only the
// graph is built.
func TestConv4ParameterCount(t *testing.T) {
	const want, published = 113_088, 113e3
	backend := wrnBackend(t)
	ctx := context.New()
	ctx.SetParam(ParamChannels, 64)
	g := graph.NewGraph(backend, "conv4_params")
	x := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 1, 84, 84, 3))
	Conv4(ctx, x).AssertDims(1, 6*6*64)
	g.Finalize()
	got := trainableParams(ctx)
	if got != want || math.Abs(float64(got)-published)/published > 0.01 {
		t.Errorf("Conv-4 (64 channels): %d trainable parameters, want %d (published ≈ %.3g)", got, want, published)
	}
}
