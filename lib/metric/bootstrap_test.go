package metric

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestBootstrapLossByHand(t *testing.T) {
	logits := [][]float32{{2, 0, -1}, {0.5, 0.5, 3}}
	labels := []int32{0, 2}
	// −½[(2 − log(e² + 1 + e⁻¹)) + (3 − log(2e^0.5 + e³))]
	want := -((2 - math.Log(math.Exp(2)+1+math.Exp(-1))) + (3 - math.Log(2*math.Exp(0.5)+math.Exp(3)))) / 2
	got := graph.MustExecOnce(testBackend(t), BootstrapLoss, tensors.FromValue(logits), tensors.FromValue(labels)).Value().(float32)
	if math.Abs(float64(got)-want) > 1e-5 {
		t.Errorf("BootstrapLoss = %g, by hand %g", got, want)
	}
}
