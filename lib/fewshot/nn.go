package fewshot

import (
	"fmt"
	"math"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// DefaultNNTemperature is τ of the SNCA baseline's vote, that of scalable NCA's neighbourhood
// probability (Eq. 4, metric.DefaultNCATemperature): the vote is the NCA classifier of the
// metric the support set lives in.
const DefaultNNTemperature = 0.05

// NearestNeighbour classifies the rows queries of x by weighted nearest neighbours among the
// support rows: class j scores Σ exp(cos(q, s)/temperature) over the support rows s of label j,
// and the query takes the best class (the first on ties). This is the SNCA baseline of Table 7:
// no unlabeled data, no finetuning. With one shot it is plain 1-NN. Rows of x must be
// L2-normalised (cos is their dot product); labels are in [0, ways).
func NearestNeighbour(x propagate.Matrix, support []int, labels []int32, ways int, queries []int, temperature float64) ([]int32, error) {
	if len(support) != len(labels) || len(support) == 0 {
		return nil, fmt.Errorf("fewshot nearest neighbour: %d support rows and %d labels; need as many, at least one", len(support), len(labels))
	}
	if !(temperature > 0) || math.IsInf(temperature, 0) {
		return nil, fmt.Errorf("fewshot nearest neighbour: temperature %v must be positive and finite (NCA's is %g)", temperature, DefaultNNTemperature)
	}
	for t, s := range support {
		if s < 0 || s >= x.N || labels[t] < 0 || int(labels[t]) >= ways {
			return nil, fmt.Errorf("fewshot nearest neighbour: support %d is row %d with label %d; want a row in [0, %d) and a label in [0, %d)", t, s, labels[t], x.N, ways)
		}
	}
	pred := make([]int32, len(queries))
	score := make([]float64, ways)
	for i, q := range queries {
		if q < 0 || q >= x.N {
			return nil, fmt.Errorf("fewshot nearest neighbour: query %d is row %d, outside [0, %d)", i, q, x.N)
		}
		clear(score)
		qr := x.Row(q)
		for t, s := range support {
			// exp((cos − 1)/τ) is exp(cos/τ) scaled by a constant: the same vote without overflow.
			score[labels[t]] += math.Exp((float64(dot(qr, x.Row(s))) - 1) / temperature)
		}
		pred[i] = int32(propagate.Argmax(score))
	}
	return pred, nil
}

// dot is the inner product of two rows of the same length.
func dot(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
