// Package similarity builds similarity matrices over a sample of feature rows and measures how
// well they line up with the classes: the raw cosine similarity of a metric and the spectral
// embedding's W' of Eq. 6, which the paper's Figure 2 sets side by side. It works on
// propagate's feature matrices and eigenpairs and draws nothing (report.Heatmap does).
package similarity

import (
	"fmt"
	"math"

	"github.com/metric-transfer/mtlp/lib/propagate"
	"gonum.org/v1/gonum/mat"
)

// nullEigenvalue is the largest eigenvalue Spectral treats as a null-space pair;
// propagate.SmallestEigen returns those as exact zeros (see propagate.SpectralLogits).
const nullEigenvalue = 1e-9

// nullWeightRatio mirrors propagate.SpectralLogits: on a disconnected graph, the contrasts
// between components get weight 1/λ_floor, λ_floor = 10⁻³ × the smallest non-zero eigenvalue.
const nullWeightRatio = 1e-3

// Dot is the inner product of two feature rows, accumulated in float64 so that cosines rank
// as exactly as the features allow.
func Dot(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// RowNorms returns the Euclidean norm of every row of x, in float64; a zero, NaN or infinite
// norm is an error, as no cosine can be taken with that row.
func RowNorms(x propagate.Matrix) ([]float64, error) {
	norms := make([]float64, x.N)
	for i := range norms {
		norms[i] = math.Sqrt(Dot(x.Row(i), x.Row(i)))
		if !(norms[i] > 0) || math.IsInf(norms[i], 0) {
			return nil, fmt.Errorf("similarity: feature row %d has norm %v; it must be finite and non-zero", i, norms[i])
		}
	}
	return norms, nil
}

// Cosine returns the len(rows)² matrix of cosine similarities between the given rows of x:
// Figure 2's raw similarity, the metric's own.
func Cosine(x propagate.Matrix, rows []int) (*mat.Dense, error) {
	for _, i := range rows {
		if i < 0 || i >= x.N {
			return nil, fmt.Errorf("similarity: row %d outside the %d×%d features", i, x.N, x.D)
		}
	}
	u := mat.NewDense(len(rows), x.D, nil)
	for r, i := range rows {
		ss := Dot(x.Row(i), x.Row(i))
		if !(ss > 0) || math.IsInf(ss, 0) {
			return nil, fmt.Errorf("similarity: feature row %d has norm² %v; it must be finite and non-zero", i, ss)
		}
		inv := 1 / math.Sqrt(ss)
		for c, v := range x.Row(i) {
			u.Set(r, c, float64(v)*inv)
		}
	}
	s := mat.NewDense(len(rows), len(rows), nil)
	s.Mul(u, u.T())
	return s, nil
}

// Spectral returns W' of Eq. 6, W'_ab = Σ_j e_j(a)·e_j(b)/λ_j, restricted to the given rows.
// values (ascending) and vectors (N×η) come from propagate.SmallestEigen on the whole pool's
// graph, whose degrees are deg, so the similarity of two sampled rows sums paths through every
// row. The null space (λ ≤ 1e-9) is treated as propagate.SpectralLogits treats it: the trivial
// direction D^1/2·1 is dropped, as Eq. 6 starts at j = 2; on a disconnected graph the rest of
// the null space, the contrasts between components, gets weight 1/λ_floor (nullWeightRatio),
// the weakly-linked limit, rather than the infinite weight of 1/0.
func Spectral(values []float64, vectors *mat.Dense, deg []float64, rows []int) (*mat.Dense, error) {
	n, eta := vectors.Dims()
	if len(values) != eta || len(deg) != n {
		return nil, fmt.Errorf("similarity: %d eigenvalues and %d degrees for %d×%d eigenvectors", len(values), len(deg), n, eta)
	}
	var keep, null []int
	smallest := math.Inf(1)
	for j, v := range values {
		if v > nullEigenvalue {
			keep = append(keep, j)
			smallest = math.Min(smallest, v)
		} else {
			null = append(null, j)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("similarity: all %d eigenvalues are zero; raise η (Config.Eta) above the number of graph components", eta)
	}
	for _, i := range rows {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("similarity: row %d outside the %d eigenvector rows", i, n)
		}
	}
	e := mat.NewDense(len(rows), len(keep), nil)
	for r, i := range rows {
		for c, j := range keep {
			e.Set(r, c, vectors.At(i, j)/math.Sqrt(values[j]))
		}
	}
	s := mat.NewDense(len(rows), len(rows), nil)
	s.Mul(e, e.T())
	if len(null) < 2 {
		return s, nil
	}
	// (P_null − u·uᵀ)/λ_floor with P_null the projector on the null space and u = D^1/2·1
	// normalised, the trivial direction inside it.
	var vol float64
	for _, d := range deg {
		vol += d
	}
	p := mat.NewDense(len(rows), len(null), nil)
	u := make([]float64, len(rows))
	for r, i := range rows {
		for c, j := range null {
			p.Set(r, c, vectors.At(i, j))
		}
		u[r] = math.Sqrt(deg[i] / vol)
	}
	var pp mat.Dense
	pp.Mul(p, p.T())
	w := 1 / (nullWeightRatio * smallest)
	for a := range rows {
		for b := range rows {
			s.Set(a, b, s.At(a, b)+w*(pp.At(a, b)-u[a]*u[b]))
		}
	}
	return s, nil
}
