package propagate

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// EigenMethod picks the eigensolver of SmallestEigen.
type EigenMethod string

// Eigensolvers. EigenAuto uses the dense solver for connected components of at most
// EigenOptions.DenseMax nodes and Lanczos for larger ones.
const (
	EigenAuto    EigenMethod = "auto"
	EigenDense   EigenMethod = "dense"
	EigenLanczos EigenMethod = "lanczos"
)

// EigenOptions tunes SmallestEigen. Zero fields take the defaults in brackets.
type EigenOptions struct {
	// Method is the solver ["auto"].
	Method EigenMethod
	// DenseMax is the largest component solved densely under "auto" [1000]. Dense
	// mat.EigenSym costs O(n³) time and O(n²) memory: about 1.5 s at 1000 nodes and 7 s at
	// 1500 on two cores, so Lanczos takes over early.
	DenseMax int
	// Tol is the Lanczos residual ‖L·e − λ·e‖ at which an eigenpair counts as converged
	// [1e-6]. Eigenvalue errors are of order Tol²/gap, far below Tol.
	Tol float64
	// MaxRestarts bounds the Lanczos thick restarts [500].
	MaxRestarts int
	// Seed seeds the Lanczos start vectors.
	Seed uint64
	// Progress, if not nil, receives (converged, wanted) after every Lanczos restart.
	Progress func(done, total int) `json:"-"`
}

func (o EigenOptions) withDefaults() (EigenOptions, error) {
	if o.Method == "" {
		o.Method = EigenAuto
	}
	switch o.Method {
	case EigenAuto, EigenDense, EigenLanczos:
	default:
		return o, fmt.Errorf("propagate: unknown EigenOptions.Method %q; want auto, dense or lanczos", o.Method)
	}
	o.DenseMax = cmp.Or(o.DenseMax, 1000)
	o.Tol = cmp.Or(o.Tol, 1e-6)
	o.MaxRestarts = cmp.Or(o.MaxRestarts, 500)
	if o.DenseMax < 0 || o.Tol < 0 || o.MaxRestarts < 0 || math.IsNaN(o.Tol) {
		return o, fmt.Errorf("propagate: EigenOptions has a negative or NaN field: %+v", o)
	}
	return o, nil
}

// SmallestEigen returns the eta smallest eigenvalues (ascending) of the normalised Laplacian
// L_sym = I − D^-1/2·W·D^-1/2 of the affinity matrix w, and the matching unit eigenvectors as
// the columns of an N×eta matrix (Eq. 6 uses them). w must be symmetric with non-negative
// weights; its diagonal is ignored (see Sparse.Degree).
//
// The graph is split into connected components, whose spectra are independent. Each component
// contributes the exact null pair (λ = 0, e = D^1/2·1 on the component, normalised); an
// isolated node is a component of its own with e its unit vector, as in scipy's csgraph
// laplacian. The other eigenpairs of each component come from mat.EigenSym on its dense
// Laplacian or from thick-restart Lanczos on the sparse one (deflating the null vector; see
// EigenOptions), and the eta smallest over all components are kept. Solving per component keeps
// the eigenvectors of a disconnected graph exact and separated, which a single Lanczos run
// could not do for the repeated zero eigenvalue.
func SmallestEigen(w *Sparse, eta int, opt EigenOptions) ([]float64, *mat.Dense, error) {
	if w == nil || w.N <= 0 || len(w.RowPtr) != w.N+1 || len(w.Col) != len(w.Val) || w.RowPtr[w.N] != len(w.Col) {
		return nil, nil, fmt.Errorf("propagate: SmallestEigen needs a CSR matrix from Affinity; got a malformed one")
	}
	if eta < 1 || eta > w.N {
		return nil, nil, fmt.Errorf("propagate: eta = %d eigenpairs must be in [1, N = %d]", eta, w.N)
	}
	for p, v := range w.Val {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("propagate: affinity entry %d is %v; weights must be finite and non-negative", p, v)
		}
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	deg := w.Degree()
	comp, nComp := Components(w)
	nodes := make([][]int, nComp)
	pos := make([]int32, w.N)
	for i, c := range comp {
		pos[i] = int32(len(nodes[c]))
		nodes[c] = append(nodes[c], i)
	}
	type pair struct {
		value float64
		comp  int
		vec   []float64 // over the component's nodes
	}
	var pairs []pair
	for c, nd := range nodes {
		null := make([]float64, len(nd))
		var ss float64
		for li, i := range nd {
			null[li] = math.Sqrt(deg[i])
			ss += deg[i]
		}
		if ss == 0 { // an isolated node
			null[0] = 1
		} else {
			for li := range null {
				null[li] /= math.Sqrt(ss)
			}
		}
		pairs = append(pairs, pair{0, c, null})
		nev := min(eta, len(nd)) - 1
		if nev == 0 {
			continue
		}
		sub := w
		if nComp > 1 {
			sub = subgraph(w, nd, pos, comp, int32(c))
		}
		var vals []float64
		var vecs [][]float64
		if opt.Method == EigenDense || (opt.Method == EigenAuto && len(nd) <= opt.DenseMax) {
			vals, vecs, err = denseSmallest(sub, nev)
		} else {
			localDeg := make([]float64, len(nd))
			for li, i := range nd {
				localDeg[li] = deg[i]
			}
			op := newLaplacianOp(sub, localDeg)
			vals, vecs, err = lanczosSmallest(len(nd), op.apply, [][]float64{null}, nev, lanczosOptions{
				tol: opt.Tol, maxRestarts: opt.MaxRestarts, seed: opt.Seed + uint64(c), progress: opt.Progress,
			})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("component %d (%d nodes): %w", c, len(nd), err)
		}
		for t := range vals {
			pairs = append(pairs, pair{vals[t], c, vecs[t]})
		}
	}
	// Stable: the null pairs come first among equal values, then by component.
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(a.value, b.value) })
	values := make([]float64, eta)
	vectors := mat.NewDense(w.N, eta, nil)
	for t, p := range pairs[:eta] {
		values[t] = p.value
		for li, i := range nodes[p.comp] {
			vectors.Set(i, t, p.vec[li])
		}
	}
	return values, vectors, nil
}

// laplacianOp applies L_sym = I − D^-1/2·W·D^-1/2 of a connected graph (all degrees > 0).
// It keeps the off-diagonal entries of D^-1/2·W·D^-1/2, negated, as its own CSR arrays, so
// one product reads each entry once and does one multiply-add.
type laplacianOp struct {
	n      int
	rowPtr []int
	col    []int32
	val    []float64
}

func newLaplacianOp(w *Sparse, deg []float64) *laplacianOp {
	invSqrtD := make([]float64, w.N)
	for i, d := range deg {
		invSqrtD[i] = 1 / math.Sqrt(d)
	}
	op := &laplacianOp{n: w.N, rowPtr: make([]int, w.N+1), col: make([]int32, 0, w.NNZ()), val: make([]float64, 0, w.NNZ())}
	for i := 0; i < w.N; i++ {
		for p := w.RowPtr[i]; p < w.RowPtr[i+1]; p++ {
			if j := int(w.Col[p]); j != i {
				op.col = append(op.col, int32(j))
				op.val = append(op.val, -invSqrtD[i]*w.Val[p]*invSqrtD[j])
			}
		}
		op.rowPtr[i+1] = len(op.col)
	}
	return op
}

func (op *laplacianOp) apply(dst, src []float64) {
	parallelRange(op.n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p0, p1 := op.rowPtr[i], op.rowPtr[i+1]
			col, val := op.col[p0:p1], op.val[p0:p1]
			sum := src[i]
			for t, j := range col {
				sum += val[t] * src[j]
			}
			dst[i] = sum
		}
	})
}

// LaplacianDense returns L_sym = I − D^-1/2·W·D^-1/2 as a dense matrix, the diagonal of w
// ignored. An isolated node gets a zero row and column, as in scipy's csgraph.laplacian. It is
// the reference the sparse solver is tested against; it needs O(N²) memory.
func LaplacianDense(w *Sparse) *mat.SymDense {
	deg := w.Degree()
	l := mat.NewSymDense(w.N, nil)
	for i := 0; i < w.N; i++ {
		if deg[i] > 0 {
			l.SetSym(i, i, 1)
		}
		for p := w.RowPtr[i]; p < w.RowPtr[i+1]; p++ {
			if j := int(w.Col[p]); j > i && w.Val[p] != 0 {
				l.SetSym(i, j, -w.Val[p]/math.Sqrt(deg[i]*deg[j]))
			}
		}
	}
	return l
}

// denseSmallest returns eigenpairs 1…nev (skipping the null pair 0) of a connected graph's
// Laplacian from mat.EigenSym.
func denseSmallest(w *Sparse, nev int) ([]float64, [][]float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(LaplacianDense(w), true) {
		return nil, nil, fmt.Errorf("propagate: dense eigen decomposition failed")
	}
	all := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	vals := slices.Clone(all[1 : nev+1])
	out := make([][]float64, nev)
	for t := range out {
		out[t] = mat.Col(nil, t+1, &vecs)
	}
	return vals, out, nil
}
