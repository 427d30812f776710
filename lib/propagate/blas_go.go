//go:build !openblas || !cgo

package propagate

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// BLAS names the matrix-product library the kNN graph, the eigensolver and the voting use:
// gonum's pure-Go BLAS here; OpenBLAS when built with -tags openblas (and cgo).
const BLAS = "gonum (pure Go)"

// sgemmNT sets c = a·bᵀ for row-major a (m×k, stride lda), b (n×k, stride ldb) and c (m×n,
// stride ldc), in float32.
func sgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	blas32.Implementation().Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
}

// dblas returns the float64 BLAS the eigensolver uses.
func dblas() blas.Float64 { return blas64.Implementation() }
