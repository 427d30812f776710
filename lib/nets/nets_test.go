package nets

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/metric-transfer/mtlp/lib/backendtest"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func testBackend(t testing.TB) backends.Backend { return backendtest.New(t, "go") }

func randSlice(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// The patch formulation must equal the backend's own convolution (forward, which the pure-Go
// backend does implement) for every shape we use.
func TestConv2DPatchesMatchesNative(t *testing.T) {
	backend := testBackend(t)
	cases := []struct{ b, h, w, cin, cout, k int }{
		{1, 5, 5, 1, 2, 3},
		{2, 7, 6, 3, 4, 3},
		{3, 4, 4, 2, 5, 5},
	}
	for _, c := range cases {
		rng := rand.New(rand.NewPCG(1, 2))
		x := tensors.FromFlatDataAndDimensions(randSlice(rng, c.b*c.h*c.w*c.cin), c.b, c.h, c.w, c.cin)
		var outs [2][]float32
		for i, impl := range []ConvImpl{ConvPatches, ConvNative} {
			ctx := context.New()
			ctx.SetParam(ParamConvImpl, string(impl))
			exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
				return Conv2D(ctx.In("conv"), x, c.cout, c.k)
			})
			// Same weights for both: set them explicitly.
			exec.MustExec(x)
			w := ctx.In("conv").GetVariable("weights")
			w.MustSetValue(tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(3, 4)), c.k*c.k*c.cin*c.cout), c.k, c.k, c.cin, c.cout))
			outs[i] = tensors.MustCopyFlatData[float32](exec.MustExec(x)[0])
		}
		for j := range outs[0] {
			if d := math.Abs(float64(outs[0][j] - outs[1][j])); d > 1e-4 {
				t.Fatalf("case %+v: output %d: patches %g vs native %g", c, j, outs[0][j], outs[1][j])
			}
		}
	}
}

// The registered gradient of Dot must match central finite differences.
func TestDotGradientFiniteDifferences(t *testing.T) {
	backend := testBackend(t)
	rng := rand.New(rand.NewPCG(5, 6))
	const m, k, n = 3, 4, 2
	a := make([]float64, m*k)
	b := make([]float64, k*n)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	// loss = sum(sin(A·B)), so the adjoint is not constant.
	lossOf := func(a, b []float64) float64 {
		s := 0.0
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				d := 0.0
				for l := 0; l < k; l++ {
					d += a[i*k+l] * b[l*n+j]
				}
				s += math.Sin(d)
			}
		}
		return s
	}
	grads := graph.MustExecOnceN(backend, func(a, b *graph.Node) []*graph.Node {
		loss := graph.ReduceAllSum(graph.Sin(graph.Dot(a, b)))
		return graph.Gradient(loss, a, b)
	}, tensors.FromFlatDataAndDimensions(a, m, k), tensors.FromFlatDataAndDimensions(b, k, n))
	for gi, p := range [][]float64{a, b} {
		got := tensors.MustCopyFlatData[float64](grads[gi])
		for i := range p {
			const eps = 1e-6
			orig := p[i]
			p[i] = orig + eps
			up := lossOf(a, b)
			p[i] = orig - eps
			down := lossOf(a, b)
			p[i] = orig
			want := (up - down) / (2 * eps)
			if math.Abs(got[i]-want) > 1e-6 {
				t.Errorf("d loss/d %c[%d] = %g, finite differences %g", "AB"[gi], i, got[i], want)
			}
		}
	}
}

func TestMaxPool2(t *testing.T) {
	backend := testBackend(t)
	// One 3×3 single-channel image: ceil-mode pooling pads with zeros to 4×4.
	x := tensors.FromFlatDataAndDimensions([]float32{1, 5, 2, 3, 4, 0, 7, 0, 6}, 1, 3, 3, 1)
	got := tensors.MustCopyFlatData[float32](graph.MustExecOnce(backend, MaxPool2, x))
	want := []float32{5, 2, 7, 6}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("MaxPool2 = %v, want %v", got, want)
		}
	}
}

func TestEmbedAndClassifyShapes(t *testing.T) {
	backend := testBackend(t)
	ctx := context.New()
	ctx.SetParam(ParamChannels, 8)
	ctx.SetParam(ParamEmbeddingDim, 16)
	x := tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(7, 8)), 2*28*28), 2, 28, 28, 1)
	outs := context.MustExecOnceN(backend, ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
		return []*graph.Node{Embed(ctx.In("metric"), x), Classify(ctx.In("classifier"), x, 10)}
	}, x)
	emb := tensors.MustCopyFlatData[float32](outs[0])
	if got := outs[0].Shape().Dimensions; got[0] != 2 || got[1] != 16 {
		t.Fatalf("Embed shape %v, want [2 16]", got)
	}
	for r := 0; r < 2; r++ {
		n := 0.0
		for _, v := range emb[r*16 : (r+1)*16] {
			n += float64(v) * float64(v)
		}
		if math.Abs(n-1) > 1e-4 {
			t.Errorf("embedding row %d has squared norm %g, want 1", r, n)
		}
	}
	if got := outs[1].Shape().Dimensions; got[0] != 2 || got[1] != 10 {
		t.Fatalf("Classify shape %v, want [2 10]", got)
	}
}

// BenchmarkConv4TrainStep times forward and backward of Conv-4 (32 channels) on a batch of
// 64 28×28 images, the hot path of every training run here.
func BenchmarkConv4TrainStep(b *testing.B) {
	for _, impl := range []ConvImpl{ConvPatches} {
		b.Run(string(impl), func(b *testing.B) {
			backend := testBackend(b)
			ctx := context.New()
			ctx.SetParam(ParamChannels, 32)
			ctx.SetParam(ParamConvImpl, string(impl))
			exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
				loss := graph.ReduceAllMean(graph.Square(Classify(ctx, x, 10)))
				grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
				for _, g := range grads {
					loss = graph.Add(loss, graph.ReduceAllSum(g))
				}
				return loss
			})
			x := tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(9, 9)), 64*28*28), 64, 28, 28, 1)
			exec.MustExec(x)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				exec.MustExec(x)
			}
			b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// assertFiniteGradients fails the test when a gradient tensor holds a NaN or an infinity.
func assertFiniteGradients(t *testing.T, grads []*tensors.Tensor) {
	t.Helper()
	for i, g := range grads {
		for _, v := range tensors.MustCopyFlatData[float32](g) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("gradient %d (%s) is not finite", i, g.Shape())
			}
		}
	}
}

// benchTrainStep times forward and backward of classify on batch random 32×32×3 images on the
// pure-Go backend (one warm-up step first) and reports images per second.
func benchTrainStep(b *testing.B, ctx *context.Context, classify func(*context.Context, *graph.Node) *graph.Node, batch int, seed uint64) {
	exec := context.MustNewExec(wrnBackend(b), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		ctx.SetTraining(x.Graph(), true)
		loss := graph.ReduceAllMean(graph.Square(classify(ctx, x)))
		for _, g := range ctx.BuildTrainableVariablesGradientsGraph(loss) {
			loss = graph.Add(loss, graph.ReduceAllSum(g))
		}
		return loss
	})
	x := tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(seed, seed+1)), batch*32*32*3), batch, 32, 32, 3)
	exec.MustExec(x)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		exec.MustExec(x)
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
}

// assertPatchesMatchNative runs model on x with GoMLX's native convolution and with Conv2D's
// patches (the two share the variables of ctx) and fails when the outputs differ by more
// than 1e-4 of their scale.
func assertPatchesMatchNative(t *testing.T, backend backends.Backend, ctx *context.Context, model func(*context.Context, *graph.Node) *graph.Node, x *tensors.Tensor, what string) {
	t.Helper()
	ctx.SetParam(ParamConvImpl, string(ConvNative))
	native := tensors.MustCopyFlatData[float32](context.MustNewExec(backend, ctx, model).MustExec(x)[0])
	ctx.SetParam(ParamConvImpl, string(ConvPatches))
	patches := tensors.MustCopyFlatData[float32](context.MustNewExec(backend, ctx.Reuse(), model).MustExec(x)[0])
	scale := 0.0
	for _, v := range native {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range native {
		if d := math.Abs(float64(native[i] - patches[i])); d > 1e-4*math.Max(scale, 1) || math.IsNaN(d) {
			t.Fatalf("%s: output %d: native %g vs patches %g", what, i, native[i], patches[i])
		}
	}
}
