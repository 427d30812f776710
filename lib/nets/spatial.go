package nets

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The *Map functions return a backbone's last feature map [B, h, w, C] before it is flattened
// or pooled, with the same variables (scopes and names) as the backbone itself, so a checkpoint
// serves both. The colorization head of §3.1 needs the map: it predicts colours per position.

// Conv4Map is Conv4 without the final flattening: [B, ⌈H/16⌉, ⌈W/16⌉, ParamChannels].
// Conv4(ctx, x) equals Conv4Map(ctx, x) reshaped to [B, -1].
func Conv4Map(ctx *context.Context, images *graph.Node) *graph.Node {
	channels := context.GetParamOr(ctx, ParamChannels, DefaultChannels)
	x := graph.AddScalar(images, -0.5)
	for i := 0; i < 4; i++ {
		block := ctx.Inf("block_%d", i)
		x = Conv2D(block.In("conv"), x, channels, 3)
		x = BatchNorm(block.In("bn"), x)
		x = graph.Max(x, graph.ZerosLike(x))
		x = MaxPool2(x)
	}
	return x
}

// WRNMap is WRN without the global average pooling: [B, ⌈H/4⌉, ⌈W/4⌉, 64k], after the final
// BN → ReLU. WRN(ctx, x) equals the mean of WRNMap(ctx, x) over axes 1 and 2.
func WRNMap(ctx *context.Context, images *graph.Node) *graph.Node {
	depth := context.GetParamOr(ctx, ParamWRNDepth, DefaultWRNDepth)
	k := context.GetParamOr(ctx, ParamWRNWidth, DefaultWRNWidth)
	if (depth-4)%6 != 0 || depth < 10 || k < 1 {
		panic(fmt.Sprintf("WRN: depth must be 6n+4 ≥ 10 and width ≥ 1, got depth %d, width %d", depth, k))
	}
	n := (depth - 4) / 6
	x := graph.AddScalar(images, -0.5)
	x = Conv2D(ctx.In("stem"), x, 16, 3)
	for g, width := range []int{16 * k, 32 * k, 64 * k} {
		for b := 0; b < n; b++ {
			stride := 1
			if g > 0 && b == 0 {
				stride = 2
			}
			x = wrnBlock(ctx.Inf("group_%d", g).Inf("block_%d", b), x, width, stride)
		}
	}
	return bnReLU(ctx.In("final_bn"), x)
}

// ResNetMap is ResNet without the global average pooling: the output of the fourth stage,
// [B, h, w, 512] (ResNet-18, -34) or [B, h, w, 2048] (ResNet-50 and deeper).
func ResNetMap(ctx *context.Context, images *graph.Node) *graph.Node {
	depth := context.GetParamOr(ctx, ParamResNetDepth, DefaultResNetDepth)
	arch, ok := resnetArchs[depth]
	if !ok {
		panic(fmt.Sprintf("ResNet: depth must be 18, 34, 50, 101 or 152, got %d", depth))
	}
	x := graph.AddScalar(images, -0.5) // centre the input; batch norm does the rest.
	x = resnetStem(ctx.In("stem"), x)
	for s, width := range []int{64, 128, 256, 512} {
		for b := 0; b < arch.blocks[s]; b++ {
			stride := 1
			if s > 0 && b == 0 {
				stride = 2
			}
			block := ctx.Inf("stage_%d", s).Inf("block_%d", b)
			if arch.bottleneck {
				x = bottleneckBlock(block, x, width, stride)
			} else {
				x = basicBlock(block, x, width, stride)
			}
		}
	}
	out := 512
	if arch.bottleneck {
		out *= resnetExpansion
	}
	x.AssertDims(images.Shape().Dimensions[0], -1, -1, out)
	return x
}
