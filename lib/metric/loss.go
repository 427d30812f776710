package metric

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// SoftmaxLoss is Eq. 2 of the paper, the non-parametric softmax of instance discrimination:
// the mean over the batch of −log P(i|v_i) with P(i|v) = exp(vᵀm_i/τ) / Σ_j exp(vᵀm_j/τ), where
// v are the batch embeddings [B, D], bank the memory bank [N, D] and idx [B] (int32) the
// instances of the batch.
func SoftmaxLoss(v, bank, idx *graph.Node, temperature float64) *graph.Node {
	logits := graph.DivScalar(graph.Dot(v, graph.Transpose(bank, 0, 1)), temperature) // [B, N]
	logp := graph.LogSoftmax(logits, -1)
	n := bank.Shape().Dimensions[0]
	onehot := graph.OneHot(idx, n, logp.DType())
	return graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(logp, onehot), -1)))
}

// NCELoss is the noise-contrastive estimate of Eq. 2 (Wu et al. 2018, Eqs. 3–6): with
// P(i|v) = exp(vᵀm_i/τ)/Z, uniform noise P_n = 1/N and m negatives per example,
// h(i, v) = P(i|v) / (P(i|v) + m·P_n), and the loss is the batch mean of
// −log h(i, v_i) − Σ_negatives log(1 − h(j, v_i)). neg [B, m] (int32) are the sampled negative
// instances and z the normalising constant Z (a scalar node).
func NCELoss(v, bank, idx, neg, z *graph.Node, temperature float64) *graph.Node {
	n := float64(bank.Shape().Dimensions[0])
	b := v.Shape().Dimensions[0]
	m := neg.Shape().Dimensions[1]
	pos := graph.Gather(bank, graph.Reshape(idx, b, 1))                             // [B, D]
	negs := graph.Reshape(graph.Gather(bank, graph.Reshape(neg, b*m, 1)), b, m, -1) // [B, m, D]
	sPos := graph.ReduceSum(graph.Mul(v, pos), -1)                                  // [B]
	sNeg := graph.ReduceSum(graph.Mul(graph.InsertAxes(v, 1), negs), -1)            // [B, m]
	pPos := graph.Div(graph.Exp(graph.DivScalar(sPos, temperature)), z)             // [B]
	pNeg := graph.Div(graph.Exp(graph.DivScalar(sNeg, temperature)), z)             // [B, m]
	noise := float64(m) / n
	lPos := graph.Log(graph.Div(pPos, graph.AddScalar(pPos, noise)))                                                        // log h
	lNeg := graph.Log(graph.Div(graph.ScalarOne(v.Graph(), v.DType()), graph.AddScalar(graph.MulScalar(pNeg, 1/noise), 1))) // log(1−h)
	return graph.Neg(graph.ReduceAllMean(graph.Add(lPos, graph.ReduceSum(lNeg, -1))))
}

// UpdateBank returns the memory bank with the rows idx [B] replaced by
// normalize(momentum·bank[idx] + (1−momentum)·v), the update of Wu et al. 2018 (momentum 0.5).
// idx must not repeat within a batch.
func UpdateBank(bank, v, idx *graph.Node, momentum float64) *graph.Node {
	b := v.Shape().Dimensions[0]
	rows := graph.Reshape(idx, b, 1)
	old := graph.Gather(bank, rows)
	mixed := graph.Add(graph.MulScalar(old, momentum), graph.MulScalar(v, 1-momentum))
	fresh := graph.L2Normalize(mixed, -1)
	return graph.ScatterAdd(bank, rows, graph.Sub(fresh, old), false, true)
}
