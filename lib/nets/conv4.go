package nets

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
)

// Context parameters read by the models, with their defaults.
const (
	// ParamChannels is the width of every Conv-4 block (the few-shot Conv-4 uses 64).
	ParamChannels = "conv4_channels"
	// DefaultChannels is the Conv-4 width of the paper's few-shot backbone.
	DefaultChannels = 64
	// ParamEmbeddingDim is the size of the L2-normalised embedding (128 in the paper, after Wu et al. 2018).
	ParamEmbeddingDim = "embedding_dim"
	// DefaultEmbeddingDim is the embedding size used by instance discrimination.
	DefaultEmbeddingDim = 128
)

// Conv4 maps images [B, H, W, C] (float32 in [0, 1]) to features [B, F]: four blocks of
// 3×3 convolution → batch norm → ReLU → 2×2 max-pool, flattened. Variables live under ctx.
func Conv4(ctx *context.Context, images *graph.Node) *graph.Node {
	return flatten(Conv4Map(ctx, images))
}

// Embed returns the metric's embedding of images: backbone, a linear layer to
// ParamEmbeddingDim, and L2 normalisation, so a dot product is the cosine similarity (§3.1).
func Embed(ctx *context.Context, images *graph.Node) *graph.Node {
	return embeddingHead(ctx, Conv4(ctx.In("backbone"), images))
}

// EmbedWRN is Embed with the WideResNet (WRN) for backbone.
func EmbedWRN(ctx *context.Context, images *graph.Node) *graph.Node {
	return embeddingHead(ctx, WRN(ctx.In("backbone"), images))
}

// embeddingHead maps backbone features to the L2-normalised ParamEmbeddingDim embedding.
func embeddingHead(ctx *context.Context, features *graph.Node) *graph.Node {
	dim := context.GetParamOr(ctx, ParamEmbeddingDim, DefaultEmbeddingDim)
	z := layers.Dense(ctx.In("embedding"), features, true, dim)
	return graph.L2Normalize(z, -1)
}

// Classify returns class logits [B, numClasses]: the backbone followed by a linear layer.
func Classify(ctx *context.Context, images *graph.Node, numClasses int) *graph.Node {
	return classifierHead(ctx, Conv4(ctx.In("backbone"), images), numClasses)
}

// classifierHead maps backbone features [B, F] to class logits [B, numClasses] by a linear layer.
func classifierHead(ctx *context.Context, features *graph.Node, numClasses int) *graph.Node {
	logits := layers.Dense(ctx.In("classifier"), features, true, numClasses)
	logits.AssertDims(features.Shape().Dimensions[0], numClasses)
	return logits
}
