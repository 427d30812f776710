package nets

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// MaxPool2 halves the spatial size of x ([B, H, W, C], NHWC) by a 2×2 max, rounding up: an odd
// side gets a zero row or column first, which equals ceil-mode pooling for the non-negative
// inputs that follow a ReLU. It is written as reshape + reduce-max because the pure-Go backend
// has no gradient for the windowed max (SelectAndScatter) nor for Pad.
func MaxPool2(x *graph.Node) *graph.Node {
	return graph.ReduceMax(pairUp(x), 2, 4)
}

// pairUp pads x ([B, H, W, C]) with a zero row and column where H or W is odd and reshapes it
// to [B, ⌈H/2⌉, 2, ⌈W/2⌉, 2, C], so that axes 2 and 4 hold each 2×2 window.
func pairUp(x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	g := x.Graph()
	if h%2 == 1 {
		x = graph.Concatenate([]*graph.Node{x, graph.Zeros(g, shapes.Make(x.DType(), b, 1, w, c))}, 1)
		h++
	}
	if w%2 == 1 {
		x = graph.Concatenate([]*graph.Node{x, graph.Zeros(g, shapes.Make(x.DType(), b, h, 1, c))}, 2)
		w++
	}
	return graph.Reshape(x, b, h/2, 2, w/2, 2, c)
}
