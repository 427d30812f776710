package nets

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// ParamPrecision is the context parameter selecting the precision of the convolutions'
// products (a Precision). Unset, it is Float32.
const ParamPrecision = "precision"

// Precision is the precision in which the convolutions multiply.
type Precision string

const (
	// Float32 multiplies in float32 throughout.
	Float32 Precision = "float32"
	// BFloat16 is mixed precision: each convolution rounds its input and kernel to bfloat16 and
	// returns its product in float32 (on a GPU the product accumulates in float32, as PyTorch's
	// autocast does), while the weights (the optimiser's master copy), the biases, batch norm,
	// the embedding head and the loss stay in float32.
	BFloat16 Precision = "bfloat16"
)

// Precisions lists the values ParamPrecision takes.
var Precisions = []Precision{Float32, BFloat16}

// CheckPrecision returns an error naming the accepted values for an unknown precision; ""
// stands for Float32.
func CheckPrecision(p string) error {
	switch Precision(p) {
	case "", Float32, BFloat16:
		return nil
	}
	return fmt.Errorf("precision %q: want %q or %q", p, Float32, BFloat16)
}

// convolve returns product(x, kernel), computed in the precision ParamPrecision selects and
// returned in x's dtype.
func convolve(ctx *context.Context, x, kernel *graph.Node, product func(x, kernel *graph.Node) *graph.Node) *graph.Node {
	p := Precision(context.GetParamOr(ctx, ParamPrecision, string(Float32)))
	if p != BFloat16 || x.DType() == dtypes.BFloat16 {
		return product(x, kernel)
	}
	return graph.ConvertDType(product(graph.ConvertDType(x, dtypes.BFloat16), graph.ConvertDType(kernel, dtypes.BFloat16)), x.DType())
}
