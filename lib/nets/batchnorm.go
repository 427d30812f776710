package nets

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
	"github.com/gomlx/gomlx/pkg/ml/train"
)

// Batch-norm constants, PyTorch's defaults.
const (
	batchNormEpsilon  = 1e-5
	batchNormMomentum = 0.99 // weight of the old moving average per step (PyTorch's 0.1 for the new)
)

// BatchNorm normalises x over every axis but the last (the channels) with the batch's mean and
// variance in training, and with moving averages of them in inference, then scales and shifts
// by learned per-channel parameters (Ioffe & Szegedy, 2015).
//
// Unlike GoMLX v0.26.0's graph batch norm, whose gradient stops at the batch mean and variance,
// the gradient here flows through them, as in PyTorch and in XLA's fused op: without that term
// a WideResNet barely fits a single batch. It is written in plain graph ops, so the pure-Go
// backend runs it.
//
// Its variables use the names and scope of GoMLX's batch norm (batch_normalization/{scale,
// offset, mean, variance, avg_weight}) and it honours train.BatchNormalizationUpdatePhase, so
// batchnorm.ResetWeights and fit.PreciseBatchNorm recompute its averages.
func BatchNorm(ctx *context.Context, x *graph.Node) *graph.Node {
	g := x.Graph()
	ctx = ctx.In(batchnorm.BatchNormalizationScopeName)
	rank := x.Rank()
	channels := x.Shape().Dimensions[rank-1]
	shape := shapes.Make(x.DType(), channels)
	scale := ctx.WithInitializer(initializers.One).VariableWithShape("scale", shape).SetTrainable(true).ValueGraph(g)
	offset := ctx.WithInitializer(initializers.Zero).VariableWithShape("offset", shape).SetTrainable(true).ValueGraph(g)
	meanVar := ctx.WithInitializer(initializers.Zero).VariableWithShape("mean", shape).SetTrainable(false)
	varianceVar := ctx.WithInitializer(initializers.One).VariableWithShape("variance", shape).SetTrainable(false)
	weightVar := ctx.WithInitializer(initializers.Zero).VariableWithShape("avg_weight", shape).SetTrainable(false)

	axes := make([]int, rank-1)
	bcast := make([]int, rank) // [1, …, 1, channels]
	for i := range axes {
		axes[i] = i
		bcast[i] = 1
	}
	bcast[rank-1] = channels
	var mean, variance *graph.Node // [1, …, 1, channels]
	if ctx.IsTraining(g) || context.GetGraphParamOr(ctx, g, train.BatchNormalizationUpdatePhase, -1) >= 0 {
		mean = graph.ReduceAndKeep(x, graph.ReduceMean, axes...)
		variance = graph.ReduceAndKeep(graph.Square(graph.Sub(x, mean)), graph.ReduceMean, axes...)
		// Moving averages, debiased by the number of steps seen: min(momentum, 1 − 1/steps).
		weight := graph.OnePlus(weightVar.ValueGraph(g))
		weightVar.SetValueGraph(weight)
		m := graph.Min(graph.Scalar(g, x.DType(), batchNormMomentum), graph.OneMinus(graph.Reciprocal(weight)))
		mix := func(v *context.Variable, batch *graph.Node) {
			b := graph.StopGradient(graph.Reshape(batch, channels))
			v.SetValueGraph(graph.Add(graph.Mul(m, v.ValueGraph(g)), graph.Mul(graph.OneMinus(m), b)))
		}
		mix(meanVar, mean)
		mix(varianceVar, variance)
	} else {
		mean = graph.Reshape(meanVar.ValueGraph(g), bcast...)
		variance = graph.Reshape(varianceVar.ValueGraph(g), bcast...)
	}
	inv := graph.Div(graph.Reshape(scale, bcast...), graph.Sqrt(graph.AddScalar(variance, batchNormEpsilon)))
	return graph.Add(graph.Mul(graph.Sub(x, mean), inv), graph.Reshape(offset, bcast...))
}
