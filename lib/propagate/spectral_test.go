package propagate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestSpectralPriorHand(t *testing.T) {
	// Column 0: P = 1, M = 13, r = 1/13: +√13, −√(4/13), −√(9/13), then ‖·‖ = √14.
	// Column 1 is its negative (P and M swap).
	deg := []float64{1, 4, 9, 1}
	q, err := SpectralPrior(deg, []int{0, 1, 2}, []int32{0, 1, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := math.Sqrt(13 * 14)
	col0 := []float64{13 / s, -2 / s, -3 / s, 0}
	for i, v := range col0 {
		if math.Abs(q.At(i, 0)-v) > 1e-15 || math.Abs(q.At(i, 1)+v) > 1e-15 {
			t.Errorf("row %d: prior (%v, %v), want (%v, %v)", i, q.At(i, 0), q.At(i, 1), v, -v)
		}
	}
}

// TestSpectralPriorProperties checks the documented properties on random degrees: unlabelled
// rows zero, +/− by class, Q/√d constant on each sign, columns orthogonal to √deg and of unit
// length.
func TestSpectralPriorProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	for trial := 0; trial < 20; trial++ {
		n, classes := 50+rng.IntN(100), 2+rng.IntN(5)
		deg := make([]float64, n)
		for i := range deg {
			deg[i] = 0.01 + 10*rng.Float64()
		}
		var labelled []int
		var labels []int32
		for p, i := range rng.Perm(n)[:classes+rng.IntN(n/2)] {
			labelled = append(labelled, i)
			labels = append(labels, int32(p%classes)) // every class labelled at least once
		}
		q, err := SpectralPrior(deg, labelled, labels, classes)
		if err != nil {
			t.Fatal(err)
		}
		class := map[int]int32{}
		for p, i := range labelled {
			class[i] = labels[p]
		}
		for c := 0; c < classes; c++ {
			var orth, ss float64
			pos, neg := math.NaN(), math.NaN()
			for i := 0; i < n; i++ {
				v := q.At(i, c)
				orth += math.Sqrt(deg[i]) * v
				ss += v * v
				y, ok := class[i]
				switch {
				case !ok:
					if v != 0 {
						t.Fatalf("trial %d: unlabelled row %d has prior %v in column %d", trial, i, v, c)
					}
				case y == int32(c):
					if !(v > 0) || (!math.IsNaN(pos) && math.Abs(v/math.Sqrt(deg[i])-pos) > 1e-12*pos) {
						t.Fatalf("trial %d column %d: positive row %d has %v, Q/√d %v vs %v", trial, c, i, v, v/math.Sqrt(deg[i]), pos)
					}
					pos = v / math.Sqrt(deg[i])
				default:
					if !(v < 0) || (!math.IsNaN(neg) && math.Abs(v/math.Sqrt(deg[i])-neg) > -1e-12*neg) {
						t.Fatalf("trial %d column %d: negative row %d has %v, Q/√d %v vs %v", trial, c, i, v, v/math.Sqrt(deg[i]), neg)
					}
					neg = v / math.Sqrt(deg[i])
				}
			}
			if math.Abs(orth) > 1e-12 || math.Abs(ss-1) > 1e-12 {
				t.Fatalf("trial %d column %d: Σ√d·Q = %v (want 0), ‖Q‖² = %v (want 1)", trial, c, orth, ss)
			}
		}
	}
}

func TestSpectralPriorZeroDegree(t *testing.T) {
	_, err := SpectralPrior([]float64{0, 1, 1}, []int{0, 1}, []int32{0, 1}, 2)
	if err == nil || !strings.Contains(err.Error(), "class 0") || !strings.Contains(err.Error(), "zero degree") {
		t.Fatalf("error %v, want one about class 0 and zero degree", err)
	}
}

// normalisedColumns scales each column of m to norm √N, as the authors do.
func normalisedColumns(m *mat.Dense) *mat.Dense {
	n, c := m.Dims()
	out := mat.DenseCopyOf(m)
	for k := 0; k < c; k++ {
		nrm := mat.Norm(m.ColView(k), 2)
		for i := 0; i < n; i++ {
			out.Set(i, k, m.At(i, k)*math.Sqrt(float64(n))/nrm)
		}
	}
	return out
}

// TestSpectralLogitsDense compares SpectralLogits with Eq. 6 evaluated densely on a
// connected kNN graph: W' = Σ_{j≥2} e_j·e_jᵀ/λ_j as an N×N matrix, times Q. With η = N, W' is
// the pseudo-inverse L⁺ = (L + u·uᵀ)⁻¹ − u·uᵀ (u the unit null vector), which needs no
// eigenvectors at all.
func TestSpectralLogitsDense(t *testing.T) {
	x, truth := clustered(150, 12, 3, 0.35, 31)
	w := affinityOf(t, x, 8, 0.2)
	if _, c := Components(w); c != 1 {
		t.Fatalf("test graph has %d components", c)
	}
	n := w.N
	deg := w.Degree()
	idx, lab := firstPerClass(truth, 3, 4)
	q, err := SpectralPrior(deg, idx, lab, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, eta := range []int{n, 30, 2} {
		values, vectors, err := SmallestEigen(w, eta, EigenOptions{Method: EigenDense})
		if err != nil {
			t.Fatal(err)
		}
		got, err := SpectralLogits(values, vectors, q)
		if err != nil {
			t.Fatal(err)
		}
		wp := mat.NewDense(n, n, nil)
		if eta == n {
			var ss float64
			for _, d := range deg {
				ss += d
			}
			u := mat.NewVecDense(n, nil)
			for i, d := range deg {
				u.SetVec(i, math.Sqrt(d/ss))
			}
			var uu, a mat.Dense
			uu.Outer(1, u, u)
			a.Add(refLaplacian(w), &uu)
			if err := wp.Inverse(&a); err != nil {
				t.Fatal(err)
			}
			wp.Sub(wp, &uu)
		} else {
			for j := 1; j < eta; j++ {
				e := vectors.ColView(j)
				var ee mat.Dense
				ee.Outer(1/values[j], e, e)
				wp.Add(wp, &ee)
			}
		}
		var raw mat.Dense
		raw.Mul(wp, q)
		want := normalisedColumns(&raw)
		if !mat.EqualApprox(got, want, 1e-8) {
			t.Errorf("η = %d: logits differ from dense Eq. 6 (first row %v, want %v)", eta, mat.Row(nil, 0, got), mat.Row(nil, 0, want))
		}
	}
}

// TestSpectralLogitsNullSpace checks the null-space rule by hand on four nodes with
// orthonormal vectors e1 = (1,1,0,0)/√2, e2 = (0,0,1,1)/√2, e3 = (1,−1,0,0)/√2 and prior
// q = (1, 0, −1, 0).
func TestSpectralLogitsNullSpace(t *testing.T) {
	r := 1 / math.Sqrt2
	vectors := mat.NewDense(4, 3, []float64{
		r, 0, r,
		r, 0, -r,
		0, r, 0,
		0, r, 0,
	})
	q := mat.NewDense(4, 2, []float64{1, 0, 0, 0, -1, 0, 0, 0}) // second column: nothing labelled
	cases := []struct {
		name   string
		values []float64
		vecs   mat.Matrix
		want   []float64
	}{
		// One zero: dropped. Only e3 with weight 2 remains: ∝ (1, −1, 0, 0), norm √N = 2.
		{"connected", []float64{0, 0.5}, vectors.Slice(0, 4, 1, 3), []float64{math.Sqrt2, -math.Sqrt2, 0, 0}},
		// Two zeros: weight 1/(10⁻³·0.5) = 2000 each. 2000·e1·(1/√2) + 2000·e2·(−1/√2) +
		// 2·e3·(1/√2) = (1001, 999, −1000, −1000).
		{"two components", []float64{0, 0, 0.5}, vectors, func() []float64 {
			v := []float64{1001, 999, -1000, -1000}
			s := 2 / math.Sqrt(1001*1001+999*999+2*1000*1000)
			for i := range v {
				v[i] *= s
			}
			return v
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SpectralLogits(tc.values, mat.DenseCopyOf(tc.vecs), q)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				if math.Abs(got.At(i, 0)-w) > 1e-12 {
					t.Errorf("row %d: %v, want %v", i, got.At(i, 0), w)
				}
				if got.At(i, 1) != 0 {
					t.Errorf("row %d: unlabelled column gives %v, want 0", i, got.At(i, 1))
				}
			}
		})
	}
	if _, err := SpectralLogits([]float64{0, 1}, vectors, q); err == nil || !strings.Contains(err.Error(), "shapes disagree") {
		t.Errorf("mismatched values: error %v, want a shape error", err)
	}
	if _, err := SpectralLogits([]float64{0, 0, 1}, vectors, mat.NewDense(3, 2, nil)); err == nil || !strings.Contains(err.Error(), "prior 3×2") {
		t.Errorf("mismatched prior: error %v, want a shape error", err)
	}
}
