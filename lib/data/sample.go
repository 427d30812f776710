package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// classOrder returns, for each class, the indices of its examples in the order of one seeded
// permutation of all indices. Taking a prefix of every class's list gives nested subsets: the
// 250-label subset of a seed contains its 100-label subset.
func classOrder(labels []int32, numClasses int, seed int64) ([][]int, error) {
	byClass := make([][]int, numClasses)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d74_6c70))
	for _, i := range rng.Perm(len(labels)) {
		l := labels[i]
		if l < 0 || int(l) >= numClasses {
			return nil, fmt.Errorf("label %d at index %d is outside [0, %d)", l, i, numClasses)
		}
		byClass[l] = append(byClass[l], i)
	}
	return byClass, nil
}

// SampleLabeled draws n indices in total, class-balanced (n/numClasses per class; when n is
// not a multiple, the first n mod numClasses classes get one more), from one seeded
// permutation — the authors' protocol, so subsets of the same seed are nested. The result is
// sorted by class, then by permutation order. It fails if a class has too few examples.
func SampleLabeled(labels []int32, numClasses, n int, seed int64) ([]int, error) {
	if numClasses <= 0 {
		return nil, fmt.Errorf("sample %d labels: %d classes", n, numClasses)
	}
	if n < numClasses {
		return nil, fmt.Errorf("sample %d labels: need at least one per class (%d classes)", n, numClasses)
	}
	byClass, err := classOrder(labels, numClasses, seed)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, n)
	for c, idx := range byClass {
		k := n / numClasses
		if c < n%numClasses {
			k++
		}
		if len(idx) < k {
			return nil, fmt.Errorf("sample %d labels: class %d has %d examples, %d needed", n, c, len(idx), k)
		}
		out = append(out, idx[:k]...)
	}
	return out, nil
}

// SampleSubset is SampleLabeled for drawing a class-balanced working subset (an unlabeled
// pool, a smaller test set); n ≥ len(labels) returns every index in order.
func SampleSubset(labels []int32, numClasses, n int, seed int64) ([]int, error) {
	if n <= 0 || n >= len(labels) {
		all := make([]int, len(labels))
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	return SampleLabeled(labels, numClasses, n, seed)
}

// ClassSubset returns the images of d of the named classes (all when names is nil), their
// labels renumbered in the order of names, and with perClass > 0 that many of each, drawn
// with seed as SampleLabeled draws (0 keeps all, in order).
func (d *Dataset) ClassSubset(names []string, perClass int, seed int64) (*Dataset, error) {
	if names == nil {
		names = d.Classes
	}
	label := make(map[int32]int32, len(names))
	for i, n := range names {
		j := slices.Index(d.Classes, n)
		if j < 0 {
			return nil, fmt.Errorf("%s has no class %q (its classes: %q)", d.Name, n, d.Classes)
		}
		label[int32(j)] = int32(i)
	}
	var idx []int
	var labels []int32
	for i, l := range d.Labels {
		if k, ok := label[l]; ok {
			idx, labels = append(idx, i), append(labels, k)
		}
	}
	if perClass > 0 {
		keep, err := SampleLabeled(labels, len(names), perClass*len(names), seed)
		if err != nil {
			return nil, fmt.Errorf("%d images of each of %d classes of %s: %w", perClass, len(names), d.Name, err)
		}
		kept := make([]int, len(keep))
		keptLabels := make([]int32, len(keep))
		for i, k := range keep {
			kept[i], keptLabels[i] = idx[k], labels[k]
		}
		idx, labels = kept, keptLabels
	}
	out, err := d.Subset(idx)
	if err != nil {
		return nil, err
	}
	out.Labels, out.Classes = labels, slices.Clone(names)
	return out, nil
}
