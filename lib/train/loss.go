package train

import "github.com/gomlx/gomlx/pkg/core/graph"

// WeightedCrossEntropy is Eq. 10 of the paper: −(1/N) Σ_i α_i log p_{ŷ_i}, where logits are
// [B, C], labels [B] (int32) the (pseudo) labels ŷ and weights [B] the confidences α.
func WeightedCrossEntropy(logits, labels, weights *graph.Node) *graph.Node {
	c := logits.Shape().Dimensions[1]
	logp := graph.LogSoftmax(logits, -1)
	picked := graph.ReduceSum(graph.Mul(logp, graph.OneHot(labels, c, logp.DType())), -1)
	return graph.Neg(graph.ReduceAllMean(graph.Mul(weights, picked)))
}
