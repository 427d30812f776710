package propagate

import (
	"fmt"
	"math"
	"sync/atomic"
)

// voteRowBlock rows are scored against all labelled rows in one BLAS call.
const voteRowBlock = 256

// Vote computes the nearest-neighbour logits of Eq. 5 for every row of x (L2-normalised):
//
//	z_{u,c} = (1/n_{t,c}) Σ_{i ∈ N_K(u)} [y_i = c]·exp(cos(x_i, x_u)/T),
//
// where N_K(u) are the K = min(n_labelled, k) labelled rows most similar to u, n_{t,c} is the
// number of labels of class c and T the temperature (0.1). A labelled row never votes for
// itself: its N_K excludes it (K = min(n_labelled−1, k)). Every labelled row as similar as the
// K-th (within 1e-6) votes too, so that which of equally similar rows vote never depends on
// the row order (see ties.go); N_K then holds more than K rows.
//
// Each row of the result is then divided by its sum, so logits are vote shares in [0, 1] with
// the same argmax as z; this removes the e^{1/T} scale that would otherwise saturate Eq. 8, and
// matches the authors' notebooks/knn.ipynb (probs.div_(probs.sum(...))). The authors do not
// divide by n_{t,c}; the paper does, and with class-balanced labels the two agree. Rows with no
// voter (a labelled row when it is the only label) get all zeros. Labels must already be
// validated (see Run).
func Vote(x Matrix, labelled []int, labels []int32, numClasses, k int, temperature float64, progress func(string, int, int)) (Matrix, error) {
	return voteRows(x, 0, labelled, labels, numClasses, k, temperature, progress)
}

// voteRows is Vote for the rows from, from+1, …, x.N−1 of x alone: row r of the result is row
// from+r of Vote's.
func voteRows(x Matrix, from int, labelled []int, labels []int32, numClasses, k int, temperature float64, progress func(string, int, int)) (Matrix, error) {
	if err := x.check("features"); err != nil {
		return Matrix{}, err
	}
	if k < 1 {
		return Matrix{}, fmt.Errorf("propagate: VoteK = %d must be at least 1 (default 200)", k)
	}
	if !(temperature > 0) || math.IsInf(temperature, 0) {
		return Matrix{}, fmt.Errorf("propagate: vote temperature %v must be positive and finite (default 0.1)", temperature)
	}
	nl := len(labelled)
	classCount := make([]float64, numClasses)
	for _, y := range labels {
		classCount[y]++
	}
	// Gather the labelled rows contiguously so one Sgemm scores a block against all of them.
	xl := NewMatrix(nl, x.D)
	for t, i := range labelled {
		copy(xl.Row(t), x.Row(i))
	}
	selfPos := make([]int32, x.N) // position+1 in labelled, 0 for unlabelled rows
	for t, i := range labelled {
		selfPos[i] = int32(t + 1)
	}
	out := NewMatrix(x.N-from, numClasses)
	// Blocks of voteRowBlock rows counted from row 0, as Vote's, so that every row is scored
	// by the same product as there (a BLAS may round by the block's shape); the first block's
	// rows before from are scored and dropped.
	first := from / voteRowBlock
	nBlocks := (x.N+voteRowBlock-1)/voteRowBlock - first
	rep := newReporter(progress, "vote", x.N-from, 200)
	var next, done atomic.Int64
	parallelRange(workers(), func(_, _ int) {
		buf := make([]float32, voteRowBlock*nl)
		top := newTopK(min(nl, k))
		var voters topK // top and the voters tied with its last
		z := make([]float64, numClasses)
		for {
			b := int(next.Add(1) - 1)
			if b >= nBlocks {
				return
			}
			r0 := (first + b) * voteRowBlock
			r1 := min(r0+voteRowBlock, x.N)
			sgemmNT(r1-r0, nl, x.D, x.Data[r0*x.D:], x.D, xl.Data, x.D, buf, nl)
			for r := max(r0, from); r < r1; r++ {
				top.reset()
				self := int(selfPos[r]) - 1
				sims := buf[(r-r0)*nl : (r-r0+1)*nl]
				for t, s := range sims {
					if t != self {
						top.push(s, int32(labelled[t]))
					}
				}
				withTies(&voters, top, sims, labelled, self)
				voteRow(out.Row(r-from), z, voters, labels, selfPos, classCount, temperature)
			}
			rep.report(int(done.Add(int64(r1 - max(r0, from)))))
		}
	})
	return out, nil
}

// withTies sets voters to the rows of top followed by every other candidate (sims over the
// labelled rows, self excluded) within tieSimilarity of top's last, which the top-K cut left
// out only because of its row index.
func withTies(voters *topK, top topK, sims []float32, labelled []int, self int) {
	voters.sim = append(voters.sim[:0], top.sim...)
	voters.idx = append(voters.idx[:0], top.idx...)
	if len(top.sim) < top.n {
		return // every candidate is in top
	}
	lastSim, lastIdx := top.sim[top.n-1], top.idx[top.n-1]
	for t, s := range sims {
		i := int32(labelled[t])
		if t != self && float64(lastSim)-float64(s) <= tieSimilarity && better(lastSim, lastIdx, s, i) {
			voters.sim = append(voters.sim, s)
			voters.idx = append(voters.idx, i)
		}
	}
}

// voteRow turns the selected neighbours into normalised class shares.
func voteRow(dst []float32, z []float64, top topK, labels []int32, selfPos []int32, classCount []float64, temperature float64) {
	clear(z)
	if len(top.sim) == 0 {
		clear(dst)
		return
	}
	// exp((s − s_max)/T): the common factor exp(s_max/T) cancels in the normalisation.
	smax := float64(top.sim[0])
	for t, s := range top.sim {
		c := labels[selfPos[top.idx[t]]-1]
		z[c] += math.Exp((float64(s)-smax)/temperature) / classCount[c]
	}
	var sum float64
	for _, v := range z {
		sum += v
	}
	for c, v := range z {
		dst[c] = float32(v / sum)
	}
}
