package propagate

import (
	"fmt"
	"math"
	"sync/atomic"
)

// Graph is a k-nearest-neighbour graph by cosine similarity: row i's K neighbours are
// Index[i*K:(i+1)*K] with similarities Sim[i*K:(i+1)*K].
//
// Order within a row: the row itself first (K counts it, as in the authors' code), then the
// other rows by similarity descending; equal similarities (duplicate feature rows, say) are
// ordered by the smaller row index first. Self is placed first even when a duplicate row has
// the same similarity, so a row's duplicates follow right after it.
type Graph struct {
	N, K  int
	Index []int32
	Sim   []float32
}

// Neighbours returns row i's neighbour indices and similarities, sharing the graph's storage.
func (g *Graph) Neighbours(i int) ([]int32, []float32) {
	return g.Index[i*g.K : (i+1)*g.K], g.Sim[i*g.K : (i+1)*g.K]
}

// knnRowBlock and knnColBlock size the X·Xᵀ tiles: 256×4096 float32 is 4 MiB per worker.
const (
	knnRowBlock = 256
	knnColBlock = 4096
)

// KNN builds the k-nearest-neighbour graph of the rows of x (self included, so k ≥ 2 gives
// each row k−1 real neighbours). Rows should be L2-normalised: similarity is the dot product.
//
// It computes X·Xᵀ in tiles with BLAS (float32) and keeps a running top-k per row, so memory is
// O(N·k) and never N×N; row blocks are spread over the available cores. It returns an error
// when k < 2, k ≥ N, or x has a NaN or infinite value.
func KNN(x Matrix, k int) (*Graph, error) { return knn(x, k, nil) }

// knn computes only the tiles on and above the diagonal of X·Xᵀ, half the products: a tile's
// similarity s_ij is offered to row i's top-k and to row j's. Each worker keeps its own top-k
// lists for all rows, since any worker may offer to any row, and the lists are merged at the
// end; the top k−1 of the union under the (similarity, index) order is the same whichever
// worker saw which pair.
func knn(x Matrix, k int, progress func(string, int, int)) (*Graph, error) {
	if err := x.check("features"); err != nil {
		return nil, err
	}
	if k < 2 || k >= x.N {
		return nil, fmt.Errorf("propagate: kNN size k = %d must satisfy 2 ≤ k < N = %d (k counts the row itself); lower Config.GraphK", k, x.N)
	}
	if err := x.checkFinite("features"); err != nil {
		return nil, err
	}
	n := x.N
	nBlocks := (n + knnRowBlock - 1) / knnRowBlock
	// Work per row block shrinks with its index, so progress counts pairs, scaled to rows.
	totalPairs := int64(n) * int64(n+1) / 2
	rep := newReporter(progress, "knn", n, 200)
	nw := workers()
	tops := make([][]topK, nw)
	var next, donePairs atomic.Int64
	parallelRange(nw, func(lo, hi int) {
		for wk := lo; wk < hi; wk++ {
			tops[wk] = newTopKs(n, k-1)
			buf := make([]float32, knnRowBlock*min(knnColBlock, n))
			floors := make([]float32, knnColBlock)
			mine := tops[wk]
			for {
				b := int(next.Add(1) - 1)
				if b >= nBlocks {
					break
				}
				r0 := b * knnRowBlock
				r1 := min(r0+knnRowBlock, n)
				for c0 := r0; c0 < n; c0 += knnColBlock {
					c1 := min(c0+knnColBlock, n)
					nc := c1 - c0
					sgemmNT(r1-r0, nc, x.D, x.Data[r0*x.D:], x.D, x.Data[c0*x.D:], x.D, buf, nc)
					for j := range nc {
						floors[j] = mine[c0+j].floor()
					}
					for r := r0; r < r1; r++ {
						row := buf[(r-r0)*nc : (r-r0+1)*nc]
						top := &mine[r]
						// Most similarities fall below both k-th bests: skip them without a call.
						floor := top.floor()
						for j, s := range row {
							c := c0 + j
							if c <= r {
								continue // the diagonal tile holds both (r, c) and (c, r)
							}
							if s >= floor {
								top.push(s, int32(c))
								floor = top.floor()
							}
							if s >= floors[j] {
								mine[c].push(s, int32(r))
								floors[j] = mine[c].floor()
							}
						}
					}
				}
				pairs := int64(r1-r0) * int64(2*n-r0-r1+1) / 2
				rep.report(int(int64(n) * donePairs.Add(pairs) / totalPairs))
			}
		}
	})
	g := &Graph{N: n, K: k, Index: make([]int32, n*k), Sim: make([]float32, n*k)}
	parallelRange(n, func(lo, hi int) {
		merged := newTopK(k - 1)
		for r := lo; r < hi; r++ {
			merged.reset()
			for _, t := range tops {
				for q, s := range t[r].sim {
					merged.push(s, t[r].idx[q])
				}
			}
			idx, sim := g.Neighbours(r)
			idx[0] = int32(r)
			sim[0] = dot32(x.Row(r), x.Row(r))
			copy(idx[1:], merged.idx)
			copy(sim[1:], merged.sim)
		}
	})
	return g, nil
}

// topK keeps the n largest (similarity, index) pairs pushed so far, sorted by similarity
// descending and, for equal similarity, by index ascending.
type topK struct {
	n   int
	sim []float32
	idx []int32
}

func newTopK(n int) topK {
	return topK{n: n, sim: make([]float32, 0, n), idx: make([]int32, 0, n)}
}

// newTopKs returns count empty lists of capacity n sharing two backing arrays.
func newTopKs(count, n int) []topK {
	sim, idx := make([]float32, count*n), make([]int32, count*n)
	out := make([]topK, count)
	for i := range out {
		out[i] = topK{n: n, sim: sim[i*n : i*n : (i+1)*n], idx: idx[i*n : i*n : (i+1)*n]}
	}
	return out
}

func (t *topK) reset() { t.sim, t.idx = t.sim[:0], t.idx[:0] }

// floor returns the least similarity that can still enter: the k-th best once full.
func (t *topK) floor() float32 {
	if len(t.sim) < t.n {
		return float32(math.Inf(-1))
	}
	return t.sim[t.n-1]
}

// better reports whether (s, i) ranks before (s2, i2).
func better(s float32, i int32, s2 float32, i2 int32) bool {
	return s > s2 || (s == s2 && i < i2)
}

func (t *topK) push(s float32, i int32) {
	m := len(t.sim)
	if m == t.n {
		if !better(s, i, t.sim[m-1], t.idx[m-1]) {
			return
		}
		m--
	} else {
		t.sim, t.idx = t.sim[:m+1], t.idx[:m+1]
	}
	// Insertion from the end: entries are few (k ≤ a few hundred) and inserts rare once full.
	p := m
	for p > 0 && better(s, i, t.sim[p-1], t.idx[p-1]) {
		t.sim[p], t.idx[p] = t.sim[p-1], t.idx[p-1]
		p--
	}
	t.sim[p], t.idx[p] = s, i
}

func dot32(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
