package pipeline

import (
	"math"
	"testing"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// TestScorePropagationByHand checks the mAP of Table 1 on pseudo labels small enough to rank
// by hand.
func TestScorePropagationByHand(t *testing.T) {
	// Rows 0 and 5 are labelled (ignored); the unlabelled rows 1–4 ranked by score are
	// 4 (right), 2 (wrong), 1 (right), 3 (right): accumulated accuracy 1, 1/2, 2/3, 3/4.
	truth := []int32{0, 1, 0, 1, 0, 1}
	r := &propagate.Result{
		Labels: []int32{0, 1, 1, 1, 0, 1},
		Score:  []float64{math.Inf(1), 0.7, 0.8, 0.6, 0.9, math.Inf(1)},
	}
	got := ScorePropagation(propagate.NearestNeighbour, r, truth, []int{0, 5})
	wantMAP := (1 + 0.5 + 2.0/3 + 0.75) / 4
	if math.Abs(got.MAP-wantMAP) > 1e-12 || got.Accuracy != 0.75 || len(got.Accumulated) != 4 {
		t.Errorf("mAP %v accuracy %v curve %v; want %v, 0.75 and 4 points", got.MAP, got.Accuracy, got.Accumulated, wantMAP)
	}
}
