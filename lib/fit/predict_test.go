package fit

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/data"
)

// A Predictor kept across a change of the weights gives what a fresh Predict gives on the new
// weights, and both give the pixel sums times the weight computed here.
func TestPredictorSeesNewWeights(t *testing.T) {
	backend := testBackend(t)
	ds, err := data.Synthetic(10, 4, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
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
