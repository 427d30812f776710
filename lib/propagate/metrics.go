package propagate

import (
	"fmt"
	"math"
	"slices"
)

// rankByConfidence returns row indices sorted by confidence descending; equal confidences keep
// their row order (a stable sort), so results are deterministic. It panics when the three
// slices differ in length: that is a caller bug, not bad data.
func rankByConfidence(pred, truth []int32, confidence []float32) []int {
	if len(pred) != len(truth) || len(pred) != len(confidence) {
		panic(fmt.Sprintf("propagate: metric inputs differ in length: %d predictions, %d truths, %d confidences",
			len(pred), len(truth), len(confidence)))
	}
	order := make([]int, len(pred))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case confidence[a] > confidence[b]:
			return -1
		case confidence[a] < confidence[b]:
			return 1
		}
		return 0
	})
	return order
}

// AccumulatedAccuracy is the curve of the paper's Figure 3: rows sorted by confidence
// descending (ties in row order), element i is the fraction of correct pseudo labels among the
// i+1 most confident rows. Pass the unlabelled rows only, as the paper and the authors'
// notebooks do. Accuracies are fractions in [0, 1]. It panics if the lengths differ.
func AccumulatedAccuracy(pred, truth []int32, confidence []float32) []float64 {
	order := rankByConfidence(pred, truth, confidence)
	out := make([]float64, len(order))
	correct := 0
	for k, i := range order {
		if pred[i] == truth[i] {
			correct++
		}
		out[k] = float64(correct) / float64(k+1)
	}
	return out
}

// MeanAveragePrecision is the pseudo-label "mAP sorted by the confidence" of the paper's
// Table 1, computed as the authors compute it: the mean of the AccumulatedAccuracy curve,
// (1/n)·Σ_k accuracy of the k most confident rows, i.e. the area under Figure 3's curve.
// notebooks/nc.ipynb and notebooks/knn.ipynb print it as "AUC" (accuracies.mean()), and those
// values track Table 1 (spectral, instance metric: AUC 86.44 / 89.75 / 90.53 at 250 / 500 /
// 1000 labels against 86.64 / 90.01 / 91.04 in the table). It is a fraction in [0, 1], NaN
// for no rows. AveragePrecision gives the textbook average precision for comparison. It
// panics if the lengths differ.
func MeanAveragePrecision(pred, truth []int32, confidence []float32) float64 {
	acc := AccumulatedAccuracy(pred, truth, confidence)
	if len(acc) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, a := range acc {
		sum += a
	}
	return sum / float64(len(acc))
}

// AveragePrecision is the textbook average precision of the event "pseudo label is correct"
// ranked by confidence: the mean of precision@k over the ranks k holding a correct row
// (ties in row order). It is 0 when no row is correct and NaN for no rows. It panics if the
// lengths differ.
func AveragePrecision(pred, truth []int32, confidence []float32) float64 {
	order := rankByConfidence(pred, truth, confidence)
	if len(order) == 0 {
		return math.NaN()
	}
	var sum float64
	correct := 0
	for k, i := range order {
		if pred[i] == truth[i] {
			correct++
			sum += float64(correct) / float64(k+1)
		}
	}
	if correct == 0 {
		return 0
	}
	return sum / float64(correct)
}
