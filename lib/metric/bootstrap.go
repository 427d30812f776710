package metric

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/metric-transfer/mtlp/lib/train"
)

// BootstrapLoss is the loss of the supervised "bootstrapping" metric of §4 (Tables 1–2): a
// network trained with plain cross-entropy on the few labelled examples only, whose features
// then serve as the metric. It is Eq. 10 of the paper with every confidence α_i = 1, so it
// reuses train.WeightedCrossEntropy: logits [B, C], labels [B] (int32, in [0, C); not
// range-checked in the graph, train.Fit checks them on the Go side).
func BootstrapLoss(logits, labels *graph.Node) *graph.Node {
	b := logits.Shape().Dimensions[0]
	return train.WeightedCrossEntropy(logits, labels, graph.Ones(logits.Graph(), shapes.Make(logits.DType(), b)))
}
