package fewshot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Split divides the images of the test classes into a labeled and an unlabeled part per class,
// the paper's 40 % / 60 % (§4.3). Rows are indices into the caller's feature matrix.
type Split struct {
	// Labels is the class in [0, NumClasses) of every row.
	Labels     []int32
	NumClasses int
	// Labeled[c] and Unlabeled[c] are the rows of class c in each part, ascending.
	Labeled, Unlabeled [][]int
	pool               []int
}

// NewSplit splits the rows of every class: round(labeledFraction·n_c) of its n_c rows, drawn by
// a seeded permutation, are labeled and the rest unlabeled. Every class needs at least one row
// in each part.
func NewSplit(labels []int32, numClasses int, labeledFraction float64, seed int64) (*Split, error) {
	if numClasses < 1 {
		return nil, fmt.Errorf("fewshot split: %d classes; need at least one", numClasses)
	}
	if !(labeledFraction > 0 && labeledFraction < 1) {
		return nil, fmt.Errorf("fewshot split: labeled fraction %v must be in (0, 1) (the paper: 0.4)", labeledFraction)
	}
	byClass := make([][]int, numClasses)
	for i, l := range labels {
		if l < 0 || int(l) >= numClasses {
			return nil, fmt.Errorf("fewshot split: label %d of row %d is outside [0, %d)", l, i, numClasses)
		}
		byClass[l] = append(byClass[l], i)
	}
	s := &Split{Labels: slices.Clone(labels), NumClasses: numClasses,
		Labeled: make([][]int, numClasses), Unlabeled: make([][]int, numClasses)}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7370_6c69))
	for c, rows := range byClass {
		n := int(math.Round(labeledFraction * float64(len(rows))))
		if n < 1 || n >= len(rows) {
			return nil, fmt.Errorf("fewshot split: class %d has %d rows, so a labeled fraction of %v leaves %d labeled and %d unlabeled; each part needs at least one (give the class more images)",
				c, len(rows), labeledFraction, n, len(rows)-n)
		}
		perm := rng.Perm(len(rows))
		lab, unl := make([]int, 0, n), make([]int, 0, len(rows)-n)
		for t, p := range perm {
			if t < n {
				lab = append(lab, rows[p])
			} else {
				unl = append(unl, rows[p])
			}
		}
		slices.Sort(lab)
		slices.Sort(unl)
		s.Labeled[c], s.Unlabeled[c] = lab, unl
		s.pool = append(s.pool, unl...)
	}
	return s, nil
}

// Pool returns the unlabeled rows of every class, class by class: the unlabeled set of every
// episode. The slice is shared; do not modify it.
func (s *Split) Pool() []int { return s.pool }

// LabeledRows returns the labeled rows of every class, class by class (a new slice).
func (s *Split) LabeledRows() []int {
	var out []int
	for _, rows := range s.Labeled {
		out = append(out, rows...)
	}
	return out
}
