package propagate

import (
	"fmt"
	"math"
)

// KNNAccuracy measures a metric the way Wu et al. (2018) do: every row is classified by its k
// most similar other rows (leave-one-out), each voting for its label with weight
// exp(cos/temperature), and the result is the fraction of rows whose vote is their own label.
// Wu et al. use k = 200 and temperature 0.07. Rows need not be normalised (a copy is).
func KNNAccuracy(x Matrix, labels []int32, numClasses, k int, temperature float64) (float64, error) {
	if len(labels) != x.N {
		return 0, fmt.Errorf("propagate: kNN accuracy needs one label per row: %d labels for %d rows", len(labels), x.N)
	}
	if !(temperature > 0) || math.IsInf(temperature, 0) {
		return 0, fmt.Errorf("propagate: kNN temperature %v must be positive and finite (Wu et al. use 0.07)", temperature)
	}
	for i, y := range labels {
		if y < 0 || int(y) >= numClasses {
			return 0, fmt.Errorf("propagate: label %d of row %d is outside [0, %d)", y, i, numClasses)
		}
	}
	xn, err := Normalize(x)
	if err != nil {
		return 0, err
	}
	g, err := KNN(xn, k+1) // the row itself comes first and is skipped
	if err != nil {
		return 0, err
	}
	correct := 0
	votes := make([]float64, numClasses)
	for i := 0; i < x.N; i++ {
		clear(votes)
		idx, sim := g.Neighbours(i)
		for t := 1; t < len(idx); t++ {
			votes[labels[idx[t]]] += math.Exp((float64(sim[t]) - 1) / temperature)
		}
		if Argmax(votes) == int(labels[i]) {
			correct++
		}
	}
	return float64(correct) / float64(x.N), nil
}

// KNNTestAccuracy is Wu et al.'s (2018) evaluation of a metric: every test row is classified
// by its k most similar train rows, each voting for its label with weight exp(cos/temperature)
// (k = 200, temperature 0.07 in their paper), and the result is the fraction of test rows whose
// vote is their own label. It is Vote (Eq. 5) with the train rows as the labelled ones; Vote's
// division by the class counts leaves the argmax alone when the train classes are balanced, as
// in CIFAR-10, and otherwise makes the vote fairer to rare classes. Rows need not be normalised.
func KNNTestAccuracy(train Matrix, trainLabels []int32, test Matrix, testLabels []int32, numClasses, k int, temperature float64) (float64, error) {
	if err := train.check("train features"); err != nil {
		return 0, err
	}
	if err := test.check("test features"); err != nil {
		return 0, err
	}
	if train.D != test.D {
		return 0, fmt.Errorf("propagate: train features have %d columns, test features %d", train.D, test.D)
	}
	if len(trainLabels) != train.N || len(testLabels) != test.N {
		return 0, fmt.Errorf("propagate: kNN accuracy needs one label per row: %d labels for %d train rows, %d for %d test rows",
			len(trainLabels), train.N, len(testLabels), test.N)
	}
	for _, set := range [][]int32{trainLabels, testLabels} {
		for i, y := range set {
			if y < 0 || int(y) >= numClasses {
				return 0, fmt.Errorf("propagate: label %d of row %d is outside [0, %d)", y, i, numClasses)
			}
		}
	}
	// One copy of both sets, normalised in place.
	xn := NewMatrix(train.N+test.N, train.D)
	copy(xn.Data, train.Data)
	copy(xn.Data[len(train.Data):], test.Data)
	if err := CheckRows(xn); err != nil {
		return 0, err
	}
	if err := normalizeRows(xn, xn); err != nil {
		return 0, err
	}
	labelled := make([]int, train.N)
	for i := range labelled {
		labelled[i] = i
	}
	// Only the test rows are scored: the train rows vote, and are never queries.
	logits, err := voteRows(xn, train.N, labelled, trainLabels, numClasses, k, temperature, nil)
	if err != nil {
		return 0, err
	}
	correct := 0
	for i, y := range testLabels {
		if int32(Argmax(logits.Row(i))) == y {
			correct++
		}
	}
	return float64(correct) / float64(test.N), nil
}
