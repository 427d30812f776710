//go:build openblas && cgo

package propagate

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "fmt"

// BLAS names the matrix-product library the kNN graph and the voting use: OpenBLAS (built
// with -tags openblas; Debian's libopenblas-dev).
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
