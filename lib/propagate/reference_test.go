package propagate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Slow, obviously correct references shared by the tests. None of them calls the code under
// test except to build its inputs.

// randomRows draws n rows of dimension d with independent standard normal entries.
func randomRows(n, d int, seed uint64) Matrix {
	rng := rand.New(rand.NewPCG(seed, 11))
	x := NewMatrix(n, d)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}

// mustNormalize is Normalize for inputs known to be valid.
func mustNormalize(t testing.TB, x Matrix) Matrix {
	t.Helper()
	xn, err := Normalize(x)
	if err != nil {
		t.Fatal(err)
	}
	return xn
}

// edge is an undirected weighted edge of a hand-made graph.
type edge struct {
	i, j int
	w    float64
}

// sparseFromDense returns the CSR form of the dense square matrix a, keeping its non-zero
// entries.
func sparseFromDense(a [][]float64) *Sparse {
	s := &Sparse{N: len(a), RowPtr: make([]int, len(a)+1)}
	for i, row := range a {
		for j, v := range row {
			if v != 0 {
				s.Col = append(s.Col, int32(j))
				s.Val = append(s.Val, v)
			}
		}
		s.RowPtr[i+1] = len(s.Col)
	}
	return s
}

// sparseFromEdges builds a symmetric n-node graph; an edge with i == j is a self-loop. A
// zero-weight edge is stored explicitly, so that code must cope with stored zeros.
func sparseFromEdges(n int, edges []edge) *Sparse {
	a := make([][]float64, n)
	stored := make([][]bool, n)
	for i := range a {
		a[i] = make([]float64, n)
		stored[i] = make([]bool, n)
	}
	for _, e := range edges {
		a[e.i][e.j], a[e.j][e.i] = e.w, e.w
		stored[e.i][e.j], stored[e.j][e.i] = true, true
	}
	s := &Sparse{N: n, RowPtr: make([]int, n+1)}
	for i := range a {
		for j, v := range a[i] {
			if stored[i][j] {
				s.Col = append(s.Col, int32(j))
				s.Val = append(s.Val, v)
			}
		}
		s.RowPtr[i+1] = len(s.Col)
	}
	return s
}

// denseOf reads a CSR matrix into a dense [][]float64 without Sparse.Dense.
func denseOf(s *Sparse) [][]float64 {
	a := make([][]float64, s.N)
	for i := range a {
		a[i] = make([]float64, s.N)
		for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
			a[i][s.Col[p]] += s.Val[p]
		}
	}
	return a
}

// blockDiag places the graphs on the diagonal of one larger graph and appends isolated extra
// nodes (no stored entries at all).
func blockDiag(extra int, parts ...*Sparse) *Sparse {
	n := extra
	for _, p := range parts {
		n += p.N
	}
	out := &Sparse{N: n, RowPtr: make([]int, 1, n+1)}
	off := 0
	for _, p := range parts {
		for i := 0; i < p.N; i++ {
			for q := p.RowPtr[i]; q < p.RowPtr[i+1]; q++ {
				out.Col = append(out.Col, p.Col[q]+int32(off))
				out.Val = append(out.Val, p.Val[q])
			}
			out.RowPtr = append(out.RowPtr, len(out.Col))
		}
		off += p.N
	}
	for i := 0; i < extra; i++ {
		out.RowPtr = append(out.RowPtr, len(out.Col))
	}
	return out
}

// refLaplacian is L_sym = I − D^-1/2·W·D^-1/2 written from its definition: d_i sums the
// off-diagonal weights, an isolated node has a zero row and column (scipy's convention).
func refLaplacian(s *Sparse) *mat.SymDense {
	a := denseOf(s)
	n := len(a)
	deg := make([]float64, n)
	for i := range a {
		for j, v := range a[i] {
			if j != i {
				deg[i] += v
			}
		}
	}
	l := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			switch {
			case i == j && deg[i] > 0:
				l.SetSym(i, i, 1)
			case i != j && a[i][j] != 0:
				l.SetSym(i, j, -a[i][j]/math.Sqrt(deg[i]*deg[j]))
			}
		}
	}
	return l
}

// refEigen returns all eigenvalues (ascending) and eigenvectors (columns) of l.
func refEigen(t testing.TB, l *mat.SymDense) ([]float64, *mat.Dense) {
	t.Helper()
	var eig mat.EigenSym
	if !eig.Factorize(l, true) {
		t.Fatal("reference mat.EigenSym failed")
	}
	var v mat.Dense
	eig.VectorsTo(&v)
	return eig.Values(nil), &v
}

// refEigenValues returns the eigenvalues of l (ascending) without vectors, which is about
// half the cost of refEigen.
func refEigenValues(t testing.TB, l *mat.SymDense) []float64 {
	t.Helper()
	var eig mat.EigenSym
	if !eig.Factorize(l, false) {
		t.Fatal("reference mat.EigenSym failed")
	}
	return eig.Values(nil)
}

// affinityOf builds the spectral method's affinity matrix of x (rows normalised here).
func affinityOf(t testing.TB, x Matrix, k int, temperature float64) *Sparse {
	t.Helper()
	g, err := KNN(mustNormalize(t, x), k)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Affinity(g, temperature)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// checkEigenpairs compares eigenpairs (values ascending, vectors as columns) against the full
// reference decomposition of the Laplacian l:
//
//   - eigenvalues to 1e-6 relative (plus 1e-9 absolute, for the zeros);
//   - vectors orthonormal and with residual ‖L·e − λ·e‖ at most maxResid;
//   - subspaces (when refVecs is not nil): the computed vectors are cut into blocks at every reference gap of at least
//     gapMin, and each block's span must lie in the span of the matching reference block, up
//     to the Davis–Kahan bound sin θ ≤ √m·residual/gap. The last block may end inside a
//     cluster of close eigenvalues; its reference block then runs to the cluster's end.
//
// Without refVecs the first three checks still pin the subspaces down: an orthonormal set with
// small residuals whose Rayleigh quotients match the η smallest eigenvalues lies, by the same
// Davis–Kahan bound, near the true eigenspaces.
func checkEigenpairs(t *testing.T, l *mat.SymDense, values []float64, vectors *mat.Dense, refVals []float64, refVecs *mat.Dense, maxResid float64) {
	t.Helper()
	const gapMin = 1e-4
	n, eta := vectors.Dims()
	if len(values) != eta {
		t.Fatalf("%d values for %d vectors", len(values), eta)
	}
	for j, v := range values {
		if d := math.Abs(v - refVals[j]); d > 1e-6*math.Abs(refVals[j])+1e-9 {
			t.Errorf("λ_%d = %.12g, reference %.12g (diff %.3g)", j, v, refVals[j], d)
		}
	}
	var gram mat.Dense
	gram.Mul(vectors.T(), vectors)
	for i := 0; i < eta; i++ {
		for j := 0; j < eta; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if d := math.Abs(gram.At(i, j) - want); d > 1e-8 {
				t.Fatalf("vectors not orthonormal: (EᵀE)_%d,%d = %.3g", i, j, gram.At(i, j))
			}
		}
	}
	var le mat.Dense
	le.Mul(l, vectors)
	worst := 0.0
	for j := 0; j < eta; j++ {
		var rr float64
		for i := 0; i < n; i++ {
			d := le.At(i, j) - values[j]*vectors.At(i, j)
			rr += d * d
		}
		worst = math.Max(worst, math.Sqrt(rr))
	}
	if worst > maxResid {
		t.Errorf("largest residual ‖L·e − λ·e‖ = %.3g, want ≤ %.3g", worst, maxResid)
	}
	if refVecs == nil {
		return
	}
	gap := func(m int) float64 { // gap below reference index m
		if m <= 0 || m >= len(refVals) {
			return math.Inf(1)
		}
		return refVals[m] - refVals[m-1]
	}
	blocks := 0
	for a := 0; a < eta; {
		b := a + 1
		for b < eta && gap(b) < gapMin {
			b++
		}
		end := b
		for end < len(refVals) && gap(end) < gapMin {
			end++
		}
		sep := math.Min(gap(a), gap(end))
		// Both sides carry error: the reference's own is of order 1e-13/gap.
		bound := 2*math.Sqrt(float64(b-a))*math.Max(worst, 1e-12)/sep + 1e-10
		if s := largestSine(refVecs.Slice(0, n, a, end), vectors.Slice(0, n, a, b)); s > bound {
			t.Errorf("eigenvectors %d…%d (reference block %d…%d, gap %.3g): largest principal angle sin θ = %.3g, bound %.3g",
				a, b-1, a, end-1, sep, s, bound)
		}
		blocks++
		a = b
	}
	if blocks < 2 && eta > 2 {
		t.Errorf("only %d subspace blocks compared; the test graph's spectrum is too crowded to check vectors", blocks)
	}
}

// candidate is a row with its similarity to some query row.
type candidate struct {
	sim float64
	row int
}

// sortCandidates orders by similarity descending, then row index ascending.
func sortCandidates(c []candidate) {
	slices.SortFunc(c, func(a, b candidate) int {
		switch {
		case a.sim > b.sim:
			return -1
		case a.sim < b.sim:
			return 1
		}
		return a.row - b.row
	})
}

// largestSine returns sin of the largest principal angle between span(e) and span(ref), both
// with orthonormal columns and span(e) no larger: the 2-norm of (I − ref·refᵀ)·e. It is taken
// from that residual directly, not as √(1 − cos²), which would lose small angles to rounding.
func largestSine(ref, e mat.Matrix) float64 {
	var proj, res mat.Dense
	proj.Mul(ref.T(), e)
	res.Mul(ref, &proj)
	res.Sub(e, &res)
	var gram mat.SymDense
	gram.SymOuterK(1, res.T())
	var eig mat.EigenSym
	if !eig.Factorize(&gram, false) {
		return math.Inf(1)
	}
	vals := eig.Values(nil)
	return math.Sqrt(math.Max(0, vals[len(vals)-1]))
}
