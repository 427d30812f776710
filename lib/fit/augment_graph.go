package fit

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// AugmentGraph returns the views that a draws of images ([B, H, W, C] float32 in [0, 1]),
// computed in the graph, on the device, rather than on the host as Batches does: the same
// kinds of views, rendered by the same formulas (view.render), with the random draws taken from
// ctx's random-number generator. The generator's state is a variable of ctx, so a checkpoint
// holds it and a resumed run draws what the uninterrupted one would. An inference graph, or an
// Augment that does nothing, gets the images unchanged.
//
// One case renders differently from the host: with both CropScale and Pad, a crop drawn as the
// whole image is still resampled (the edge pixels repeat where the padding shifts it), where
// the host reads zeros; the authors' settings never combine the two.
func AugmentGraph(ctx *context.Context, images *graph.Node, a Augment) *graph.Node {
	g := images.Graph()
	if !ctx.IsTraining(g) || a == (Augment{}) {
		return images
	}
	dims := images.Shape().Dimensions
	return renderGraph(images, drawGraph(ctx, g, a, dims[0], dims[1], dims[2], dims[3]), a)
}

// viewNodes are the views of a batch in the graph: each field [B] float32, Flip and Gray 0 or 1.
type viewNodes struct {
	Y0, X0, BH, BW, Flip, Brightness, Contrast, Gray *graph.Node
}

// drawGraph draws b views of h×w×c images from ctx's generator, with the distributions of
// Augment.draw.
func drawGraph(ctx *context.Context, g *graph.Graph, a Augment, b, h, w, c int) viewNodes {
	u := ctx.RandomUniform(g, shapes.Make(dtypes.Float32, b, 10))
	col := func(i int) *graph.Node { return graph.Reshape(graph.Slice(u, graph.AxisRange(), graph.AxisElem(i)), b) }
	full := func(v float64) *graph.Node { return graph.BroadcastToDims(graph.Scalar(g, dtypes.Float32, v), b) }
	v := viewNodes{Y0: full(0), X0: full(0), BH: full(float64(h)), BW: full(float64(w)), Flip: full(0),
		Brightness: full(1), Contrast: full(1), Gray: full(0)}
	if a.CropScale > 0 && a.CropScale < 1 {
		area := graph.MulScalar(graph.AddScalar(graph.MulScalar(col(0), 1-a.CropScale), a.CropScale), float64(h*w))
		ratio := graph.Exp(graph.AddScalar(graph.MulScalar(col(1), math.Log(16.0/9)), math.Log(3.0/4)))
		v.BW = graph.MinScalar(graph.Sqrt(graph.Mul(area, ratio)), float64(w))
		v.BH = graph.MinScalar(graph.Sqrt(graph.Div(area, ratio)), float64(h))
		v.Y0 = graph.Mul(col(2), graph.Sub(full(float64(h)), v.BH))
		v.X0 = graph.Mul(col(3), graph.Sub(full(float64(w)), v.BW))
	}
	if a.Pad > 0 {
		shift := func(u *graph.Node) *graph.Node {
			s := graph.Floor(graph.MulScalar(u, float64(2*a.Pad+1)))
			return graph.AddScalar(graph.MinScalar(s, float64(2*a.Pad)), -float64(a.Pad))
		}
		v.Y0, v.X0 = graph.Add(v.Y0, shift(col(4))), graph.Add(v.X0, shift(col(5)))
	}
	if a.Flip {
		v.Flip = graph.ConvertDType(graph.LessThan(col(6), full(0.5)), dtypes.Float32)
	}
	if a.Jitter > 0 {
		v.Brightness = graph.AddScalar(graph.MulScalar(graph.AddScalar(graph.MulScalar(col(7), 2), -1), a.Jitter), 1)
		v.Contrast = graph.AddScalar(graph.MulScalar(graph.AddScalar(graph.MulScalar(col(8), 2), -1), a.Jitter), 1)
	}
	if a.Grayscale > 0 && c == 3 {
		v.Gray = graph.ConvertDType(graph.LessThan(col(9), full(a.Grayscale)), dtypes.Float32)
	}
	return v
}

// renderGraph renders the views v of images ([B, H, W, C]) as view.render does: bilinear
// resampling of the boxes when a crops, else whole-pixel shifts reading zeros outside the
// image; then the flip, the jitter (when a jitters) and the grayscale.
func renderGraph(images *graph.Node, v viewNodes, a Augment) *graph.Node {
	g := images.Graph()
	dims := images.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	flat := graph.Reshape(images, b*h*w, c)
	// Rows [B, H, 1] and columns [B, 1, W] of the output, the columns mirrored where flipped: the
	// output's column j shows the view's column w−1−j.
	rows := graph.BroadcastToDims(graph.Reshape(graph.Iota(g, shapes.Make(dtypes.Float32, h), 0), 1, h, 1), b, h, 1)
	cols := graph.Reshape(graph.Iota(g, shapes.Make(dtypes.Float32, w), 0), 1, 1, w)
	flip := graph.Reshape(v.Flip, b, 1, 1)
	cols = graph.Add(cols, graph.Mul(flip, graph.AddScalar(graph.MulScalar(cols, -2), float64(w-1)))) // [B, 1, W]
	per := func(x *graph.Node) *graph.Node { return graph.Reshape(x, b, 1, 1) }
	// gather reads images at integer rows ys [B, H, 1] or [B, H, W] and columns xs, with zeros
	// where mask is 0.
	base := graph.Reshape(graph.MulScalar(graph.Iota(g, shapes.Make(dtypes.Int32, b), 0), float64(h*w)), b, 1, 1)
	gather := func(ys, xs *graph.Node) *graph.Node {
		idx := graph.Add(graph.Add(base, graph.MulScalar(graph.ConvertDType(ys, dtypes.Int32), float64(w))), graph.ConvertDType(xs, dtypes.Int32))
		idx = graph.BroadcastToDims(idx, b, h, w)
		return graph.Reshape(graph.Gather(flat, graph.Reshape(idx, b*h*w, 1)), b, h, w, c)
	}
	var out *graph.Node
	if a.CropScale > 0 && a.CropScale < 1 {
		// Pixel centres map to (y+0.5)·BH/H − 0.5 in the box, clamped to the image.
		fy := graph.Add(per(v.Y0), graph.AddScalar(graph.Mul(graph.AddScalar(rows, 0.5), graph.DivScalar(per(v.BH), float64(h))), -0.5))
		fx := graph.Add(per(v.X0), graph.AddScalar(graph.Mul(graph.AddScalar(cols, 0.5), graph.DivScalar(per(v.BW), float64(w))), -0.5))
		fy, fx = graph.ClipScalar(fy, 0, float64(h-1)), graph.ClipScalar(fx, 0, float64(w-1))
		y0, x0 := graph.Floor(fy), graph.Floor(fx)
		dy, dx := graph.Sub(fy, y0), graph.Sub(fx, x0)
		y1, x1 := graph.MinScalar(graph.AddScalar(y0, 1), float64(h-1)), graph.MinScalar(graph.AddScalar(x0, 1), float64(w-1))
		dy, dx = graph.InsertAxes(dy, -1), graph.InsertAxes(dx, -1)
		one := graph.ScalarOne(g, dtypes.Float32)
		top := graph.Add(graph.Mul(graph.Sub(one, dx), gather(y0, x0)), graph.Mul(dx, gather(y0, x1)))
		bottom := graph.Add(graph.Mul(graph.Sub(one, dx), gather(y1, x0)), graph.Mul(dx, gather(y1, x1)))
		out = graph.Add(graph.Mul(graph.Sub(one, dy), top), graph.Mul(dy, bottom))
	} else {
		ys := graph.Add(rows, graph.Floor(per(v.Y0)))
		xs := graph.Add(cols, graph.Floor(per(v.X0)))
		inside := graph.And(
			graph.And(graph.GreaterOrEqual(ys, graph.ScalarZero(g, dtypes.Float32)), graph.LessThan(ys, graph.Scalar(g, dtypes.Float32, float64(h)))),
			graph.And(graph.GreaterOrEqual(xs, graph.ScalarZero(g, dtypes.Float32)), graph.LessThan(xs, graph.Scalar(g, dtypes.Float32, float64(w)))))
		ys, xs = graph.ClipScalar(ys, 0, float64(h-1)), graph.ClipScalar(xs, 0, float64(w-1))
		mask := graph.InsertAxes(graph.ConvertDType(graph.BroadcastToDims(inside, b, h, w), dtypes.Float32), -1)
		out = graph.Mul(gather(ys, xs), mask)
	}
	if a.Jitter > 0 {
		mean := graph.ReduceMean(out, 1, 2, 3)
		m := graph.Reshape(mean, b, 1, 1, 1)
		out = graph.Mul(graph.Add(m, graph.Mul(graph.Sub(out, m), graph.Reshape(v.Contrast, b, 1, 1, 1))), graph.Reshape(v.Brightness, b, 1, 1, 1))
		out = graph.ClipScalar(out, 0, 1)
	}
	if a.Grayscale > 0 && c == 3 {
		weights := graph.Reshape(graph.Const(g, []float32{0.299, 0.587, 0.114}), 1, 1, 1, 3)
		luma := graph.BroadcastToDims(graph.InsertAxes(graph.ReduceSum(graph.Mul(out, weights), -1), -1), b, h, w, c)
		gray := graph.BroadcastToDims(graph.Reshape(graph.GreaterThan(v.Gray, graph.ScalarZero(g, dtypes.Float32)), b, 1, 1, 1), b, h, w, c)
		out = graph.Where(gray, luma, out)
	}
	return out
}
