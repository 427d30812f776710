package propagate

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// zeroEigenvalue is the largest eigenvalue treated as exactly zero (a null-space direction).
// SmallestEigen returns the null pairs as exact zeros; everything it computes for a connected
// component is well above this.
const zeroEigenvalue = 1e-9

// nullWeightRatio sets the weight of the null-space directions of a disconnected graph:
// 1/λ_floor with λ_floor = nullWeightRatio × the smallest non-zero eigenvalue used.
const nullWeightRatio = 1e-3

// SpectralPrior builds the N×C prior of the constrained spectral method from the degrees deg
// of the affinity graph: +1 at a labelled row's class, −1 at its other classes, 0 for
// unlabelled rows (§3.2), then degree-balanced per column and L2-normalised per column as in
// the authors' notebooks/nc.ipynb. Degree balancing means: in column c, with P = Σ d_i over the
// positive rows, M = Σ d_i over the negative rows and r = P/M, positives become +√(d_i/r) and
// negatives −√(d_i·r). Then Σ_i √d_i·Q_ic = 0, i.e. each column is orthogonal to the trivial
// eigenvector D^1/2·1, so classes with more labels or better-connected labels get no head start.
// Labels must already be validated (see Run).
func SpectralPrior(deg []float64, labelled []int, labels []int32, numClasses int) (*mat.Dense, error) {
	n := len(deg)
	q := mat.NewDense(n, numClasses, nil)
	for c := 0; c < numClasses; c++ {
		var pos, neg float64
		for t, i := range labelled {
			if labels[t] == int32(c) {
				pos += deg[i]
			} else {
				neg += deg[i]
			}
		}
		if !(pos > 0) || !(neg > 0) {
			return nil, fmt.Errorf("propagate: class %d: its labelled rows (or all the others) have zero degree in the graph; the prior cannot be balanced", c)
		}
		r := pos / neg
		var ss float64
		for t, i := range labelled {
			v := -math.Sqrt(deg[i] * r)
			if labels[t] == int32(c) {
				v = math.Sqrt(deg[i] / r)
			}
			q.Set(i, c, v)
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss)
		for _, i := range labelled {
			q.Set(i, c, q.At(i, c)*inv)
		}
	}
	return q, nil
}

// SpectralLogits propagates the prior q (N×C, from SpectralPrior) through the spectral
// embedding of Eq. 6: logits = Σ_j (1/λ_j)·e_j·(e_jᵀ·q) = E·Λ⁻¹·(Eᵀ·q), computed as two thin
// products and never as the N×N matrix W'. Each logit column is then L2-normalised and scaled
// by √N, as the authors do (notebooks/nc.ipynb), so logits are O(1) whatever N and η are.
//
// values (ascending) and vectors come from SmallestEigen. Null-space pairs (λ ≤ 1e-9) are
// handled so that 1/λ never blows up:
//   - exactly one (a connected graph): it is the trivial pair, dropped as in Eq. 6 (j from 2).
//     The balanced prior is orthogonal to it anyway.
//   - several (a disconnected graph, one per component): the global trivial direction inside
//     their span is again orthogonal to the prior; the rest, the contrasts between components,
//     get weight 1/λ_floor with λ_floor = 10⁻³ × the smallest non-zero eigenvalue. This is
//     the weakly-linked limit: labels stay in their component and dominate, and the finite
//     eigenpairs still rank rows within a component. Dropping them instead would turn a lone
//     label's own component against it.
func SpectralLogits(values []float64, vectors *mat.Dense, q *mat.Dense) (*mat.Dense, error) {
	n, eta := vectors.Dims()
	qn, c := q.Dims()
	if len(values) != eta || qn != n {
		return nil, fmt.Errorf("propagate: SpectralLogits shapes disagree: %d values, vectors %d×%d, prior %d×%d", len(values), n, eta, qn, c)
	}
	nullCount := 0
	smallest := math.Inf(1)
	for _, v := range values {
		if v <= zeroEigenvalue {
			nullCount++
		} else {
			smallest = math.Min(smallest, v)
		}
	}
	if math.IsInf(smallest, 1) {
		smallest = 1
	}
	weights := make([]float64, eta)
	for j, v := range values {
		switch {
		case v > zeroEigenvalue:
			weights[j] = 1 / v
		case nullCount > 1:
			weights[j] = 1 / (nullWeightRatio * smallest)
		}
	}
	var proj mat.Dense // η×C
	proj.Mul(vectors.T(), q)
	for j := 0; j < eta; j++ {
		for k := 0; k < c; k++ {
			proj.Set(j, k, proj.At(j, k)*weights[j])
		}
	}
	logits := mat.NewDense(n, c, nil)
	logits.Mul(vectors, &proj)
	scale := math.Sqrt(float64(n))
	for k := 0; k < c; k++ {
		col := mat.Col(nil, k, logits)
		var ss float64
		for _, v := range col {
			ss += v * v
		}
		if ss == 0 {
			continue // nothing reached this class; leave the column at zero
		}
		f := scale / math.Sqrt(ss)
		for i := 0; i < n; i++ {
			logits.Set(i, k, col[i]*f)
		}
	}
	return logits, nil
}
