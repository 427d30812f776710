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

// lanczosSmallest returns the nev smallest eigenvalues (ascending) of the symmetric operator
// A restricted to the orthogonal complement of the orthonormal vectors deflate, and the
// eigenvectors as rows of a nev×n slice.
//
// It is the Lanczos process with full reorthogonalisation (two passes of classical
// Gram–Schmidt against the whole basis, "twice is enough"), restarted thickly in the
// Krylov–Schur manner: when the basis reaches ncv vectors, the Ritz pairs are computed from the
// small projected matrix H = Vᵀ·A·V, the best kk ≥ nev Ritz vectors are kept with the last
// residual vector, and the process goes on. Residual norms come from the Krylov relation
// A·V = V·H + β·v_{m+1}·e_mᵀ as |β·s_{m,i}|. An invariant subspace (β ≈ 0) continues from a
// fresh random vector orthogonal to the basis, so repeated eigenvalues are found too.
func lanczosSmallest(n int, apply symOp, deflate [][]float64, nev int, opt lanczosOptions) ([]float64, [][]float64, error) {
	nEff := n - len(deflate)
	if nev <= 0 {
		return nil, nil, nil
	}
	if nev > nEff {
		return nil, nil, fmt.Errorf("propagate: asked for %d eigenpairs of a %d-dimensional space", nev, nEff)
	}
	ncv := opt.ncv
	if ncv <= 0 {
		ncv = 2*nev + 20
	}
	ncv = min(max(ncv, nev+1), nEff)
	rng := rand.New(rand.NewPCG(opt.seed, 0x5eed1a7c20c5))
	V := make([]float64, (ncv+1)*n)
	row := func(j int) []float64 { return V[j*n : (j+1)*n] }
	H := make([]float64, ncv*ncv)
	gs := newGramSchmidt(n, ncv+1)
	w := make([]float64, n)
	if !gs.randomOrthogonal(row(0), V[:0], deflate, rng) {
		return nil, nil, fmt.Errorf("propagate: Lanczos could not draw a start vector")
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
					return nil, nil, fmt.Errorf("propagate: Lanczos lost its basis after %d vectors", j+1)
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
			return nil, nil, fmt.Errorf("propagate: eigen decomposition of the %d×%d Lanczos matrix failed", ncv, ncv)
		}
		theta := eig.Values(nil)
		eig.VectorsTo(&S)
		conv := 0
		for i := 0; i < nev; i++ {
			if math.Abs(beta*S.At(ncv-1, i)) <= opt.tol {
				conv++
			}
		}
		if opt.progress != nil {
			opt.progress(conv, nev)
		}
		if conv == nev || beta == 0 || ncv == nEff {
			return theta[:nev], ritzVectors(&S, V[:ncv*n], n, nev), nil
		}
		if restart >= opt.maxRestarts {
			return nil, nil, fmt.Errorf("propagate: Lanczos did not converge: %d of %d eigenpairs within residual %g after %d restarts; raise EigenOptions.MaxRestarts or Tol",
				conv, nev, opt.tol, restart)
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
