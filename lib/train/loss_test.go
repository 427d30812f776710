package train

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/metric-transfer/mtlp/lib/backendtest"
)

func testBackend(t testing.TB) backends.Backend { return backendtest.New(t, "go") }

func TestWeightedCrossEntropyByHand(t *testing.T) {
	logits := [][]float32{{2, 0, -1}, {0.5, 0.5, 3}, {1, 1, 1}}
	labels := []int32{0, 1, 2}
	weights := []float32{1, 0.25, 0}
	want := 0.0
	for i, row := range logits {
		z := 0.0
		for _, v := range row {
			z += math.Exp(float64(v))
		}
		want -= float64(weights[i]) * (float64(row[labels[i]]) - math.Log(z))
	}
	want /= 3 // Eq. 10 averages over all N examples, weights included or not.
	got := graph.MustExecOnce(testBackend(t), WeightedCrossEntropy,
		tensors.FromValue(logits), tensors.FromValue(labels), tensors.FromValue(weights)).Value().(float32)
	if math.Abs(float64(got)-want) > 1e-5 {
		t.Errorf("WeightedCrossEntropy = %g, by hand %g", got, want)
	}
}
