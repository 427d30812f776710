package propagate

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Ties. Both methods pick rows by similarity: the K voters of Eq. 5, the k−1 neighbours of the
// graph. When more rows are equally similar than there are places, a rule that keeps the
// smaller row indices makes the result depend on how the rows happen to be numbered, not on
// the features. Rows that are exact duplicates, or features that collapsed to a few
// directions, cause that. On the graph it does more harm than picking arbitrary edges: rows
// tied this way become interchangeable, so the Laplacian has an eigenvalue repeated as often,
// and when η ends inside such a repeated eigenvalue the eigensolver's choice of basis within
// it decides the logits; σ = 40 then turns those arbitrary margins into confidences near 1.
// (Rows that are all identical gave such labels at α ≈ 0.99.) So:
//
//   - Run refuses features whose rows all point the same way: they cannot separate classes;
//   - Vote lets every labelled row tied with the K-th voter vote;
//   - the spectral method keeps only whole eigenspaces: a repeated eigenvalue that η would
//     cut is left out, so the logits no longer depend on the eigensolver's basis;
//   - it counts the rows whose neighbour list was cut among ties (Result.TiedRows), for the
//     caller to report. Ties within one class are harmless (tight clusters tie at float32
//     precision), so they are no error.

// tieSimilarity is the largest difference of two cosine similarities that counts as a tie: a
// few float32 rounding steps near 1, so that duplicates scaled differently still tie.
const tieSimilarity = 1e-6

// tieEigenvalue is the largest difference of two Laplacian eigenvalues that counts as one
// repeated eigenvalue. Generic graphs space their smallest eigenvalues far wider; the
// eigensolvers' errors are far smaller (Tol² over the gap for Lanczos).
const tieEigenvalue = 1e-6

// checkSpread returns an error when every row of xn (L2-normalised) points the same way as
// row 0, within tieSimilarity: every similarity is then 1, and no method can tell classes apart.
func checkSpread(xn Matrix) error {
	first := xn.Row(0)
	for i := 1; i < xn.N; i++ {
		if dot64(first, xn.Row(i)) < 1-tieSimilarity {
			return nil
		}
	}
	return fmt.Errorf("propagate: all %d feature rows point the same way (cosine 1 between every pair), so they cannot tell classes apart; "+
		"the features are likely collapsed (a constant or diverged network, or the wrong layer)", xn.N)
}

// dot64 is the dot product of two float32 rows accumulated in float64.
func dot64(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// knnTied is knn for k that also marks the rows whose k−1 neighbours were cut among ties: the
// best row left out is as similar, within tieSimilarity, as the last one kept. It builds the
// graph for k+1 and drops each row's last place, which is that best row left out; for
// k = N−1, where only one row is left out, it computes that row's similarity itself.
func knnTied(x Matrix, k int, progress func(string, int, int)) (*Graph, []bool, error) {
	tied := make([]bool, x.N)
	if k+1 >= x.N {
		g, err := knn(x, k, progress)
		if err != nil {
			return nil, nil, err
		}
		in := make([]bool, x.N)
		for i := 0; i < x.N; i++ {
			clear(in)
			idx, sim := g.Neighbours(i)
			for _, j := range idx {
				in[j] = true
			}
			for j, kept := range in {
				if !kept {
					tied[i] = float64(sim[k-1])-float64(dot32(x.Row(i), x.Row(j))) <= tieSimilarity
				}
			}
		}
		return g, tied, nil
	}
	g1, err := knn(x, k+1, progress)
	if err != nil {
		return nil, nil, err
	}
	g := &Graph{N: x.N, K: k, Index: make([]int32, x.N*k), Sim: make([]float32, x.N*k)}
	for i := 0; i < x.N; i++ {
		idx, sim := g1.Neighbours(i)
		copy(g.Index[i*k:(i+1)*k], idx[:k])
		copy(g.Sim[i*k:(i+1)*k], sim[:k])
		tied[i] = float64(sim[k-1])-float64(sim[k]) <= tieSimilarity
	}
	return g, tied, nil
}

// wholeEigenspaces drops the trailing eigenpairs that belong to a repeated eigenvalue which
// continues past the η pairs kept: Eq. 6 sums e_j·e_jᵀ/λ_j, which is the same for every basis
// of a whole eigenspace but not of part of one. values (ascending) and vectors hold η+1 pairs
// when η < N, the last one only to see whether the η-th eigenvalue repeats beyond; with η = N
// every eigenspace is whole. Null pairs (a disconnected graph's exact zeros, one per
// component) are never dropped: SpectralLogits handles them.
func wholeEigenspaces(values []float64, vectors *mat.Dense, eta int) ([]float64, *mat.Dense) {
	if len(values) <= eta {
		return values, vectors
	}
	keep := eta
	next := values[eta]
	for keep > 0 && next-values[keep-1] <= tieEigenvalue && values[keep-1] > zeroEigenvalue {
		keep--
	}
	n, _ := vectors.Dims()
	return values[:keep:keep], vectors.Slice(0, n, 0, keep).(*mat.Dense)
}
