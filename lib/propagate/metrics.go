package propagate

import (
	"fmt"
	"math"
	"slices"
)

// Score is a confidence value: Result.Confidence (float32, saturates at 1 for sure rows) or
// Result.Score (float64, −log(1−α), which orders rows the same way without saturating).
type Score interface{ ~float32 | ~float64 }

// rankByConfidence returns row indices sorted by confidence descending; equal confidences keep
// their row order (a stable sort), so results are deterministic. It panics when the three
// slices differ in length: that is a caller bug, not bad data.
func rankByConfidence[F Score](pred, truth []int32, confidence []F) []int {
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
//
// Rank by Result.Score rather than Result.Confidence where many rows are sure: α rounds to
// exactly 1 in float32 once σ times the logit margin passes about 20, and the tied rows would
// then keep their row order, which in a class-sorted pool draws a sawtooth.
func AccumulatedAccuracy[F Score](pred, truth []int32, confidence []F) []float64 {
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
func MeanAveragePrecision[F Score](pred, truth []int32, confidence []F) float64 {
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
func AveragePrecision[F Score](pred, truth []int32, confidence []F) float64 {
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

// Percentiles samples a curve over a sorted population at 0 %, 1 %, …, 100 % of its length
// (the value at p % is that of the first max(1, ⌈p·n/100⌉) elements).
func Percentiles(curve []float64) []float64 {
	if len(curve) == 0 {
		return nil
	}
	out := make([]float64, 101)
	for p := range out {
		k := max(1, (p*len(curve)+99)/100)
		out[p] = curve[k-1]
	}
	return out
}
