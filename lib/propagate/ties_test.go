package propagate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// directions returns n rows of dimension d, row i along axis i % axes, scaled by 1 + i so that
// equal directions are not bitwise equal rows.
func directions(n, d, axes int) Matrix {
	x := NewMatrix(n, d)
	for i := 0; i < n; i++ {
		x.Row(i)[i%axes] = float32(1 + i)
	}
	return x
}

// TestRunSameDirection checks that rows which all point the same way are refused by both
// methods, and that one row apart is enough to go on.
func TestRunSameDirection(t *testing.T) {
	same := directions(50, 4, 1)
	apart := directions(50, 4, 1)
	apart.Row(49)[1] = 1
	for _, m := range []Method{NearestNeighbour, Spectral} {
		cfg := DefaultConfig(m)
		cfg.GraphK, cfg.Eta = 5, 10
		_, err := Run(same, []int{0, 1, 2}, []int32{0, 1, 2}, 3, cfg, nil)
		if err == nil || !strings.Contains(err.Error(), "all 50 feature rows point the same way") || !strings.Contains(err.Error(), "collapsed") {
			t.Errorf("%s: error %v, want the rows refused with the likely cause", m, err)
		}
		if _, err := Run(apart, []int{0, 1, 49}, []int32{0, 1, 2}, 3, cfg, nil); err != nil {
			t.Errorf("%s, one row apart: %v", m, err)
		}
	}
}

// TestRunIndistinguishable propagates over rows that ties make interchangeable, against
// expectations by hand:
//
//   - "copies": rows 0–49 are one row, labelled 0, 1 and 2 at rows 0, 1 and 2, and row 50
//     points elsewhere. Rows 3–49 are as much of one class as of another: confidence 0. This
//     is the measured failure: the spectral method's kNN graph among the copies followed the
//     row order, its Laplacian repeated an eigenvalue 45 times, η cut it, and the rows got
//     labels at confidences up to 1.
//   - "two directions": even rows are copies of row 0 (label 0) and row 2 (label 1), odd rows
//     of row 1 (label 2). Even rows have confidence 0; odd rows are class 2 for sure.
func TestRunIndistinguishable(t *testing.T) {
	copies := NewMatrix(51, 4)
	for i := 0; i < 50; i++ {
		copy(copies.Row(i), []float32{1, 1, 1, 1})
	}
	copy(copies.Row(50), []float32{1, -1, 0, 0})
	sets := []struct {
		name     string
		x        Matrix
		labelled []int
		// want says, for an unlabelled row, whether its confidence must be 0 or its label
		// must be class with a confidence ≥ 0.99 (class -1: no expectation).
		want func(i int) (zero bool, class int32)
	}{
		{"copies", copies, []int{0, 1, 2}, func(i int) (bool, int32) { return i < 50, -1 }},
		{"two directions", directions(60, 4, 2), []int{0, 2, 1}, func(i int) (bool, int32) { return i%2 == 0, 2 }},
	}
	for _, set := range sets {
		for _, tc := range []struct {
			method             Method
			k, eta, vk, chunks int
		}{
			{Spectral, 5, 10, 0, 0},
			{Spectral, 5, 30, 0, 0},
			{Spectral, 20, 10, 0, 0},
			{Spectral, 5, 10, 0, 2},
			{NearestNeighbour, 0, 0, 1, 0},
			{NearestNeighbour, 0, 0, 200, 0},
		} {
			cfg := DefaultConfig(tc.method)
			cfg.GraphK, cfg.Eta, cfg.VoteK = cmpOr(tc.k, cfg.GraphK), cmpOr(tc.eta, cfg.Eta), cmpOr(tc.vk, cfg.VoteK)
			cfg.Chunks = tc.chunks
			name := fmt.Sprintf("%s %s k=%d η=%d K=%d chunks=%d", set.name, tc.method, tc.k, tc.eta, tc.vk, tc.chunks)
			res, err := Run(set.x, set.labelled, []int32{0, 1, 2}, 3, cfg, nil)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for i := range set.x.N {
				if slices.Contains(set.labelled, i) {
					continue
				}
				zero, class := set.want(i)
				if zero && res.Confidence[i] > 1e-6 {
					t.Errorf("%s: row %d has label %d at confidence %v, want 0", name, i, res.Labels[i], res.Confidence[i])
					break
				}
				if !zero && class >= 0 && (res.Labels[i] != class || res.Confidence[i] < 0.99) {
					t.Errorf("%s: row %d has label %d at confidence %v, want %d at ≥ 0.99", name, i, res.Labels[i], res.Confidence[i], class)
					break
				}
			}
			// Every row has more copies than k−1 places; NN lets all tied voters vote.
			if want := map[Method]int{Spectral: set.x.N, NearestNeighbour: 0}[tc.method]; res.TiedRows != want {
				t.Errorf("%s: %d tied rows, want %d", name, res.TiedRows, want)
			}
		}
	}
}

func cmpOr(v, d int) int {
	if v != 0 {
		return v
	}
	return d
}

// TestVoteTiesEqualShares checks Eq. 5 where every labelled row is equally similar to every
// other row (one-hot rows, cosine 0): whatever K, all of them vote, each class sums to
// n_c·e⁰/n_c = 1, and the shares are exactly 1/C, with 3 labels of class 0 and 1 of class 1.
func TestVoteTiesEqualShares(t *testing.T) {
	const n = 12
	x := NewMatrix(n, n)
	for i := 0; i < n; i++ {
		x.Row(i)[i] = 1
	}
	labelled, labels := []int{0, 1, 2, 3}, []int32{0, 0, 0, 1}
	for _, k := range []int{1, 2, 4} {
		got, err := Vote(x, labelled, labels, 2, k, 0.1, nil)
		if err != nil {
			t.Fatal(err)
		}
		for u := 4; u < n; u++ {
			if row := got.Row(u); row[0] != 0.5 || row[1] != 0.5 {
				t.Errorf("k=%d: row %d shares %v, want [0.5 0.5]", k, u, row)
			}
		}
	}
}

// TestVotePermutationInvariant checks on rows with many duplicates that numbering the rows
// otherwise permutes Vote's result and changes nothing else.
func TestVotePermutationInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	base := mustNormalize(t, randomRows(6, 5, 9))
	const n = 80
	x := NewMatrix(n, 5)
	for i := 0; i < n; i++ {
		copy(x.Row(i), base.Row(rng.IntN(base.N)))
	}
	var labelled []int
	var labels []int32
	for i := 0; i < n; i += 3 {
		labelled, labels = append(labelled, i), append(labels, int32(i%4))
	}
	perm := rng.Perm(n) // row i of x is row perm[i] of y
	y := NewMatrix(n, 5)
	for i, p := range perm {
		copy(y.Row(p), x.Row(i))
	}
	ylab := make([]int, len(labelled))
	for t, i := range labelled {
		ylab[t] = perm[i]
	}
	for _, k := range []int{1, 3, 10} {
		gx, err := Vote(x, labelled, labels, 4, k, 0.1, nil)
		if err != nil {
			t.Fatal(err)
		}
		gy, err := Vote(y, ylab, labels, 4, k, 0.1, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range perm {
			for c, v := range gx.Row(i) {
				if math.Abs(float64(v-gy.Row(p)[c])) > 1e-6 {
					t.Fatalf("k=%d: row %d shares %v, but %v once renumbered %d", k, i, gx.Row(i), gy.Row(p), p)
				}
			}
		}
	}
}

// TestPropagateGraphComplete propagates on the complete graph with equal weights, whose
// Laplacian has 0 once and n/(n−1) n−1 times. Nodes 0, 1 and 2 carry classes 0, 1 and 2; by
// symmetry every other node is tied to each class alike, so its logits must be equal and its
// confidence 0. η < n cuts the repeated eigenvalue, which must then be left out whole.
func TestPropagateGraphComplete(t *testing.T) {
	const n = 12
	var edges []edge
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			edges = append(edges, edge{i, j, 0.5})
		}
	}
	w := sparseFromEdges(n, edges)
	for _, eta := range []int{3, 6, 12} {
		for _, m := range []EigenMethod{EigenDense, EigenLanczos} {
			logits, values, err := propagateGraph(w, []int{0, 1, 2}, []int32{0, 1, 2}, 3, eta, EigenOptions{Method: m})
			if err != nil {
				t.Fatal(err)
			}
			if wantUsed := map[bool]int{true: 1, false: n}[eta < n]; len(values) != wantUsed {
				t.Errorf("η=%d %s: %d eigenvalues used %v, want %d", eta, m, len(values), values, wantUsed)
			}
			conf := Confidence(logits, 40)
			for i := 3; i < n; i++ {
				if conf[i] > 1e-6 {
					t.Errorf("η=%d %s: node %d logits %v, confidence %v; want equal logits", eta, m, i, logits.Row(i), conf[i])
					break
				}
			}
		}
	}
}

// TestWholeEigenspaces checks the cut by hand: η pairs and one more, of which the trailing
// repeated eigenvalue is dropped when it continues past η, null pairs never.
func TestWholeEigenspaces(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		eta    int
		want   []float64
	}{
		{[]float64{0, 0.5, 1, 1, 1}, 4, []float64{0, 0.5}},
		{[]float64{0, 0.5, 1, 1 + 5e-7, 1 + 9e-7}, 4, []float64{0, 0.5}},
		{[]float64{0, 0.5, 1, 1, 1.5}, 4, []float64{0, 0.5, 1, 1}},
		{[]float64{0, 0.5, 1, 1.5}, 3, []float64{0, 0.5, 1}},
		{[]float64{0, 1, 1, 1}, 3, []float64{0}},
		{[]float64{0, 0, 0}, 2, []float64{0, 0}},
		{[]float64{0, 1, 1}, 3, []float64{0, 1, 1}}, // η = N: every eigenspace is whole
	} {
		n := len(tc.values)
		got, gv := wholeEigenspaces(tc.values, mat.NewDense(n, n, nil), tc.eta) // only the shape matters
		if _, c := gv.Dims(); !slices.Equal(got, tc.want) || c != len(tc.want) {
			t.Errorf("%v, η=%d: kept %v (%d vectors), want %v", tc.values, tc.eta, got, c, tc.want)
		}
	}
}
