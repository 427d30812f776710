package fewshot

import (
	"slices"
	"strings"
	"testing"
)

// balancedLabels returns perClass rows of each of classes classes, row i of class i % classes.
func balancedLabels(classes, perClass int) []int32 {
	out := make([]int32, classes*perClass)
	for i := range out {
		out[i] = int32(i % classes)
	}
	return out
}

// TestNewSplit checks the parts' sizes per class, that they partition each class's rows, that
// the pool is every unlabeled row, and that the seed decides the split.
func TestNewSplit(t *testing.T) {
	for _, c := range []struct {
		name               string
		classes, perClass  int
		fraction           float64
		wantLabeled, wantU int
	}{
		{"paper's 40/60 of 600", 3, 600, 0.4, 240, 360},
		{"rounded", 4, 7, 0.4, 3, 4},
		{"one labeled", 2, 3, 0.25, 1, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			labels := balancedLabels(c.classes, c.perClass)
			s, err := NewSplit(labels, c.classes, c.fraction, 3)
			if err != nil {
				t.Fatal(err)
			}
			var pool []int
			for cl := range c.classes {
				lab, unl := s.Labeled[cl], s.Unlabeled[cl]
				if len(lab) != c.wantLabeled || len(unl) != c.wantU {
					t.Errorf("class %d: %d labeled, %d unlabeled; want %d and %d", cl, len(lab), len(unl), c.wantLabeled, c.wantU)
				}
				all := append(slices.Clone(lab), unl...)
				slices.Sort(all)
				if len(slices.Compact(all)) != c.perClass {
					t.Errorf("class %d: the parts overlap or miss rows", cl)
				}
				for _, r := range all {
					if labels[r] != int32(cl) {
						t.Errorf("class %d holds row %d of class %d", cl, r, labels[r])
					}
				}
				pool = append(pool, unl...)
			}
			if !slices.Equal(s.Pool(), pool) {
				t.Errorf("Pool is not every class's unlabeled rows, class by class")
			}
			if got := len(s.LabeledRows()) + len(s.Pool()); got != len(labels) {
				t.Errorf("%d labeled + unlabeled rows, want %d", got, len(labels))
			}
			same, _ := NewSplit(labels, c.classes, c.fraction, 3)
			other, _ := NewSplit(labels, c.classes, c.fraction, 4)
			if !slices.Equal(same.Pool(), s.Pool()) {
				t.Error("the same seed gave another split")
			}
			if c.perClass > 10 && slices.Equal(other.Pool(), s.Pool()) {
				t.Error("another seed gave the same split")
			}
		})
	}
}

// TestNewSplitErrors checks that bad input is an error naming the problem.
func TestNewSplitErrors(t *testing.T) {
	for _, c := range []struct {
		name     string
		labels   []int32
		classes  int
		fraction float64
		want     string
	}{
		{"fraction 1", balancedLabels(2, 10), 2, 1, "fraction"},
		{"fraction NaN", balancedLabels(2, 10), 2, nan(), "fraction"},
		{"label out of range", []int32{0, 1, 2}, 2, 0.5, "outside"},
		{"class too small", []int32{0, 0, 0, 1}, 2, 0.4, "class 1"},
		{"no classes", nil, 0, 0.4, "classes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewSplit(c.labels, c.classes, c.fraction, 1); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
