//go:build openblas && cgo

package propagate

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLAS names the matrix-product library the kNN graph, the eigensolver and the voting use:
// OpenBLAS (built with -tags openblas; Debian's libopenblas-dev).
const BLAS = "OpenBLAS"

// The package parallelises over row blocks itself, so OpenBLAS runs one thread per call
// instead of competing with it for the cores.
func init() { C.openblas_set_num_threads(1) }

// sgemmNT sets c = a·bᵀ for row-major a (m×k, stride lda), b (n×k, stride ldb) and c (m×n,
// stride ldc), in float32.
func sgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if len(a) < (m-1)*lda+k || len(b) < (n-1)*ldb+k || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("propagate: sgemmNT %d×%d×%d: slices too short", m, n, k))
	}
	C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasTrans, C.blasint(m), C.blasint(n), C.blasint(k),
		1, (*C.float)(&a[0]), C.blasint(lda), (*C.float)(&b[0]), C.blasint(ldb), 0, (*C.float)(&c[0]), C.blasint(ldc))
}

// dblas returns the float64 BLAS the eigensolver uses: gonum's, with the matrix products
// (Dgemm, Dgemv) done by OpenBLAS.
func dblas() blas.Float64 { return openBLAS64{} }

// openBLAS64 is gonum's float64 BLAS with Dgemm and Dgemv from OpenBLAS.
type openBLAS64 struct{ gonum.Implementation }

func cTrans(t blas.Transpose) C.enum_CBLAS_TRANSPOSE {
	if t == blas.NoTrans {
		return C.CblasNoTrans
	}
	return C.CblasTrans
}

// Dgemm sets c = alpha·op(a)·op(b) + beta·c for row-major matrices, as gonum's does.
func (openBLAS64) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ar, ac := m, k
	if tA != blas.NoTrans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB != blas.NoTrans {
		br, bc = n, k
	}
	if k > 0 && (len(a) < (ar-1)*lda+ac || len(b) < (br-1)*ldb+bc) || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("propagate: Dgemm %d×%d×%d: slices too short", m, n, k))
	}
	if k == 0 {
		gonum.Implementation{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	C.cblas_dgemm(C.CblasRowMajor, cTrans(tA), cTrans(tB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.double(alpha), (*C.double)(&a[0]), C.blasint(lda), (*C.double)(&b[0]), C.blasint(ldb),
		C.double(beta), (*C.double)(&c[0]), C.blasint(ldc))
}

// Dgemv sets y = alpha·op(a)·x + beta·y for a row-major m×n matrix a with unit-stride x and y.
func (openBLAS64) Dgemv(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int) {
	lx, ly := n, m
	if tA != blas.NoTrans {
		lx, ly = m, n
	}
	if m == 0 || n == 0 || incX != 1 || incY != 1 {
		gonum.Implementation{}.Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
		return
	}
	if len(a) < (m-1)*lda+n || len(x) < lx || len(y) < ly {
		panic(fmt.Sprintf("propagate: Dgemv %d×%d: slices too short", m, n))
	}
	C.cblas_dgemv(C.CblasRowMajor, cTrans(tA), C.blasint(m), C.blasint(n), C.double(alpha),
		(*C.double)(&a[0]), C.blasint(lda), (*C.double)(&x[0]), 1, C.double(beta), (*C.double)(&y[0]), 1)
}
