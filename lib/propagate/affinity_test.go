package propagate

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// refAffinity builds W = (S+Sᵀ)/2 densely from the graph, S_ij = exp(−(1−cos_ij)/T) for each
// listed neighbour j ≠ i of row i.
func refAffinity(g *Graph, temperature float64) [][]float64 {
	s := make([][]float64, g.N)
	for i := range s {
		s[i] = make([]float64, g.N)
	}
	for i := 0; i < g.N; i++ {
		for t := 0; t < g.K; t++ {
			j := int(g.Index[i*g.K+t])
			if j != i {
				s[i][j] = math.Exp(-(1 - float64(g.Sim[i*g.K+t])) / temperature)
			}
		}
	}
	w := make([][]float64, g.N)
	for i := range w {
		w[i] = make([]float64, g.N)
		for j := range w[i] {
			w[i][j] = (s[i][j] + s[j][i]) / 2
		}
	}
	return w
}

// checkCSR checks the documented CSR form: columns strictly ascending per row, in range.
func checkCSR(t *testing.T, w *Sparse) {
	t.Helper()
	if len(w.RowPtr) != w.N+1 || w.RowPtr[0] != 0 || w.RowPtr[w.N] != len(w.Col) || len(w.Col) != len(w.Val) || w.NNZ() != len(w.Col) {
		t.Fatalf("malformed CSR: N=%d, %d row pointers, last %d, %d columns, %d values", w.N, len(w.RowPtr), w.RowPtr[len(w.RowPtr)-1], len(w.Col), len(w.Val))
	}
	for i := 0; i < w.N; i++ {
		cols := w.Col[w.RowPtr[i]:w.RowPtr[i+1]]
		for p, c := range cols {
			if c < 0 || int(c) >= w.N || (p > 0 && c <= cols[p-1]) {
				t.Fatalf("row %d columns %v not strictly ascending in [0,%d)", i, cols, w.N)
			}
		}
	}
}

func TestAffinityMatchesDense(t *testing.T) {
	clusteredX, _ := clustered(400, 16, 4, 0.25, 8)
	dup := randomRows(120, 6, 3)
	copy(dup.Row(7), dup.Row(50))
	cases := []struct {
		name        string
		x           Matrix
		k           int
		temperature float64
	}{
		{"random k=5 T=0.2", randomRows(150, 8, 1), 5, 0.2},
		{"clustered k=20 T=0.2", clusteredX, 20, 0.2},
		{"clustered k=3 T=1", clusteredX, 3, 1},
		{"duplicate rows k=8 T=0.05", dup, 8, 0.05},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := KNN(mustNormalize(t, tc.x), tc.k)
			if err != nil {
				t.Fatal(err)
			}
			w, err := Affinity(g, tc.temperature)
			if err != nil {
				t.Fatal(err)
			}
			checkCSR(t, w)
			ref := refAffinity(g, tc.temperature)
			got := denseOf(w)
			dense := w.Dense()
			nnz := 0
			for i := range ref {
				var deg float64
				for j := range ref[i] {
					if ref[i][j] != 0 {
						nnz++
					}
					if d := math.Abs(got[i][j] - ref[i][j]); d > 1e-12 {
						t.Fatalf("W[%d,%d] = %v, reference %v", i, j, got[i][j], ref[i][j])
					}
					if got[i][j] != got[j][i] {
						t.Fatalf("W not symmetric at (%d,%d): %v vs %v", i, j, got[i][j], got[j][i])
					}
					if dense.At(i, j) != got[i][j] {
						t.Fatalf("Dense()[%d,%d] = %v, CSR holds %v", i, j, dense.At(i, j), got[i][j])
					}
					deg += ref[i][j]
				}
				if got[i][i] != 0 {
					t.Fatalf("self-loop kept at %d: %v", i, got[i][i])
				}
				if d := math.Abs(w.Degree()[i] - deg); d > 1e-12 {
					t.Fatalf("degree %d = %v, reference %v", i, w.Degree()[i], deg)
				}
			}
			if w.NNZ() != nnz {
				t.Errorf("%d stored entries, reference has %d non-zeros", w.NNZ(), nnz)
			}
		})
	}
}

// TestAffinityHandGraph checks weights computed by hand: a mutual edge keeps its full weight,
// a one-way edge half of it, and a self entry listed anywhere in a row is dropped.
func TestAffinityHandGraph(t *testing.T) {
	g := &Graph{N: 3, K: 2,
		Index: []int32{0, 1, 1, 0, 1, 2},
		Sim:   []float32{1, 0.8, 1, 0.8, 0.5, 1}} // row 2 lists itself second
	w, err := Affinity(g, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	checkCSR(t, w)
	e01 := math.Exp(-0.2 / 0.2)
	e21 := math.Exp(-0.5/0.2) / 2
	want := [][]float64{{0, e01, 0}, {e01, 0, e21}, {0, e21, 0}}
	got := denseOf(w)
	for i := range want {
		for j := range want[i] {
			if math.Abs(got[i][j]-want[i][j]) > 1e-7 { // Sim is float32
				t.Errorf("W[%d,%d] = %v, want %v", i, j, got[i][j], want[i][j])
			}
		}
	}
	if w.NNZ() != 4 {
		t.Errorf("%d entries stored, want 4", w.NNZ())
	}
	deg := w.Degree()
	wantDeg := []float64{e01, e01 + e21, e21}
	for i := range deg {
		if math.Abs(deg[i]-wantDeg[i]) > 1e-7 {
			t.Errorf("degree %d = %v, want %v", i, deg[i], wantDeg[i])
		}
	}
}

// TestDegreeIgnoresSelfLoops: a stored diagonal entry counts neither in the degree nor in the
// Laplacian (scipy's csgraph.laplacian convention).
func TestDegreeIgnoresSelfLoops(t *testing.T) {
	w := sparseFromEdges(4, []edge{{0, 0, 5}, {0, 1, 2}, {1, 2, 0.5}, {2, 2, 1}, {3, 3, 7}})
	got := w.Degree()
	want := []float64{2, 2.5, 0.5, 0}
	if !slices.Equal(got, want) {
		t.Errorf("degrees %v, want %v", got, want)
	}
	x := []float64{1, 2, 3, 4}
	y := make([]float64, 4)
	w.MulVec(y, x)
	wantY := []float64{5*1 + 2*2, 2*1 + 0.5*3, 0.5*2 + 1*3, 7 * 4} // MulVec keeps the diagonal
	if !slices.Equal(y, wantY) {
		t.Errorf("MulVec %v, want %v", y, wantY)
	}
	l := LaplacianDense(w)
	ref := refLaplacian(w)
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			if math.Abs(l.At(i, j)-ref.At(i, j)) > 1e-15 {
				t.Errorf("LaplacianDense[%d,%d] = %v, reference %v", i, j, l.At(i, j), ref.At(i, j))
			}
		}
	}
	if l.At(0, 1) != -2/math.Sqrt(2*2.5) || l.At(3, 3) != 0 || l.At(0, 0) != 1 {
		t.Errorf("Laplacian entries (0,1)=%v (3,3)=%v (0,0)=%v; want −2/√5, 0 for the isolated node, 1", l.At(0, 1), l.At(3, 3), l.At(0, 0))
	}
}

func TestAffinityErrors(t *testing.T) {
	good := &Graph{N: 2, K: 2, Index: []int32{0, 1, 1, 0}, Sim: []float32{1, 0.5, 1, 0.5}}
	cases := []struct {
		name        string
		g           *Graph
		temperature float64
		want        string
	}{
		{"nil graph", nil, 0.2, "malformed"},
		{"short index", &Graph{N: 2, K: 2, Index: []int32{0, 1}, Sim: good.Sim}, 0.2, "malformed"},
		{"neighbour out of range", &Graph{N: 2, K: 2, Index: []int32{0, 2, 1, 0}, Sim: good.Sim}, 0.2, "neighbour 2 outside [0,2)"},
		{"negative neighbour", &Graph{N: 2, K: 2, Index: []int32{0, 1, 1, -1}, Sim: good.Sim}, 0.2, "neighbour -1 outside"},
		{"zero temperature", good, 0, "temperature 0 must be positive"},
		{"negative temperature", good, -1, "temperature -1 must be positive"},
		{"NaN temperature", good, math.NaN(), "temperature NaN"},
		{"infinite temperature", good, math.Inf(1), "temperature +Inf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Affinity(tc.g, tc.temperature); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestComponents(t *testing.T) {
	cases := []struct {
		name  string
		w     *Sparse
		want  []int32
		count int
	}{
		{"empty graph of isolated nodes", sparseFromEdges(3, nil), []int32{0, 1, 2}, 3},
		{"path", sparseFromEdges(4, []edge{{0, 1, 1}, {1, 2, 1}, {2, 3, 1}}), []int32{0, 0, 0, 0}, 1},
		{
			// 0–1–2 and 3–4 are components; 5 is isolated (no entries); 6 has only a self-loop;
			// 7 and 8 share a stored zero-weight edge, which is no edge; 9 joins 2 through a
			// chain numbered out of order.
			name: "mixed",
			w: sparseFromEdges(11, []edge{{0, 1, 1}, {1, 2, 0.3}, {4, 3, 2}, {6, 6, 1}, {7, 8, 0},
				{9, 10, 1}, {10, 2, 1e-30}}),
			want:  []int32{0, 0, 0, 1, 1, 2, 3, 4, 5, 0, 0},
			count: 6,
		},
		{"isolated node without entries among blocks", blockDiag(2, sparseFromEdges(2, []edge{{0, 1, 1}}), sparseFromEdges(3, []edge{{0, 2, 1}})),
			[]int32{0, 0, 1, 2, 1, 3, 4}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			labels, count := Components(tc.w)
			if count != tc.count || !slices.Equal(labels, tc.want) {
				t.Errorf("labels %v (%d components), want %v (%d)", labels, count, tc.want, tc.count)
			}
		})
	}
}
