package propagate

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
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
	for restart := 0; ; restart++ {
		var beta float64
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
		}
		if !eig.Factorize(mat.NewSymDense(ncv, append([]float64(nil), H...)), true) {
			return nil, fmt.Errorf("propagate: eigen decomposition of the %d×%d Lanczos matrix failed", ncv, ncv)
		}
		theta := eig.Values(nil)
		eig.VectorsTo(&S)
		conv := 0
		for i := 0; i < nev; i++ {
			if math.Abs(beta*S.At(ncv-1, i)) <= tol(theta[i]) {
				conv++
			}
		}
		if progress != nil {
			progress(conv, nev)
		}
		done := conv == nev || beta == 0 || ncv == nEff
		if done || restart >= maxRestarts {
			res := &ksResult{theta: theta, resid: make([]float64, ncv), vecs: ritzVectors(&S, V[:ncv*n], n, nev), converged: done}
			for i := range res.resid {
				res.resid[i] = math.Abs(beta * S.At(ncv-1, i))
			}
			if restart == 0 {
				res.weights = make([]float64, ncv)
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
	blas64.Implementation().Dgemm(blas.Trans, blas.NoTrans, cnt, n, m, 1, raw.Data, raw.Stride, V, n, 0, out, n)
	rows := make([][]float64, cnt)
	for i := range rows {
		rows[i] = out[i*n : (i+1)*n]
	}
	return rows
}

func norm2(x []float64) float64 { return blas64.Implementation().Dnrm2(len(x), x, 1) }

// gramSchmidt orthogonalises vectors against a row-major basis, splitting the columns over
// the cores.
type gramSchmidt struct {
	n       int
	h, g    []float64
	partial [][]float64
}

func newGramSchmidt(n, maxBasis int) *gramSchmidt {
	gs := &gramSchmidt{n: n, h: make([]float64, maxBasis), g: make([]float64, maxBasis)}
	gs.partial = make([][]float64, workers())
	for i := range gs.partial {
		gs.partial[i] = make([]float64, maxBasis)
	}
	return gs
}

// orthogonalize removes from w its components along the deflation vectors and the rows of
// basis, twice, and returns the summed coefficients along the basis rows.
func (gs *gramSchmidt) orthogonalize(w, basis []float64, deflate [][]float64) []float64 {
	n := gs.n
	m := len(basis) / n
	h := gs.h[:m]
	clear(h)
	impl := blas64.Implementation()
	for pass := 0; pass < 2; pass++ {
		for _, d := range deflate {
			impl.Daxpy(n, -impl.Ddot(n, d, 1, w, 1), d, 1, w, 1)
		}
		if m == 0 {
			continue
		}
		g := gs.g[:m]
		chunks := min(workers(), max(1, n*m/50000))
		size := (n + chunks - 1) / chunks
		if chunks == 1 {
			impl.Dgemv(blas.NoTrans, m, n, 1, basis, n, w, 1, 0, g, 1)
		} else {
			parallelRange(chunks, func(lo, hi int) {
				for c := lo; c < hi; c++ {
					c0, c1 := c*size, min((c+1)*size, n)
					impl.Dgemv(blas.NoTrans, m, c1-c0, 1, basis[c0:], n, w[c0:c1], 1, 0, gs.partial[c][:m], 1)
				}
			})
			copy(g, gs.partial[0][:m])
			for c := 1; c < chunks; c++ {
				impl.Daxpy(m, 1, gs.partial[c][:m], 1, g, 1)
			}
		}
		parallelRange(chunks, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				c0, c1 := c*size, min((c+1)*size, n)
				impl.Dgemv(blas.Trans, m, c1-c0, -1, basis[c0:], n, g, 1, 1, w[c0:c1], 1)
			}
		})
		impl.Daxpy(m, 1, g, 1, h, 1)
	}
	return h
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
