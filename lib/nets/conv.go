package nets

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// ConvImpl selects how 2-D convolutions are expressed in the graph.
type ConvImpl string

const (
	// ConvPatches gathers the k×k shifted copies of the (padded) input along the channel axis
	// and multiplies the resulting [B·H·W, k·k·Cin] patch matrix by the [k·k·Cin, Cout] kernel.
	// On GoMLX's pure-Go backend a matrix product runs an order of magnitude faster than its
	// direct convolution, so this is the default.
	ConvPatches ConvImpl = "patches"
	// ConvNative uses the backend's own convolution operation (the better choice on XLA).
	ConvNative ConvImpl = "native"
)

// ParamConvImpl is the context parameter selecting the convolution implementation. Unset, it
// is ConvNative on GoMLX's XLA backend (cuDNN on a GPU) and ConvPatches on the others.
const ParamConvImpl = "conv_impl"

// convImpl returns the convolution implementation for a graph: ParamConvImpl, else by backend.
func convImpl(ctx *context.Context, g *graph.Graph) ConvImpl {
	def := ConvPatches
	if strings.Contains(strings.ToLower(g.Backend().Name()), "xla") {
		def = ConvNative
	}
	return ConvImpl(context.GetParamOr(ctx, ParamConvImpl, string(def)))
}

// Conv2D applies a k×k convolution with "same" padding and stride 1 to x ([B, H, W, Cin], NHWC),
// producing [B, H, W, cout], with a bias. Variables live in ctx ("weights" [k, k, Cin, cout], "biases").
func Conv2D(ctx *context.Context, x *graph.Node, cout, k int) *graph.Node {
	if x.Rank() != 4 || k%2 != 1 {
		panic(fmt.Sprintf("Conv2D: want NHWC input and an odd kernel size, got %s and k=%d", x.Shape(), k))
	}
	b, h, w, cin := x.Shape().Dimensions[0], x.Shape().Dimensions[1], x.Shape().Dimensions[2], x.Shape().Dimensions[3]
	dtype := x.DType()
	fanIn := k * k * cin
	wVar := ctx.WithInitializer(initializers.HeFn(ctx)).VariableWithShape("weights", shapes.Make(dtype, k, k, cin, cout))
	bVar := ctx.WithInitializer(initializers.Zero).VariableWithShape("biases", shapes.Make(dtype, cout))
	kernel := wVar.ValueGraph(x.Graph())
	var y *graph.Node
	switch convImpl(ctx, x.Graph()) {
	case ConvNative:
		y = convolve(ctx, x, kernel, func(x, kernel *graph.Node) *graph.Node {
			return graph.Convolve(x, kernel).PadSame().Strides(1).Done()
		})
	default:
		// Gather rows of the [B·H·W+1, Cin] matrix (the last row is zeros, standing for the
		// padding) into the [B·H·W·k·k, Cin] patch matrix. Pad is missing from the pure-Go
		// backend, and Slice's gradient is a Pad, so one Gather (gradient: a scatter-sum) is used.
		rows := graph.Reshape(x, b*h*w, cin)
		rows = graph.Concatenate([]*graph.Node{rows, graph.Zeros(x.Graph(), shapes.Make(dtype, 1, cin))}, 0)
		idx := graph.Const(x.Graph(), patchIndices(b, h, w, k))
		patches := graph.Gather(rows, idx, false)
		patches = graph.Reshape(patches, b*h*w, fanIn)
		y = convolve(ctx, patches, graph.Reshape(kernel, fanIn, cout), graph.Dot)
		y = graph.Reshape(y, b, h, w, cout)
	}
	return graph.Add(y, graph.BroadcastToShape(graph.ExpandLeftToRank(bVar.ValueGraph(x.Graph()), 4), y.Shape()))
}

// patchIndices returns, for every output pixel (b, y, x) and kernel offset (dy, dx), the row of
// the flattened input that the patch reads, or b·h·w (the zero row) where it falls outside the
// image: shape [b·h·w·k·k, 1], in the (dy, dx) order of the kernel's [k, k, Cin, Cout] layout.
func patchIndices(b, h, w, k int) *tensors.Tensor {
	r := k / 2
	zero := int32(b * h * w)
	idx := make([]int32, 0, b*h*w*k*k)
	for bi := 0; bi < b; bi++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for dy := -r; dy <= r; dy++ {
					for dx := -r; dx <= r; dx++ {
						yy, xx := y+dy, x+dx
						if yy < 0 || yy >= h || xx < 0 || xx >= w {
							idx = append(idx, zero)
						} else {
							idx = append(idx, int32((bi*h+yy)*w+xx))
						}
					}
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(idx, len(idx), 1)
}
