package propagate

import (
	"fmt"
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
	g := &Graph{N: x.N, K: k, Index: make([]int32, x.N*k), Sim: make([]float32, x.N*k)}
	nBlocks := (x.N + knnRowBlock - 1) / knnRowBlock
	rep := newReporter(progress, "knn", x.N, 200)
	var next, done atomic.Int64
	parallelRange(workers(), func(_, _ int) {
		buf := make([]float32, knnRowBlock*min(knnColBlock, x.N))
		tops := make([]topK, knnRowBlock)
		for t := range tops {
			tops[t] = newTopK(k - 1)
		}
		for {
			b := int(next.Add(1) - 1)
			if b >= nBlocks {
				return
			}
			r0 := b * knnRowBlock
			r1 := min(r0+knnRowBlock, x.N)
			for t := range tops[:r1-r0] {
				tops[t].reset()
			}
			for c0 := 0; c0 < x.N; c0 += knnColBlock {
				c1 := min(c0+knnColBlock, x.N)
				nc := c1 - c0
				sgemmNT(r1-r0, nc, x.D, x.Data[r0*x.D:], x.D, x.Data[c0*x.D:], x.D, buf, nc)
				for r := r0; r < r1; r++ {
					row := buf[(r-r0)*nc : (r-r0+1)*nc]
					top := &tops[r-r0]
					for j, s := range row {
						if c0+j != r {
							top.push(s, int32(c0+j))
						}
					}
				}
			}
			for r := r0; r < r1; r++ {
				idx, sim := g.Neighbours(r)
				idx[0] = int32(r)
				sim[0] = dot32(x.Row(r), x.Row(r))
				copy(idx[1:], tops[r-r0].idx)
				copy(sim[1:], tops[r-r0].sim)
			}
			rep.report(int(done.Add(int64(r1 - r0))))
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

func (t *topK) reset() { t.sim, t.idx = t.sim[:0], t.idx[:0] }

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
