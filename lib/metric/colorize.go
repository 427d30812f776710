package metric

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// Context parameters of ColorHead, with their defaults.
const (
	// ParamColorHeadChannels is the width of ColorHead's two 3×3 layers.
	ParamColorHeadChannels = "color_head_channels"
	// DefaultColorHeadChannels is the width of the last block of Zhang et al. 2016 (conv8, 256
	// channels, then a 1×1 convolution to the bins).
	DefaultColorHeadChannels = 256
	// ParamColorBins is the number of colour bins Q that ColorHead predicts; 0 or unset means
	// DefaultGamut().Q().
	ParamColorBins = "color_bins"
)

// ColorLoss is the colorization loss of Eq. 3 of the paper (Zhang et al. 2016, Eq. 2 and 4):
// per pixel, the cross-entropy −Σ_q q_q log q̂_q between the soft-encoded target q and the
// predicted distribution q̂ = softmax(logits) over the Q bins (the paper's Eq. 3 prints
// q log q; the loss it cites is this one). logits are [..., Q]; the target is SoftEncode's
// sparse form, bins [..., K] (int32, nearest first) and weights [..., K], so the sum runs over
// the K bins that carry weight.
//
// Eq. 3 sums over the pixels (h, w); here the loss is averaged over batch and pixels, so its
// size and the learning rate do not depend on the resolution (multiply by H·W for the sum).
//
// classWeights [Q] are Zhang et al.'s class-rebalancing weights (RebalanceWeights): each pixel's
// term is scaled by the weight of its nearest bin, v(Z_hw) = w_{argmax_q Z_hwq}. nil, the
// default, means no rebalancing. It panics, like GoMLX, on shapes that do not fit; bins are not
// range-checked in the graph (SoftEncode and SoftEncodeGraph make valid ones).
func ColorLoss(logits, bins, weights, classWeights *graph.Node) *graph.Node {
	ld, bd := logits.Shape().Dimensions, bins.Shape().Dimensions
	if logits.Rank() < 2 || bins.Rank() != logits.Rank() || !slices.Equal(bd, weights.Shape().Dimensions) {
		panic(fmt.Sprintf("ColorLoss: want logits [..., Q], bins and weights [..., K], got %s, %s and %s", logits.Shape(), bins.Shape(), weights.Shape()))
	}
	for i := 0; i < len(ld)-1; i++ {
		if ld[i] != bd[i] {
			panic(fmt.Sprintf("ColorLoss: logits %s and bins %s differ in their pixel axes", logits.Shape(), bins.Shape()))
		}
	}
	q, k := ld[len(ld)-1], bd[len(bd)-1]
	if classWeights != nil && (classWeights.Rank() != 1 || classWeights.Shape().Dimensions[0] != q) {
		panic(fmt.Sprintf("ColorLoss: want class weights [%d], got %s", q, classWeights.Shape()))
	}
	logp := graph.Reshape(graph.LogSoftmax(logits, -1), -1) // [P·Q]
	p := logp.Shape().Dimensions[0] / q
	// Row p's bin j sits at p·Q + j of the flattened log-probabilities.
	rowStart := graph.MulScalar(graph.Iota(logits.Graph(), shapes.Make(bins.DType(), p, k), 0), q)
	at := graph.Add(rowStart, graph.Reshape(bins, p, k))
	picked := graph.Reshape(graph.Gather(logp, graph.Reshape(at, p*k, 1)), p, k)
	w := graph.ConvertDType(graph.Reshape(weights, p, k), logp.DType())
	ce := graph.Neg(graph.ReduceSum(graph.Mul(w, picked), -1)) // [P]
	if classWeights != nil {
		nearest := graph.Slice(graph.Reshape(bins, p, k), graph.AxisRange(), graph.AxisRange(0, 1)) // [P, 1]
		ce = graph.Mul(ce, graph.ConvertDType(graph.Gather(classWeights, nearest), logp.DType()))
	}
	return graph.ReduceAllMean(ce)
}

// ColorHead is the colorization head of §3.1 (after Doersch & Zisserman 2017, the paper's
// [5]): three convolutional layers that map a backbone's feature map [B, H, W, C] to logits over
// the Q colour bins per position, [B, H, W, Q]: 3×3 convolution → batch norm → ReLU twice, at
// ParamColorHeadChannels (256) wide, then a 1×1 convolution to ParamColorBins (the default
// gamut's Q). The features must be a spatial map, not a flattened vector; the targets are
// soft-encoded at its resolution. Variables live under ctx; it panics, like GoMLX, on input
// that is not [B, H, W, C].
func ColorHead(ctx *context.Context, features *graph.Node) *graph.Node {
	if features.Rank() != 4 {
		panic(fmt.Sprintf("ColorHead: want a feature map [B, H, W, C], got %s", features.Shape()))
	}
	channels := context.GetParamOr(ctx, ParamColorHeadChannels, DefaultColorHeadChannels)
	q := context.GetParamOr(ctx, ParamColorBins, 0)
	if q <= 0 {
		q = DefaultGamut().Q()
	}
	x := features
	for i := range 2 {
		layer := ctx.Inf("conv_%d", i)
		x = nets.Conv2D(layer.In("conv"), x, channels, 3)
		x = nets.BatchNorm(layer.In("bn"), x)
		x = graph.Max(x, graph.ZerosLike(x))
	}
	logits := nets.Conv2D(ctx.In("conv_2"), x, q, 1)
	d := features.Shape().Dimensions
	logits.AssertDims(d[0], d[1], d[2], q)
	return logits
}
