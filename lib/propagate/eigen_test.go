package propagate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// maxResid is the residual ‖L·e − λ·e‖ each solver must reach: the dense one to rounding,
// Lanczos to 10·Tol (the slack checkedPairs allows over the default Tol 1e-6).
var maxResid = map[EigenMethod]float64{EigenDense: 1e-9, EigenLanczos: 1e-5, EigenAuto: 1e-5}

func cycleGraph(n int) *Sparse {
	var e []edge
	for i := 0; i < n; i++ {
		e = append(e, edge{i, (i + 1) % n, 1})
	}
	return sparseFromEdges(n, e)
}

func pathGraph(n int) *Sparse {
	var e []edge
	for i := 0; i+1 < n; i++ {
		e = append(e, edge{i, i + 1, 1})
	}
	return sparseFromEdges(n, e)
}

func completeGraph(n int) *Sparse {
	var e []edge
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			e = append(e, edge{i, j, 1})
		}
	}
	return sparseFromEdges(n, e)
}

// TestSmallestEigenClosedForm checks graphs whose normalised Laplacian spectrum is known:
// cycle C_n: 1 − cos(2πk/n); path P_n: 1 − cos(πk/(n−1)); complete K_n: 0 and n/(n−1).
func TestSmallestEigenClosedForm(t *testing.T) {
	closed := func(n int, f func(k int) float64) []float64 {
		v := make([]float64, n)
		for k := range v {
			v[k] = f(k)
		}
		slices.Sort(v)
		return v
	}
	cases := []struct {
		name string
		w    *Sparse
		eta  int
		want []float64
	}{
		{"cycle 16", cycleGraph(16), 9, closed(16, func(k int) float64 { return 1 - math.Cos(2*math.Pi*float64(k)/16) })},
		{"cycle 7 all", cycleGraph(7), 7, closed(7, func(k int) float64 { return 1 - math.Cos(2*math.Pi*float64(k)/7) })},
		{"path 40", pathGraph(40), 12, closed(40, func(k int) float64 { return 1 - math.Cos(math.Pi*float64(k)/39) })},
		{"path 2", pathGraph(2), 2, []float64{0, 2}},
		{"complete 9", completeGraph(9), 5, closed(9, func(k int) float64 { return map[bool]float64{true: 0, false: 9.0 / 8}[k == 0] })},
	}
	for _, tc := range cases {
		l := refLaplacian(tc.w)
		_, refVecs := refEigen(t, l)
		for _, m := range []EigenMethod{EigenDense, EigenLanczos} {
			t.Run(fmt.Sprintf("%s/%s", tc.name, m), func(t *testing.T) {
				values, vectors, err := SmallestEigen(tc.w, tc.eta, EigenOptions{Method: m, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				for j, v := range values {
					if math.Abs(v-tc.want[j]) > 1e-9 {
						t.Errorf("λ_%d = %.15g, closed form %.15g", j, v, tc.want[j])
					}
				}
				checkEigenpairs(t, l, values, vectors, tc.want, refVecs, maxResid[m])
			})
		}
	}
}

// TestSmallestEigenKNNGraphs compares both solvers with mat.EigenSym on connected kNN graphs
// of clustered data, whose low spectrum holds one small eigenvalue per cluster.
func TestSmallestEigenKNNGraphs(t *testing.T) {
	dense := EigenOptions{Method: EigenDense}
	lanczos := EigenOptions{Method: EigenLanczos, Seed: 3}
	cases := []struct {
		name                  string
		n, d, classes, k, eta int
		noise                 float64
		solvers               []EigenOptions
		valuesOnly            bool // reference eigenvalues only, to keep the dense solve cheap
	}{
		{name: "300 nodes k=10 η=20", n: 300, d: 16, classes: 6, k: 10, eta: 20, noise: 0.35, solvers: []EigenOptions{dense, lanczos}},
		{name: "800 nodes k=15 η=60", n: 800, d: 32, classes: 10, k: 15, eta: 60, noise: 0.25, solvers: []EigenOptions{dense, lanczos}},
		// Above DenseMax, so "auto" runs Lanczos (with its Chebyshev filter phase); a tight
		// Tol must show in the residuals.
		{name: "1200 nodes k=20 η=40", n: 1200, d: 32, classes: 8, k: 20, eta: 40, noise: 0.25,
			solvers: []EigenOptions{{Seed: 4}, {Method: EigenLanczos, Tol: 1e-10, Seed: 5}}},
		{name: "2000 nodes k=20 η=100", n: 2000, d: 32, classes: 10, k: 20, eta: 100, noise: 0.25, solvers: []EigenOptions{lanczos}, valuesOnly: true},
	}
	for _, tc := range cases {
		x, _ := clustered(tc.n, tc.d, tc.classes, tc.noise, uint64(tc.n))
		w := affinityOf(t, x, tc.k, 0.2)
		if _, c := Components(w); c != 1 {
			t.Fatalf("%s: test graph has %d components; want a connected one", tc.name, c)
		}
		l := refLaplacian(w)
		var refVals []float64
		var refVecs *mat.Dense
		if tc.valuesOnly {
			refVals = refEigenValues(t, l)
		} else {
			refVals, refVecs = refEigen(t, l)
		}
		for _, opt := range tc.solvers {
			resid := maxResid[cmp.Or(opt.Method, EigenAuto)]
			if opt.Tol != 0 {
				resid = 10 * opt.Tol
			}
			name := cmp.Or(opt.Method, EigenAuto)
			t.Run(fmt.Sprintf("%s/%s tol %g", tc.name, name, opt.Tol), func(t *testing.T) {
				values, vectors, err := SmallestEigen(w, tc.eta, opt)
				if err != nil {
					t.Fatal(err)
				}
				if values[0] != 0 || values[1] < 1e-6 {
					t.Errorf("λ_0 = %v, λ_1 = %v; want exactly one zero for a connected graph", values[0], values[1])
				}
				checkEigenpairs(t, l, values, vectors, refVals, refVecs, resid)
			})
		}
	}
	// A tolerance below rounding cannot be met; the error says which knob to turn.
	x, _ := clustered(300, 16, 6, 0.35, 300)
	_, _, err := SmallestEigen(affinityOf(t, x, 10, 0.2), 20, EigenOptions{Method: EigenLanczos, Tol: 1e-17, MaxRestarts: 2})
	if err == nil || !strings.Contains(err.Error(), "EigenOptions.Tol") {
		t.Errorf("Tol 1e-17: error %v, want one naming EigenOptions.Tol", err)
	}
}

// TestSmallestEigenDisconnected: two separated kNN graphs, a 5-cycle smaller than η and an
// isolated node. Each component gives an exact zero with vector D^1/2·1 on the component
// (a unit vector for the isolated node), ordered by component.
func TestSmallestEigenDisconnected(t *testing.T) {
	xa, _ := clustered(250, 16, 3, 0.3, 21)
	xb, _ := clustered(350, 16, 4, 0.3, 22)
	cases := []struct {
		name  string
		w     *Sparse
		eta   int
		comps [][2]int // node ranges [lo, hi) of the components, in order
	}{
		{"two clusters and an isolated node η=30", blockDiag(1, affinityOf(t, xa, 10, 0.2), affinityOf(t, xb, 12, 0.2)), 30,
			[][2]int{{0, 250}, {250, 600}, {600, 601}}},
		{"cluster, 5-cycle and an isolated node η=45", blockDiag(1, affinityOf(t, xb, 20, 0.2), cycleGraph(5)), 45,
			[][2]int{{0, 350}, {350, 355}, {355, 356}}},
	}
	for _, tc := range cases {
		labels, count := Components(tc.w)
		if count != len(tc.comps) {
			t.Fatalf("%s: %d components, want %d", tc.name, count, len(tc.comps))
		}
		l := refLaplacian(tc.w)
		refVals, refVecs := refEigen(t, l)
		deg := tc.w.Degree()
		for _, m := range []EigenMethod{EigenDense, EigenLanczos} {
			t.Run(fmt.Sprintf("%s/%s", tc.name, m), func(t *testing.T) {
				values, vectors, err := SmallestEigen(tc.w, tc.eta, EigenOptions{Method: m, Seed: 5})
				if err != nil {
					t.Fatal(err)
				}
				for c, r := range tc.comps {
					if values[c] != 0 {
						t.Errorf("λ_%d = %v, want an exact zero for component %d", c, values[c], c)
					}
					var ss float64
					for i := r[0]; i < r[1]; i++ {
						ss += deg[i]
					}
					for i := 0; i < tc.w.N; i++ {
						want := 0.0
						switch {
						case labels[i] != int32(c):
						case ss == 0:
							want = 1
						default:
							want = math.Sqrt(deg[i] / ss)
						}
						if math.Abs(vectors.At(i, c)-want) > 1e-12 {
							t.Fatalf("null vector %d at node %d: %v, want %v", c, i, vectors.At(i, c), want)
						}
					}
				}
				if values[len(tc.comps)] < 1e-6 {
					t.Errorf("λ_%d = %v; want only %d zeros", len(tc.comps), values[len(tc.comps)], len(tc.comps))
				}
				checkEigenpairs(t, l, values, vectors, refVals, refVecs, maxResid[m])
			})
		}
	}
}

func TestSmallestEigenErrors(t *testing.T) {
	w := cycleGraph(6)
	neg := cycleGraph(6)
	neg.Val[3] = -1
	nan := cycleGraph(6)
	nan.Val[0] = math.NaN()
	cases := []struct {
		name string
		w    *Sparse
		eta  int
		opt  EigenOptions
		want string
	}{
		{"nil", nil, 2, EigenOptions{}, "malformed"},
		{"bad row pointers", &Sparse{N: 3, RowPtr: []int{0, 1}}, 2, EigenOptions{}, "malformed"},
		{"eta 0", w, 0, EigenOptions{}, "eta = 0 eigenpairs must be in [1, N = 6]"},
		{"eta above N", w, 7, EigenOptions{}, "eta = 7"},
		{"negative weight", neg, 3, EigenOptions{}, "affinity entry 3 is -1"},
		{"NaN weight", nan, 3, EigenOptions{}, "affinity entry 0 is NaN"},
		{"unknown method", w, 3, EigenOptions{Method: "qr"}, `unknown EigenOptions.Method "qr"`},
		{"negative tolerance", w, 3, EigenOptions{Tol: -1}, "negative or NaN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := SmallestEigen(tc.w, tc.eta, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestLaplacianDense compares LaplacianDense with the definition on a kNN graph.
func TestLaplacianDense(t *testing.T) {
	w := blockDiag(1, affinityOf(t, randomRows(60, 5, 2), 6, 0.2))
	got, want := LaplacianDense(w), refLaplacian(w)
	if !mat.EqualApprox(got, want, 1e-14) {
		t.Error("LaplacianDense differs from the definition")
	}
}
