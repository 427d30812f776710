package nets

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX v0.26.0 differentiates a matrix product C = A·B by broadcasting the adjoint to
// [i, j, k], multiplying and reducing: O(i·j·k) memory and element-wise work where two matrix
// products would do. On the pure-Go backend that made the gradient of one 3×3 convolution
// layer cost as much as ~50 forward passes. Replacing the registered gradient for rank-2 Dot
// nodes with dA = V·Bᵀ and dB = Aᵀ·V keeps the result (tested against finite differences) and
// is what every model in this project relies on.
func init() {
	original := graph.VJPRegistration[graph.NodeTypeDot]
	graph.VJPRegistration[graph.NodeTypeDot] = func(node *graph.Node, vjpOutputs []*graph.Node, outputShape shapes.Shape) []*graph.Node {
		in := node.Inputs()
		if len(in) != 2 || in[0].Rank() != 2 || in[1].Rank() != 2 {
			return original(node, vjpOutputs, outputShape)
		}
		a, b, v := in[0], in[1], vjpOutputs[0]
		return []*graph.Node{
			graph.Dot(v, graph.Transpose(b, 0, 1)),
			graph.Dot(graph.Transpose(a, 0, 1), v),
		}
	}
}
