package fit

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
)

// TestPreciseBatchNorm checks the recomputed statistics of a batch norm applied straight to
// the pixels against the mean of the batch means and the mean of the batch variances
// computed here by hand.
func TestPreciseBatchNorm(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 40, 6, 2, 3)
	pixelsBN := func(ctx *context.Context, images *graph.Node) *graph.Node {
		return batchnorm.New(ctx.In("bn"), images, -1).UseBackendInference(false).Done()
	}
	for _, tc := range []struct {
		name              string
		subset            []int
		batch, maxBatches int
	}{
		{"whole epochs", seq(0, 40), 8, 5},
		{"capped", seq(0, 40), 8, 3},
		{"cycled small subset", []int{3, 5, 7}, 4, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.New()
			// Give the averages stale values first, as training would.
			init, err := context.NewExec(backend, ctx, func(ctx *context.Context, images *graph.Node) *graph.Node {
				ctx.SetTraining(images.Graph(), true)
				return graph.ReduceAllSum(pixelsBN(ctx, images))
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := init.Exec(tensors.FromFlatDataAndDimensions(ds.Float32([]int{0, 1}), 2, 6, 6, 1)); err != nil {
				t.Fatal(err)
			}
			if err := PreciseBatchNorm(backend, ctx, pixelsBN, ds, tc.subset, tc.batch, tc.maxBatches, nil, "test"); err != nil {
				t.Fatal(err)
			}
			// Reference: the same batches, statistics by hand in float64.
			batches := min(tc.maxBatches, (len(tc.subset)+tc.batch-1)/tc.batch)
			var wantMean, wantVar float64
			for b := 0; b < batches; b++ {
				var px []float64
				for i := 0; i < tc.batch; i++ {
					for _, v := range ds.Image(tc.subset[(b*tc.batch+i)%len(tc.subset)]) {
						px = append(px, float64(v)/255)
					}
				}
				var m, v float64
				for _, p := range px {
					m += p
				}
				m /= float64(len(px))
				for _, p := range px {
					v += (p - m) * (p - m)
				}
				wantMean += m / float64(batches)
				wantVar += v / float64(len(px)) / float64(batches)
			}
			got := map[string]float64{}
			for v := range ctx.IterVariables() {
				if n := v.Name(); n == "mean" || n == "variance" {
					got[n] = float64(tensors.MustCopyFlatData[float32](v.MustValue())[0])
				}
			}
			if math.Abs(got["mean"]-wantMean) > 1e-5 || math.Abs(got["variance"]-wantVar) > 1e-5 {
				t.Errorf("batch-norm mean %.6f variance %.6f, want %.6f and %.6f", got["mean"], got["variance"], wantMean, wantVar)
			}
		})
	}
	if err := PreciseBatchNorm(backend, context.New(), pixelsBN, ds, nil, 8, 4, nil, "test"); err == nil {
		t.Error("no images: no error")
	}
}

func seq(lo, hi int) []int {
	out := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

func testBackend(t testing.TB) backends.Backend { return backendtest.New(t, "go") }

// TestPreciseBatchNormRerun: the statistics depend on the weights only. A pass cut short and
// run again, and a pass on a context loaded from a checkpoint of the trained one (whose
// averages are the training-time ones), end bit for bit where one pass on the trained context
// does.
func TestPreciseBatchNormRerun(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	trained := func() *context.Context {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{})
		if err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{Stage: "test", Steps: 4, LearningRate: 0.05}); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	pass := func(ctx *context.Context, batches int) {
		if err := PreciseBatchNorm(backend, ctx, denseInference, ds, seq(0, 24), 4, batches, nil, "statistics"); err != nil {
			t.Fatal(err)
		}
	}
	ctx := trained()
	pass(ctx, 5)
	want := checkpointtest.Values(t, ctx)

	ctx = trained()
	pass(ctx, 2)
	pass(ctx, 5)
	checkpointtest.Same(t, want, checkpointtest.Values(t, ctx))

	dir := openDir(t, t.TempDir())
	if _, err := dir.Save(trained(), 4, checkpoint.Training); err != nil {
		t.Fatal(err)
	}
	loaded := context.New()
	if _, err := dir.Load(loaded); err != nil {
		t.Fatal(err)
	}
	pass(loaded, 5)
	checkpointtest.Same(t, want, checkpointtest.Values(t, loaded))
}

// TestPreciseBatchNormNonFinite: statistics of a network with an infinite weight are an error.
func TestPreciseBatchNormNonFinite(t *testing.T) {
	ds := datatest.Synthetic(t, 8, 6, 2, 5)
	backend := testBackend(t)
	scaled := func(ctx *context.Context, images *graph.Node) *graph.Node {
		w := ctx.In("scale").VariableWithValue("w", float32(1)).ValueGraph(images.Graph())
		return denseInference(ctx, graph.Mul(images, w))
	}
	ctx := context.New()
	if _, err := context.ExecOnce(backend, ctx, scaled, tensors.FromFlatDataAndDimensions(ds.Float32([]int{0}), 1, 6, 6, 1)); err != nil {
		t.Fatal(err)
	}
	ctx.GetVariableByScopeAndName("/scale", "w").MustSetValue(tensors.FromValue(float32(math.Inf(1))))
	err := PreciseBatchNorm(backend, ctx, scaled, ds, seq(0, 8), 4, 2, nil, "statistics")
	if err == nil || !strings.Contains(err.Error(), "/bn/batch_normalization/mean") || !strings.Contains(err.Error(), "lower the learning rate") {
		t.Fatalf("error %v, want one naming the mean and the learning rate", err)
	}
}

// A Predictor kept across a change of the weights gives what a fresh Predict gives on the new
// weights, and both give the pixel sums times the weight computed here.
func TestPredictorSeesNewWeights(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 10, 4, 2, 1)
	ctx := context.New()
	w := ctx.VariableWithValue("w", float32(2))
	scaledSum := func(ctx *context.Context, images *graph.Node) *graph.Node {
		sum := graph.ReduceSum(graph.Reshape(images, images.Shape().Dimensions[0], -1), -1)
		return graph.InsertAxes(graph.Mul(sum, ctx.GetVariable("w").ValueGraph(images.Graph())), -1)
	}
	p, err := NewPredictor(backend, ctx, scaledSum, 4)
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{9, 0, 3, 3, 7} // two batches, the second padded
	for _, weight := range []float32{2, -0.5} {
		w.SetValue(tensors.FromValue(weight))
		got, dim, err := p.Predict(ds, idx, nil, "kept")
		if err != nil {
			t.Fatal(err)
		}
		fresh, _, err := Predict(backend, ctx, scaledSum, ds, idx, 4, nil, "fresh")
		if err != nil {
			t.Fatal(err)
		}
		if dim != 1 || !slices.Equal(got, fresh) {
			t.Fatalf("weight %g: kept predictor gives %v (dim %d), a fresh one %v", weight, got, dim, fresh)
		}
		for r, i := range idx {
			var want float32
			for _, v := range ds.Float32([]int{i}) {
				want += v
			}
			if d := got[r] - weight*want; d > 1e-4 || d < -1e-4 {
				t.Errorf("weight %g, image %d: %g, want %g", weight, i, got[r], weight*want)
			}
		}
	}
}
