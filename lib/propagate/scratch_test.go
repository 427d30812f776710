package propagate

import (
	"math"
	"os"
	"strconv"
	"testing"
	"time"
)

func envf(k string, d float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return v
	}
	return d
}

func TestScratchLanczos(t *testing.T) {
	x, _ := clustered(10000, 128, 10, 0.2, 1)
	xn, _ := Normalize(x)
	g, _ := KNN(xn, 20)
	w, _ := Affinity(g, 0.2)
	deg := w.Degree()
	op := newLaplacianOp(w, deg)
	null := make([]float64, w.N)
	var ss float64
	for i, d := range deg {
		ss += d
		null[i] = d
	}
	for i := range null {
		null[i] = sqrt(null[i] / ss)
	}
	start := time.Now()
	restarts := 0
	vals, _, err := lanczosSmallest(w.N, op.apply, [][]float64{null}, 199, lanczosOptions{
		tol: envf("TOL", 1e-6), maxRestarts: 500, ncv: int(envf("NCV", 0)), seed: 1,
		progress: func(d, tot int) { restarts++ },
	})
	t.Logf("tol %v ncv %v: %v restarts %d err %v vals %v %v", envf("TOL", 1e-6), envf("NCV", 0), time.Since(start), restarts, err, vals[0], vals[198])
}

func sqrt(x float64) float64 { return math.Sqrt(x) }

func TestScratchFiltered(t *testing.T) {
	x, _ := clustered(10000, 128, 10, 0.2, 1)
	xn, _ := Normalize(x)
	g, _ := KNN(xn, 20)
	w, _ := Affinity(g, 0.2)
	deg := w.Degree()
	op := newLaplacianOp(w, deg)
	n := w.N
	null := make([]float64, n)
	var ss float64
	for i, d := range deg {
		ss += d
		null[i] = d
	}
	for i := range null {
		null[i] = sqrt(null[i] / ss)
	}
	a, b := envf("A", 0.65), envf("B", 2.0)
	deg0 := int(envf("DEG", 12))
	c, e := (a+b)/2, (b-a)/2
	y0 := make([]float64, n)
	y1 := make([]float64, n)
	tmp := make([]float64, n)
	filt := func(dst, src []float64) {
		// T_d((c - L)/e) src
		copy(y0, src)
		op.apply(tmp, src)
		for i := range y1 {
			y1[i] = (c*src[i] - tmp[i]) / e
		}
		for k := 2; k <= deg0; k++ {
			op.apply(tmp, y1)
			for i := range tmp {
				v := 2*(c*y1[i]-tmp[i])/e - y0[i]
				y0[i] = y1[i]
				y1[i] = v
			}
		}
		copy(dst, y1)
	}
	neg := func(dst, src []float64) {
		filt(dst, src)
		for i := range dst {
			dst[i] = -dst[i]
		}
	}
	start := time.Now()
	restarts := 0
	vals, vecs, err := lanczosSmallest(n, neg, [][]float64{null}, 199, lanczosOptions{
		tol: envf("TOL", 1e-6), maxRestarts: 500, ncv: int(envf("NCV", 0)), seed: 1,
		progress: func(d, tot int) { restarts++; t.Logf("  %d/%d %v", d, tot, time.Since(start)) },
	})
	t.Logf("lanczos %v restarts %d err %v %v", time.Since(start), restarts, err, vals[:2])
	maxres := 0.0
	lam := make([]float64, 199)
	for i, v := range vecs {
		op.apply(tmp, v)
		var rq float64
		for j := range v {
			rq += v[j] * tmp[j]
		}
		lam[i] = rq
		var r float64
		for j := range v {
			d := tmp[j] - rq*v[j]
			r += d * d
		}
		maxres = math.Max(maxres, math.Sqrt(r))
	}
	t.Logf("total %v maxres %g lam %v %v %v", time.Since(start), maxres, lam[0], lam[100], lam[198])
}
