package train

import (
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// graphFloat is the dtype of images, logits and losses.
const graphFloat = dtypes.Float32

// view draws one random view of images [B, H, W, C] inside the graph: each image translated
// by up to pad pixels in each direction (the uncovered border zero, as fit.Augment's Pad),
// flipped left-right with probability 1/2 when flip, then with Gaussian noise of standard
// deviation noise added to every pixel (none when noise ≤ 0).
//
// Why in the graph: the Π-model and Mean Teacher compare two views of the same unlabeled
// images, and realistic-ssl-evaluation draws each view's translation, flip and noise afresh
// inside every forward pass (lib/networks.py). The host's fit.Batches builds one view per
// image, so the unlabeled half arrives un-augmented and each pass draws its own view here.
// The draws come from the context's random state, which follows Config.Seed and is saved in
// checkpoints, so a resumed run draws what the uninterrupted one would have.
func view(ctx *context.Context, images *graph.Node, pad int, flip bool, noise float64) *graph.Node {
	g := images.Graph()
	b := images.Shape().Dimensions[0]
	x := images
	if pad > 0 {
		x = translate(x, ctx.RandomIntN(g, int32(2*pad+1), shapes.Make(dtypes.Int32, b)),
			ctx.RandomIntN(g, int32(2*pad+1), shapes.Make(dtypes.Int32, b)), pad)
	}
	if flip {
		coin := graph.LessThan(ctx.RandomUniform(g, shapes.Make(graphFloat, b)), graph.Scalar(g, graphFloat, 0.5))
		x = graph.Where(coin, flipLeftRight(x), x)
	}
	if noise > 0 {
		x = graph.Add(x, graph.MulScalar(ctx.RandomNormal(g, x.Shape()), noise))
	}
	return x
}

// translate moves image i of x [B, H, W, C] by dy[i] − pad rows and dx[i] − pad columns
// (dy, dx int32 [B] in [0, 2·pad]), filling the uncovered border with zeros: a crop of the
// zero-padded image at offset (dy, dx), as fit.Augment's Pad does on the host. Each offset is
// a one-hot mix of the 2·pad+1 shifted copies along its axis, plain ops that every backend
// runs and cheap beside a convolution.
func translate(x, dy, dx *graph.Node, pad int) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, h, w := dims[0], dims[1], dims[2]
	// Concatenated zeros rather than graph.Pad, which the pure-Go backend lacks.
	padAxis := func(x *graph.Node, axis int) *graph.Node {
		dims := slices.Clone(x.Shape().Dimensions)
		dims[axis] = pad
		zeros := graph.Zeros(g, shapes.Make(x.DType(), dims...))
		return graph.Concatenate([]*graph.Node{zeros, x, zeros}, axis)
	}
	padded := padAxis(padAxis(x, 1), 2)
	shift := func(x, offset *graph.Node, axis, size int) *graph.Node {
		hot := graph.OneHot(offset, 2*pad+1, x.DType()) // [B, 2·pad+1]
		var out *graph.Node
		for k := 0; k <= 2*pad; k++ {
			spec := make([]graph.SliceAxisSpec, x.Rank())
			for i := range spec {
				spec[i] = graph.AxisRange()
			}
			spec[axis] = graph.AxisRange(k, k+size)
			weight := graph.Reshape(graph.Slice(hot, graph.AxisRange(), graph.AxisElem(k)), b, 1, 1, 1)
			term := graph.Mul(graph.Slice(x, spec...), weight)
			if out == nil {
				out = term
			} else {
				out = graph.Add(out, term)
			}
		}
		return out
	}
	return shift(shift(padded, dy, 1, h), dx, 2, w)
}

// flipLeftRight mirrors images [B, H, W, C] left-right, by gathering the columns in reverse
// order (the pure-Go backend lacks graph.Reverse).
func flipLeftRight(x *graph.Node) *graph.Node {
	w := x.Shape().Dimensions[2]
	reversed := make([][]int32, w)
	for i := range reversed {
		reversed[i] = []int32{int32(w - 1 - i)}
	}
	columns := graph.TransposeAllAxes(x, 2, 0, 1, 3) // [W, B, H, C]
	flipped := graph.Gather(columns, graph.Const(x.Graph(), reversed))
	return graph.TransposeAllAxes(flipped, 1, 2, 0, 3)
}
