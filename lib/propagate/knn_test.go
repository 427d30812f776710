package propagate

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// knnTol bounds the difference between float32 BLAS similarities and float64 ones for unit
// rows of the small dimensions used here.
const knnTol = 1e-5

// bruteNeighbours returns every row but i sorted by float64 cosine similarity to row i
// (descending, ties to the smaller index): the reference for KNN.
func bruteNeighbours(x Matrix, i int) []candidate {
	out := make([]candidate, 0, x.N-1)
	for j := 0; j < x.N; j++ {
		if j != i {
			out = append(out, candidate{dot64(x.Row(i), x.Row(j)), j})
		}
	}
	sortCandidates(out)
	return out
}

// checkKNNRow compares row i of g against the brute-force reference. It reports whether the
// neighbour set differs from the reference only because of a near-tie at the k-th place.
func checkKNNRow(t *testing.T, x Matrix, g *Graph, i int) (nearTie bool) {
	t.Helper()
	k := g.K
	idx, sim := g.Neighbours(i)
	if idx[0] != int32(i) {
		t.Fatalf("row %d: first neighbour %d, want the row itself", i, idx[0])
	}
	if d := math.Abs(float64(sim[0]) - dot64(x.Row(i), x.Row(i))); d > knnTol {
		t.Fatalf("row %d: self similarity %v, want ‖x‖² = %v", i, sim[0], dot64(x.Row(i), x.Row(i)))
	}
	ref := bruteNeighbours(x, i)
	seen := map[int32]bool{}
	for p := 1; p < k; p++ {
		j := idx[p]
		if j < 0 || int(j) >= x.N || int(j) == i || seen[j] {
			t.Fatalf("row %d: neighbour %d at place %d is out of range, self or repeated (%v)", i, j, p, idx)
		}
		seen[j] = true
		if d := math.Abs(float64(sim[p]) - dot64(x.Row(i), x.Row(int(j)))); d > knnTol {
			t.Fatalf("row %d: similarity to %d is %v, float64 gives %v", i, j, sim[p], dot64(x.Row(i), x.Row(int(j))))
		}
		if d := math.Abs(float64(sim[p]) - ref[p-1].sim); d > knnTol {
			t.Fatalf("row %d place %d: similarity %v, brute force %v (row %d)", i, p, sim[p], ref[p-1].sim, ref[p-1].row)
		}
		if p > 1 && (sim[p] > sim[p-1] || (sim[p] == sim[p-1] && idx[p] < idx[p-1])) {
			t.Fatalf("row %d: places %d,%d out of order: (%d, %v) before (%d, %v)", i, p-1, p, idx[p-1], sim[p-1], j, sim[p])
		}
	}
	for _, c := range ref[:k-1] {
		if !seen[int32(c.row)] {
			if k-1 < len(ref) && ref[k-2].sim-ref[k-1].sim <= knnTol {
				return true
			}
			t.Fatalf("row %d: brute force neighbour %d (similarity %v) missing from %v; no near-tie at place %d", i, c.row, c.sim, idx, k-1)
		}
	}
	return false
}

func TestKNNMatchesBruteForce(t *testing.T) {
	clusteredX, _ := clustered(700, 32, 7, 0.3, 3)
	cases := []struct {
		name string
		x    Matrix
		k    int
		rows func(i int) bool // which rows to check against the reference
		dups [][2]int         // (source, copy): copy becomes an exact duplicate of source
	}{
		{name: "random k=2", x: randomRows(300, 8, 1), k: 2},
		{name: "random k=13", x: randomRows(517, 24, 2), k: 13},
		{name: "clustered k=20", x: clusteredX, k: 20},
		{name: "clustered with duplicates k=10", x: clusteredX, k: 10, dups: [][2]int{{0, 1}, {0, 699}, {5, 300}, {300, 301}}},
		// 4103 rows cross knnColBlock = 4096 once and leave a ragged last row block; copies of
		// row 3 sit in both column blocks and in three row blocks.
		{name: "crossing the column block", x: randomRows(4103, 16, 4), k: 6,
			rows: func(i int) bool { return i%5 == 0 || i < 8 || (i >= 4090) || i == 2000 },
			dups: [][2]int{{3, 2000}, {3, 4100}, {4095, 4101}, {4096, 17}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := NewMatrix(tc.x.N, tc.x.D)
			copy(x.Data, tc.x.Data)
			for _, d := range tc.dups {
				copy(x.Row(d[1]), x.Row(d[0]))
			}
			x = mustNormalize(t, x)
			g, err := KNN(x, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if g.N != x.N || g.K != tc.k || len(g.Index) != x.N*tc.k || len(g.Sim) != x.N*tc.k {
				t.Fatalf("graph shape N=%d K=%d len %d/%d", g.N, g.K, len(g.Index), len(g.Sim))
			}
			checked, ties := 0, 0
			for i := 0; i < x.N; i++ {
				if tc.rows != nil && !tc.rows(i) {
					continue
				}
				checked++
				if checkKNNRow(t, x, g, i) {
					ties++
				}
			}
			if ties > checked/100 {
				t.Errorf("%d of %d rows differ from brute force by a near-tie; too many to be ties", ties, checked)
			}
		})
	}
}

// TestKNNDuplicateOrder pins the documented order for exact duplicates: self first, then the
// copies by ascending index, wherever they fall among the BLAS tiles.
func TestKNNDuplicateOrder(t *testing.T) {
	x := randomRows(4103, 16, 9)
	for _, c := range []int{2000, 4100} {
		copy(x.Row(c), x.Row(3))
	}
	x = mustNormalize(t, x)
	g, err := KNN(x, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][]int32{3: {3, 2000, 4100}, 2000: {2000, 3, 4100}, 4100: {4100, 3, 2000}}
	for i, w := range want {
		idx, sim := g.Neighbours(i)
		if !slices.Equal(idx[:3], w) {
			t.Errorf("row %d: neighbours %v, want %v first", i, idx, w)
		}
		if sim[1] != sim[0] || sim[2] != sim[0] {
			t.Errorf("row %d: duplicate similarities %v differ from self %v", i, sim[1:3], sim[0])
		}
	}
}

func TestKNNErrors(t *testing.T) {
	good := mustNormalize(t, randomRows(5, 3, 1))
	withValue := func(v float32) Matrix {
		x := NewMatrix(5, 3)
		copy(x.Data, good.Data)
		x.Row(2)[1] = v
		return x
	}
	cases := []struct {
		name string
		x    Matrix
		k    int
		want string
	}{
		{"k=1", good, 1, "k = 1 must satisfy 2 ≤ k < N = 5"},
		{"k=0", good, 0, "k = 0 must satisfy"},
		{"k=N", good, 5, "k = 5 must satisfy 2 ≤ k < N = 5"},
		{"NaN", withValue(float32(math.NaN())), 2, "row 2 column 1 is NaN"},
		{"Inf", withValue(float32(math.Inf(-1))), 2, "row 2 column 1 is -Inf"},
		{"empty", Matrix{}, 2, "need at least one row"},
		{"short data", Matrix{N: 5, D: 3, Data: good.Data[:14]}, 2, "but holds 14"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := KNN(tc.x, tc.k)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("KNN: graph %v, error %v; want an error containing %q", g != nil, err, tc.want)
			}
		})
	}
}

func TestTopK(t *testing.T) {
	type pair struct {
		s float32
		i int32
	}
	cases := []struct {
		name   string
		n      int
		pushes []pair
		want   []int32
	}{
		{"fewer than n", 4, []pair{{0.1, 7}, {0.9, 2}}, []int32{2, 7}},
		{"keeps the largest", 2, []pair{{0.1, 0}, {0.5, 1}, {0.3, 2}, {0.7, 3}}, []int32{3, 1}},
		{"tie to smaller index, pushed descending", 3, []pair{{0.5, 9}, {0.5, 4}, {0.5, 6}, {0.5, 1}}, []int32{1, 4, 6}},
		{"tie at the cut", 2, []pair{{0.8, 5}, {0.2, 1}, {0.2, 0}, {0.8, 3}}, []int32{3, 5}},
		{"tie evicts larger index", 2, []pair{{0.9, 0}, {0.4, 8}, {0.4, 2}}, []int32{0, 2}},
		{"negative similarities", 3, []pair{{-0.5, 0}, {-0.1, 1}, {-0.9, 2}, {-0.2, 3}}, []int32{1, 3, 0}},
		{"n=1", 1, []pair{{0.3, 4}, {0.3, 2}, {0.1, 0}}, []int32{2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			top := newTopK(tc.n)
			for _, p := range tc.pushes {
				top.push(p.s, p.i)
			}
			if !slices.Equal(top.idx, tc.want) {
				t.Errorf("indices %v (similarities %v), want %v", top.idx, top.sim, tc.want)
			}
			top.reset()
			if len(top.idx) != 0 || len(top.sim) != 0 {
				t.Errorf("reset left %v", top.idx)
			}
		})
	}
}

// TestTopKRandom compares topK with a full sort on many ties pushed in random order.
func TestTopKRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 200; trial++ {
		m := 1 + rng.IntN(60)
		n := 1 + rng.IntN(m+5)
		all := make([]candidate, m)
		for i := range all {
			all[i] = candidate{float64(rng.IntN(6)) / 4, i} // few distinct values: many ties
		}
		top := newTopK(n)
		for _, p := range rng.Perm(m) {
			top.push(float32(all[p].sim), int32(all[p].row))
		}
		sortCandidates(all)
		want := make([]int32, 0, n)
		for _, c := range all[:min(n, m)] {
			want = append(want, int32(c.row))
		}
		if !slices.Equal(top.idx, want) {
			t.Fatalf("trial %d (m=%d, n=%d): %v, want %v", trial, m, n, top.idx, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	x := Matrix{N: 3, D: 2, Data: []float32{3, 4, 0, -2, 1e-20, 1e-20}}
	got, err := Normalize(x)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.6, 0.8, 0, -1, math.Sqrt(0.5), math.Sqrt(0.5)}
	for i, w := range want {
		if math.Abs(float64(got.Data[i])-w) > 1e-7 {
			t.Errorf("entry %d: %v, want %v", i, got.Data[i], w)
		}
	}
	if x.Data[0] != 3 {
		t.Error("Normalize changed its input")
	}
	for _, tc := range []struct {
		name string
		x    Matrix
		want string
	}{
		{"zero row", Matrix{N: 2, D: 2, Data: []float32{1, 0, 0, 0}}, "row 1 is all zeros"},
		{"NaN", Matrix{N: 2, D: 2, Data: []float32{1, 0, 0, float32(math.NaN())}}, "row 1 column 1 is NaN"},
		{"bad shape", Matrix{N: 2, D: 2, Data: []float32{1}}, "claims 2×2"},
	} {
		if _, err := Normalize(tc.x); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestCheckRows(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	cases := []struct {
		name string
		data []float32
		want string // "" for no error
	}{
		{"fine", []float32{1, 0, 0, 2}, ""},
		{"nan", []float32{1, 0, 0, nan}, "row 1 column 1 is NaN"},
		{"inf", []float32{inf, 0, 0, 1}, "row 0 column 0 is -Inf"},
		{"zero row", []float32{1, 1, 0, 0}, "row 1 is all zeros"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckRows(Matrix{N: 2, D: 2, Data: tc.data})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v; want it to mention %q", err, tc.want)
			}
		})
	}
}
