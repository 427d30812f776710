package propagate

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Sparse is a symmetric N×N matrix in compressed sparse row form: row i's non-zeros are
// Col[RowPtr[i]:RowPtr[i+1]] (ascending) with values Val[RowPtr[i]:RowPtr[i+1]].
type Sparse struct {
	N      int
	RowPtr []int
	Col    []int32
	Val    []float64
}

// NNZ returns the number of stored entries.
func (s *Sparse) NNZ() int { return len(s.Col) }

// MulVec sets dst = S·x.
func (s *Sparse) MulVec(dst, x []float64) {
	for i := 0; i < s.N; i++ {
		var sum float64
		for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
			sum += s.Val[p] * x[s.Col[p]]
		}
		dst[i] = sum
	}
}

// Degree returns d_i = Σ_{j≠i} W_ij. The diagonal (self-loops) is left out, as scipy's
// csgraph.laplacian does in the authors' notebook (notebooks/nc.ipynb), so a self-loop changes
// neither the degree nor the normalised Laplacian.
func (s *Sparse) Degree() []float64 {
	d := make([]float64, s.N)
	for i := 0; i < s.N; i++ {
		for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
			if int(s.Col[p]) != i {
				d[i] += s.Val[p]
			}
		}
	}
	return d
}

// Dense returns the matrix as a dense N×N matrix, for tests and small graphs.
func (s *Sparse) Dense() *mat.Dense {
	d := mat.NewDense(s.N, s.N, nil)
	for i := 0; i < s.N; i++ {
		for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
			d.Set(i, int(s.Col[p]), s.Val[p])
		}
	}
	return d
}

// Affinity turns a kNN graph into the symmetric affinity matrix of the spectral method:
// S_ij = exp(−(1−cos_ij)/T) for each neighbour j of i, then W = (S+Sᵀ)/2, so an edge found in
// one direction only keeps half its weight. T = 0.2 matches the authors' d = (1−cos)/2,
// w = exp(−2d/0.2). Self-loops are dropped: the normalised Laplacian ignores them (see Degree).
func Affinity(g *Graph, temperature float64) (*Sparse, error) {
	if g == nil || g.N <= 0 || g.K <= 0 || len(g.Index) != g.N*g.K || len(g.Sim) != g.N*g.K {
		return nil, fmt.Errorf("propagate: Affinity needs a graph from KNN; got a malformed one")
	}
	if !(temperature > 0) || math.IsInf(temperature, 0) {
		return nil, fmt.Errorf("propagate: affinity temperature %v must be positive and finite (default 0.2)", temperature)
	}
	// Count entries per row: each directed edge i→j lands in row i and row j.
	count := make([]int, g.N+1)
	for i := 0; i < g.N; i++ {
		idx, _ := g.Neighbours(i)
		for _, j := range idx {
			if int(j) < 0 || int(j) >= g.N {
				return nil, fmt.Errorf("propagate: graph row %d has neighbour %d outside [0,%d)", i, j, g.N)
			}
			if int(j) != i {
				count[i+1]++
				count[j+1]++
			}
		}
	}
	for i := 0; i < g.N; i++ {
		count[i+1] += count[i]
	}
	col := make([]int32, count[g.N])
	val := make([]float64, count[g.N])
	fill := slices.Clone(count[:g.N])
	for i := 0; i < g.N; i++ {
		idx, sim := g.Neighbours(i)
		for t, j := range idx {
			if int(j) == i {
				continue
			}
			w := math.Exp(-(1-float64(sim[t]))/temperature) / 2
			col[fill[i]], val[fill[i]] = j, w
			fill[i]++
			col[fill[j]], val[fill[j]] = int32(i), w
			fill[j]++
		}
	}
	// Sort each row by column and merge the two halves of mutual edges.
	out := &Sparse{N: g.N, RowPtr: make([]int, g.N+1)}
	out.Col = col[:0]
	out.Val = val[:0]
	type entry struct {
		c int32
		v float64
	}
	var row []entry
	nnz := 0
	for i := 0; i < g.N; i++ {
		row = row[:0]
		for p := count[i]; p < count[i+1]; p++ {
			row = append(row, entry{col[p], val[p]})
		}
		slices.SortFunc(row, func(a, b entry) int { return int(a.c) - int(b.c) })
		for t := 0; t < len(row); t++ {
			if t > 0 && row[t].c == row[t-1].c {
				val[nnz-1] += row[t].v
				continue
			}
			col[nnz], val[nnz] = row[t].c, row[t].v
			nnz++
		}
		out.RowPtr[i+1] = nnz
	}
	out.Col, out.Val = col[:nnz], val[:nnz]
	return out, nil
}
