package propagate

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/mat"
)

// symOp applies a symmetric n×n operator: dst = A·src.
type symOp func(dst, src []float64)

// lanczosOptions tunes lanczosSmallest; see EigenOptions for the exported knobs.
type lanczosOptions struct {
	tol         float64 // converged when ‖A·y − θ·y‖ ≤ tol for unit Ritz vectors y
	maxRestarts int
	ncv         int // basis size; 0 picks 2·nev+20
	seed        uint64
	progress    func(done, total int)
}

// krylovSchur runs the Lanczos process with full reorthogonalisation on the symmetric
// operator apply, restricted to the orthogonal complement of the orthonormal vectors deflate,
// and returns the nev smallest Ritz values (ascending) with their Ritz vectors as rows.
//
// Reorthogonalisation is two passes of classical Gram–Schmidt against the whole basis ("twice
// is enough"). Restarts are thick, in the Krylov–Schur manner: when the basis reaches ncv
// vectors, the Ritz pairs of the small projected matrix H = Vᵀ·A·V are computed, the best
// kk ≥ nev Ritz vectors are kept with the last residual vector, and the process goes on.
// Residual norms come from the Krylov relation A·V = V·H + β·v_{m+1}·e_mᵀ as |β·s_{m,i}|; pair
// i counts as converged when that is at most tol(θ_i). An invariant subspace (β ≈ 0) goes on
// from a fresh random vector orthogonal to the basis, so repeated eigenvalues are found too.
//
// start, if not nil, is the first basis vector (it is orthogonalised and normalised). After
// maxRestarts restarts without convergence it returns the current Ritz pairs with
// converged = false.
//
// The result holds all ncv Ritz values of the last cycle with their residual estimates, and the
// first nev Ritz vectors; after a single cycle also the quadrature weights of the start vector.
func krylovSchur(n int, apply symOp, deflate [][]float64, nev, ncv int, start []float64, tol func(theta float64) float64,
	maxRestarts int, rng *rand.Rand, progress func(done, total int)) (*ksResult, error) {
	nEff := n - len(deflate)
	if nev > nEff {
		return nil, fmt.Errorf("propagate: asked for %d eigenpairs of a %d-dimensional space", nev, nEff)
	}
	ncv = min(max(ncv, nev+1), nEff)
	V := make([]float64, (ncv+1)*n)
	row := func(j int) []float64 { return V[j*n : (j+1)*n] }
	H := make([]float64, ncv*ncv)
	gs := newGramSchmidt(n, ncv+1)
	w := make([]float64, n)
	ok := false
	if start != nil {
		copy(row(0), start)
		gs.orthogonalize(row(0), V[:0], deflate)
		if nrm := norm2(row(0)); nrm > 0 {
			for i := range row(0) {
				row(0)[i] /= nrm
			}
			ok = true
		}
	}
	if !ok && !gs.randomOrthogonal(row(0), V[:0], deflate, rng) {
		return nil, fmt.Errorf("propagate: Lanczos could not draw a start vector")
	}
	k := 0
	var eig mat.EigenSym
	var S mat.Dense
	// Convergence is checked at the end of each cycle and, late in a cycle, every
	// checkEvery steps, so a cycle that has already found every pair stops early.
	checkFrom := nev + (ncv-nev)/2
	const checkEvery = 20
	for restart := 0; ; restart++ {
		var beta float64
		m := ncv
		for j := k; j < ncv; j++ {
			apply(w, row(j))
			anorm := norm2(w)
			h := gs.orthogonalize(w, V[:(j+1)*n], deflate)
			for i := 0; i <= j; i++ {
				H[i*ncv+j], H[j*ncv+i] = h[i], h[i]
			}
			beta = norm2(w)
			last := j+1 == ncv
			if beta <= 1e-10*anorm || beta < 1e-300 {
				// Invariant subspace: nothing couples the basis to the rest any more.
				beta = 0
				if !last && !gs.randomOrthogonal(row(j+1), V[:(j+1)*n], deflate, rng) {
					return nil, fmt.Errorf("propagate: Lanczos lost its basis after %d vectors", j+1)
				}
			} else {
				next := row(j + 1)
				for i, v := range w {
					next[i] = v / beta
				}
			}
			if !last {
				H[(j+1)*ncv+j], H[j*ncv+j+1] = beta, beta
			}
			if j+1 >= checkFrom && j+1 < ncv && (j+1-checkFrom)%checkEvery == 0 {
				if ok, err := ritz(&eig, &S, H, ncv, j+1); err != nil {
					return nil, err
				} else if ok && converged(&S, eig.Values(nil), beta, nev, tol) == nev {
					m = j + 1
					break
				}
			}
		}
		if ok, err := ritz(&eig, &S, H, ncv, m); !ok {
			return nil, err
		}
		theta := eig.Values(nil)
		conv := converged(&S, theta, beta, nev, tol)
		if progress != nil {
			progress(conv, nev)
		}
		done := conv == nev || beta == 0 || m == nEff
		if done || restart >= maxRestarts {
			res := &ksResult{theta: theta, resid: make([]float64, m), vecs: ritzVectors(&S, V[:m*n], n, nev), converged: done}
			for i := range res.resid {
				res.resid[i] = math.Abs(beta * S.At(m-1, i))
			}
			if restart == 0 {
				res.weights = make([]float64, m)
				for i := range res.weights {
					res.weights[i] = S.At(0, i) * S.At(0, i)
				}
			}
			return res, nil
		}
		// Thick restart: keep kk Ritz vectors and the residual direction v_{m+1}.
		kk := min(nev+(ncv-nev)/2, ncv-1)
		kept := ritzVectors(&S, V[:ncv*n], n, kk)
		for i := 0; i < kk; i++ {
			copy(row(i), kept[i])
		}
		copy(row(kk), row(ncv))
		clear(H)
		for i := 0; i < kk; i++ {
			H[i*ncv+i] = theta[i]
			c := beta * S.At(ncv-1, i)
			H[kk*ncv+i], H[i*ncv+kk] = c, c
		}
		k = kk
	}
}

// ritz factorises the leading m×m block of the projected matrix H (stride ncv) into eig and
// its eigenvectors S.
func ritz(eig *mat.EigenSym, S *mat.Dense, H []float64, ncv, m int) (bool, error) {
	sub := make([]float64, m*m)
	for a := 0; a < m; a++ {
		copy(sub[a*m:(a+1)*m], H[a*ncv:a*ncv+m])
	}
	if !eig.Factorize(mat.NewSymDense(m, sub), true) {
		return false, fmt.Errorf("propagate: eigen decomposition of the %d×%d Lanczos matrix failed", m, m)
	}
	S.Reset()
	eig.VectorsTo(S)
	return true, nil
}

// converged counts the first nev Ritz pairs whose residual |β·s_{m,i}| is within tol.
func converged(S *mat.Dense, theta []float64, beta float64, nev int, tol func(float64) float64) int {
	m, _ := S.Dims()
	conv := 0
	for i := 0; i < nev; i++ {
		if math.Abs(beta*S.At(m-1, i)) <= tol(theta[i]) {
			conv++
		}
	}
	return conv
}

type ksResult struct {
	theta, resid []float64
	vecs         [][]float64
	converged    bool
	// weights are the squared first components of the Ritz vectors when no restart happened:
	// the Gauss quadrature weights of the start vector's spectral measure at the nodes theta.
	weights []float64
}

// ritzVectors returns the first cnt columns of S combined with the basis rows in V:
// row i = Σ_j S_ji·v_j.
func ritzVectors(S *mat.Dense, V []float64, n, cnt int) [][]float64 {
	raw := S.RawMatrix()
	m := len(V) / n
	out := make([]float64, cnt*n)
	// Column slabs of V and out, one per worker: the BLAS call itself runs on one core.
	chunks := workers()
	size := (n + chunks - 1) / chunks
	parallelRange(chunks, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			c0, c1 := c*size, min((c+1)*size, n)
			if c0 < c1 {
				dblas().Dgemm(blas.Trans, blas.NoTrans, cnt, c1-c0, m, 1, raw.Data, raw.Stride, V[c0:], n, 0, out[c0:], n)
			}
		}
	})
	rows := make([][]float64, cnt)
	for i := range rows {
		rows[i] = out[i*n : (i+1)*n]
	}
	return rows
}

func norm2(x []float64) float64 { return dblas().Dnrm2(len(x), x, 1) }

// gramSchmidt orthogonalises vectors against a row-major basis, splitting the columns over
// the cores.
type gramSchmidt struct {
	n       int
	h, g    []float64
	partial [][]float64
}

// gsSlab is the column width whose slice of the basis (m×gsSlab float64, under 1 MiB at m =
// 420) stays in cache between the two products that touch it.
const gsSlab = 256

func newGramSchmidt(n, maxBasis int) *gramSchmidt {
	gs := &gramSchmidt{n: n, h: make([]float64, maxBasis), g: make([]float64, maxBasis)}
	gs.partial = make([][]float64, workers())
	for i := range gs.partial {
		gs.partial[i] = make([]float64, maxBasis)
	}
	return gs
}

// orthogonalize removes from w its components along the deflation vectors and the rows of
// basis and returns the summed coefficients along the basis rows.
//
// The basis is the largest array the eigensolver touches, and reading it from memory is what
// the reorthogonalisation costs, so the sweeps over it are few. In Lanczos, w = A·v_j is
// mostly along v_j and v_{j−1}; those two components go first (cheap, two vectors). One
// classical Gram–Schmidt pass over the whole basis follows, and a second one only when the
// first cancelled much of w, ‖w′‖ < ‖w‖/√2 (the Daniel–Gragg–Kaufman–Stewart criterion,
// "twice is enough"). The first pass's update of a slab of columns, w_s −= V_sᵀ·h, is
// followed at once by the product V_s·w_s the second pass would need, on the same slab while
// it is in cache: two sweeps over the basis when one pass suffices, three when it does not.
func (gs *gramSchmidt) orthogonalize(w, basis []float64, deflate [][]float64) []float64 {
	n := gs.n
	m := len(basis) / n
	h := gs.h[:m]
	clear(h)
	impl := dblas()
	deflateOnce(w, deflate)
	for i := max(0, m-2); i < m; i++ {
		v := basis[i*n : (i+1)*n]
		c := impl.Ddot(n, v, 1, w, 1)
		impl.Daxpy(n, -c, v, 1, w, 1)
		h[i] += c
	}
	if m == 0 {
		return h
	}
	before := norm2(w)
	chunks := min(workers(), max(1, n*m/50000))
	size := (n + chunks - 1) / chunks
	// sum adds the per-chunk partial products into dst.
	sum := func(dst []float64) {
		copy(dst, gs.partial[0][:m])
		for c := 1; c < chunks; c++ {
			impl.Daxpy(m, 1, gs.partial[c][:m], 1, dst, 1)
		}
	}
	g := gs.g[:m]
	// Sweep 1: g = V·w.
	parallelRange(chunks, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			c0, c1 := c*size, min((c+1)*size, n)
			impl.Dgemv(blas.NoTrans, m, c1-c0, 1, basis[c0:], n, w[c0:c1], 1, 0, gs.partial[c][:m], 1)
		}
	})
	sum(g)
	impl.Daxpy(m, 1, g, 1, h, 1)
	// Sweep 2, slab by slab: w −= Vᵀ·g, then g = V·w for a second pass.
	parallelRange(chunks, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			c0, c1 := c*size, min((c+1)*size, n)
			part := gs.partial[c][:m]
			clear(part)
			for s0 := c0; s0 < c1; s0 += gsSlab {
				s1 := min(s0+gsSlab, c1)
				impl.Dgemv(blas.Trans, m, s1-s0, -1, basis[s0:], n, g, 1, 1, w[s0:s1], 1)
				impl.Dgemv(blas.NoTrans, m, s1-s0, 1, basis[s0:], n, w[s0:s1], 1, 1, part, 1)
			}
		}
	})
	if norm2(w) < before/math.Sqrt2 {
		sum(g)
		impl.Daxpy(m, 1, g, 1, h, 1)
		// Sweep 3: w −= Vᵀ·g.
		parallelRange(chunks, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				c0, c1 := c*size, min((c+1)*size, n)
				impl.Dgemv(blas.Trans, m, c1-c0, -1, basis[c0:], n, g, 1, 1, w[c0:c1], 1)
			}
		})
	}
	deflateOnce(w, deflate)
	return h
}

// deflateOnce removes from w its components along the orthonormal vectors deflate.
func deflateOnce(w []float64, deflate [][]float64) {
	impl := dblas()
	for _, d := range deflate {
		impl.Daxpy(len(w), -impl.Ddot(len(w), d, 1, w, 1), d, 1, w, 1)
	}
}

// randomOrthogonal fills dst with a unit random vector orthogonal to basis and deflate. It
// reports false when nothing is left after orthogonalisation (the space is exhausted).
func (gs *gramSchmidt) randomOrthogonal(dst, basis []float64, deflate [][]float64, rng *rand.Rand) bool {
	for try := 0; try < 3; try++ {
		for i := range dst {
			dst[i] = rng.NormFloat64()
		}
		before := norm2(dst)
		gs.orthogonalize(dst, basis, deflate)
		nrm := norm2(dst)
		if nrm > 1e-8*before {
			for i := range dst {
				dst[i] /= nrm
			}
			return true
		}
	}
	return false
}
