package metric

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// DefaultNCATemperature is τ of scalable NCA: 0.05 in Wu et al. 2018 ("Improving
// generalization via scalable neighborhood component analysis", the --temperature default of
// their code). The authors of the paper released no NCA pretraining, so there is no value of
// theirs to prefer. The memory bank keeps Wu et al.'s momentum 0.5 (UpdateBank).
const DefaultNCATemperature = 0.05

// NCALoss is the supervised neighbourhood likelihood of Eq. 4 of the paper, in the scalable
// form of Wu et al. 2018: with s_ij = v_iᵀm_j/τ over the memory bank m [N, D],
//
//	p_ij = exp(s_ij) / Σ_{k≠i} exp(s_ik),   loss = −(1/B) Σ_i log Σ_{j≠i, y_j=y_i} p_ij,
//
// where "≠ i" excludes the sample's own bank slot idx_i, whose entry is a stale copy of v_i.
// v [B, D] are the batch embeddings (L2-normalised), idx [B] (int32) their dataset indices (bank
// rows) and labels [N] (int32) the class of every bank row (see NCALabels). Both sums are
// log-sum-exps shifted by their row maximum, so τ = 0.05 stays finite in float32.
//
// A sample whose only same-class bank entry is its own slot has an empty numerator
// (log 0): its row contributes 0 to the sum, which is still divided by the batch size B, as in
// Wu et al.'s released code; its gradient is 0, never NaN. A batch of such samples has loss 0.
//
// The bank is updated after the step with UpdateBank, as for instance discrimination. Like
// GoMLX's ops, it panics while building the graph on shapes that do not fit (v [B, D], bank
// [N, D] with N ≥ 2, idx [B], labels [N]); idx and labels are not range-checked in the graph
// (NCALabels checks the labels on the Go side).
func NCALoss(v, bank, idx, labels *graph.Node, temperature float64) *graph.Node {
	if v.Rank() != 2 || bank.Rank() != 2 || bank.Shape().Dimensions[1] != v.Shape().Dimensions[1] {
		panic(fmt.Sprintf("NCALoss: want v [B, D] and bank [N, D], got %s and %s", v.Shape(), bank.Shape()))
	}
	b, n := v.Shape().Dimensions[0], bank.Shape().Dimensions[0]
	switch {
	case n < 2:
		panic(fmt.Sprintf("NCALoss: the bank needs at least 2 rows (one besides the sample's own), got %d", n))
	case !idx.Shape().Equal(shapes.Make(idx.DType(), b)) || !labels.Shape().Equal(shapes.Make(labels.DType(), n)):
		panic(fmt.Sprintf("NCALoss: want idx [%d] and labels [%d], got %s and %s", b, n, idx.Shape(), labels.Shape()))
	}
	g := v.Graph()
	s := graph.DivScalar(graph.Dot(v, graph.Transpose(bank, 0, 1)), temperature) // [B, N]
	col := graph.Reshape(idx, b, 1)
	slot := graph.Iota(g, shapes.Make(idx.DType(), b, n), 1)
	notSelf := graph.NotEqual(slot, graph.BroadcastToDims(col, b, n))
	y := graph.Reshape(graph.Gather(labels, col), b, 1) // [B, 1], the batch's classes
	same := graph.Equal(graph.BroadcastToDims(graph.Reshape(labels, 1, n), b, n), graph.BroadcastToDims(y, b, n))
	same = graph.LogicalAnd(same, notSelf)
	logZ, _ := maskedLogSumExp(s, notSelf)
	logP, hasNeighbour := maskedLogSumExp(s, same)
	rows := graph.Where(hasNeighbour, graph.Sub(logZ, logP), graph.ZerosLike(logZ))
	return graph.DivScalar(graph.ReduceAllSum(rows), float64(b))
}

// maskedLogSumExp returns log Σ_{j: mask_ij} exp(x_ij) per row of x [B, N] and whether the row's
// mask is non-empty; an empty row gives 0 (not −∞) so that nothing downstream sees log 0 or its
// infinite gradient, even through the unselected branch of a Where.
func maskedLogSumExp(x, mask *graph.Node) (lse, nonEmpty *graph.Node) {
	nonEmpty = graph.ReduceLogicalOr(mask, -1)
	zeros := graph.ZerosLike(x)
	zeroRow := graph.ZerosLike(graph.ReduceSum(x, -1))
	shift := graph.StopGradient(graph.Where(nonEmpty, graph.MaskedReduceMax(x, mask, -1), zeroRow))
	shifted := graph.Where(mask, graph.Sub(x, graph.InsertAxes(shift, -1)), zeros)
	sum := graph.ReduceSum(graph.Where(mask, graph.Exp(shifted), zeros), -1)
	sum = graph.Where(nonEmpty, sum, graph.OnesLike(sum))
	return graph.Add(graph.Log(sum), shift), nonEmpty
}

// NCALabels checks the class of every memory-bank row for NCALoss (Eq. 4) and returns them as
// the [N] int32 tensor it takes: there must be one per bank row, and none negative (a −1
// "unlabelled" mark would otherwise form a class of its own). Classes with a single example are
// allowed; their samples contribute nothing to the loss (see NCALoss).
func NCALabels(labels []int32, bankSize int) (*tensors.Tensor, error) {
	if len(labels) != bankSize {
		return nil, fmt.Errorf("NCA labels: %d labels for a memory bank of %d rows; give one label per bank row", len(labels), bankSize)
	}
	if bankSize < 2 {
		return nil, fmt.Errorf("NCA labels: a memory bank of %d rows has no neighbours; NCA needs at least 2 examples", bankSize)
	}
	for i, y := range labels {
		if y < 0 {
			return nil, fmt.Errorf("NCA labels: label %d of example %d is negative; NCA trains on labelled examples only, drop the unlabelled ones", y, i)
		}
	}
	return tensors.FromFlatDataAndDimensions(append([]int32(nil), labels...), bankSize), nil
}
