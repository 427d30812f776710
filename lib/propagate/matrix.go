package propagate

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Matrix is a row-major N×D float32 matrix: one feature vector per row. Propagation compares
// rows by cosine similarity, so rows are expected L2-normalised (Normalize makes a copy that
// is); Run normalises its input itself.
type Matrix struct {
	N, D int
	Data []float32
}

// NewMatrix returns a zeroed n×d Matrix.
func NewMatrix(n, d int) Matrix {
	return Matrix{N: n, D: d, Data: make([]float32, n*d)}
}

// Row returns row i as a slice sharing the matrix's storage.
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.D : (i+1)*m.D] }

// Rows returns a new matrix of copies of the rows idx, in that order; a row outside [0, N) is
// an error.
func (m Matrix) Rows(idx []int) (Matrix, error) {
	out := NewMatrix(len(idx), m.D)
	for i, j := range idx {
		if j < 0 || j >= m.N {
			return Matrix{}, fmt.Errorf("row %d of a %d×%d matrix", j, m.N, m.D)
		}
		copy(out.Row(i), m.Row(j))
	}
	return out, nil
}

// check returns an error when the shape does not match the data; name says which argument.
func (m Matrix) check(name string) error {
	if m.N <= 0 || m.D <= 0 {
		return fmt.Errorf("propagate: %s is %d×%d; need at least one row and one column", name, m.N, m.D)
	}
	if len(m.Data) != m.N*m.D {
		return fmt.Errorf("propagate: %s claims %d×%d = %d values but holds %d", name, m.N, m.D, m.N*m.D, len(m.Data))
	}
	return nil
}

// checkFinite returns an error naming the first row holding a NaN or an infinity.
func (m Matrix) checkFinite(name string) error {
	for i := 0; i < m.N; i++ {
		for j, v := range m.Row(i) {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("propagate: %s row %d column %d is %v; drop or repair that row before propagation", name, i, j, v)
			}
		}
	}
	return nil
}

// CheckRows returns an error naming the first row of m that propagation cannot use: one
// holding a NaN or an infinity, or one that is all zeros (it has no direction, so no cosine
// similarity). It also checks m's shape.
func CheckRows(m Matrix) error {
	if err := m.check("features"); err != nil {
		return err
	}
	for i := 0; i < m.N; i++ {
		zero := true
		for j, v := range m.Row(i) {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("propagate: features row %d column %d is %v; drop or repair that row before propagation", i, j, v)
			}
			if v != 0 {
				zero = false
			}
		}
		if zero {
			return fmt.Errorf("propagate: features row %d is all zeros and has no direction; drop it or fix the feature extractor", i)
		}
	}
	return nil
}

// Normalize returns a copy of m with every row scaled to unit L2 norm, the form cosine
// similarity needs. It returns CheckRows' error for a row holding NaN or Inf or all zeros.
func Normalize(m Matrix) (Matrix, error) {
	if err := CheckRows(m); err != nil {
		return Matrix{}, err
	}
	out := NewMatrix(m.N, m.D)
	if err := normalizeRows(out, m); err != nil {
		return Matrix{}, err
	}
	return out, nil
}

// normalizeRows writes the rows of src, scaled to unit L2 norm, into dst (of the same shape;
// dst may be src). src must have passed CheckRows.
func normalizeRows(dst, src Matrix) error {
	for i := 0; i < src.N; i++ {
		row := src.Row(i)
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		if math.IsInf(ss, 0) {
			return fmt.Errorf("propagate: features row %d overflows float64 when squared; rescale the features", i)
		}
		inv := 1 / math.Sqrt(ss)
		out := dst.Row(i)
		for j, v := range row {
			out[j] = float32(float64(v) * inv)
		}
	}
	return nil
}

// workers is the number of goroutines the package splits its loops over.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// parallelRange calls fn on contiguous chunks [lo, hi) covering [0, n), one per worker, and
// waits for them.
func parallelRange(n int, fn func(lo, hi int)) {
	w := min(workers(), n)
	if w <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// reporter rate-limits a progress callback to about steps calls per stage.
type reporter struct {
	fn    func(stage string, done, total int)
	stage string
	total int
	every int
	mu    sync.Mutex
	last  int
}

func newReporter(fn func(string, int, int), stage string, total, steps int) *reporter {
	return &reporter{fn: fn, stage: stage, total: total, every: max(1, total/max(1, steps)), last: -1}
}

// report passes done on when it moved at least one step since the last call, or is final.
func (r *reporter) report(done int) {
	if r == nil || r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if done <= r.last || (done-r.last < r.every && done < r.total && r.last >= 0) {
		return
	}
	r.last = done
	r.fn(r.stage, done, r.total)
}
