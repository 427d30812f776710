package metric

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A memory bank in 16-bit fixed point holds each entry x of its unit vectors as the int16
// round(x·2^15), clamped to [−2^15, 2^15−1]: an absolute error of at most 2^-16 (1.5e-5), below
// float16's 2^-11 relative error for the entries' typical size (1/√128 ≈ 0.09). It halves the
// bank's memory and the checkpoint that holds it (50,000×128 entries: 12.8 MB instead of 25.6),
// and, unlike rounding a float32 bank to float16 when saving, it loses nothing when saved: a run
// resumed from the checkpoint goes on bit for bit.

// bankScale is the fixed point's unit: entries are multiples of 1/bankScale.
const bankScale = 1 << 15

// QuantizeBank returns the float32 rows of bank (a [N, D] float32 tensor) in 16-bit fixed point.
func QuantizeBank(bank *tensors.Tensor) *tensors.Tensor {
	q := make([]int16, bank.Shape().Size())
	tensors.ConstFlatData(bank, func(xs []float32) {
		for i, x := range xs {
			q[i] = int16(max(-bankScale, min(bankScale-1, math.RoundToEven(float64(x)*bankScale))))
		}
	})
	return tensors.FromFlatDataAndDimensions(q, bank.Shape().Dimensions...)
}

// bankVariable creates the memory bank in ctx's memory_bank scope from its initial float32
// value: in 16-bit fixed point when fixed16, else in float32.
func bankVariable(ctx *context.Context, initial *tensors.Tensor, fixed16 bool) *context.Variable {
	if fixed16 {
		initial = QuantizeBank(initial)
	}
	return ctx.In("memory_bank").VariableWithValue("bank", initial).SetTrainable(false)
}

// BankValues returns the bank's entries in float32, whatever it is stored in.
func BankValues(bank *graph.Node) *graph.Node {
	if bank.DType() != dtypes.Int16 {
		return bank
	}
	return graph.DivScalar(graph.ConvertDType(bank, dtypes.Float32), bankScale)
}

// UpdateStoredBank is UpdateBank on a bank as stored: a float32 bank is updated by UpdateBank; a
// 16-bit fixed-point one gets the rows idx replaced by the fixed-point rounding of
// normalize(momentum·bank[idx] + (1−momentum)·v), in integer arithmetic, so that the other rows
// stay exactly as they were.
func UpdateStoredBank(bank, v, idx *graph.Node, momentum float64) *graph.Node {
	if bank.DType() != dtypes.Int16 {
		return UpdateBank(bank, v, idx, momentum)
	}
	b := v.Shape().Dimensions[0]
	rows := graph.Reshape(idx, b, 1)
	old := graph.Gather(bank, rows)
	mixed := graph.Add(graph.MulScalar(BankValues(old), momentum), graph.MulScalar(v, 1-momentum))
	fresh := graph.Round(graph.MulScalar(graph.L2Normalize(mixed, -1), bankScale))
	fresh = graph.ClipScalar(fresh, -bankScale, bankScale-1)
	return graph.ScatterAdd(bank, rows, graph.Sub(graph.ConvertDType(fresh, dtypes.Int16), old), false, true)
}
