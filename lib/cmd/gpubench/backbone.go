package main

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// backbone is a -net: the image size it runs at by default and its two heads, class logits for
// -task classify and the metric's L2-normalised embedding for -task instance.
type backbone struct {
	image    []int // H, W, C
	classify func(ctx *context.Context, images *graph.Node) *graph.Node
	embed    func(ctx *context.Context, images *graph.Node) *graph.Node
}

// newBackbone parses -net and sets the context parameters of its architecture: conv-4 (64
// channels, 28×28×1 by default, Fashion-MNIST's size), wrn-D-K and resnet-D (32×32×3, CIFAR's
// size; a ResNet has the CIFAR stem, nets.ResNetStemCIFAR, since the ImageNet stem would leave
// a 1×1 map of a 32×32 image).
func newBackbone(ctx *context.Context, net string) (backbone, error) {
	var depth, width int
	_, wrnErr := fmt.Sscanf(net, "wrn-%d-%d", &depth, &width)
	isWRN := wrnErr == nil && net == fmt.Sprintf("wrn-%d-%d", depth, width)
	_, resErr := fmt.Sscanf(net, "resnet-%d", &depth)
	isResNet := !isWRN && resErr == nil && net == fmt.Sprintf("resnet-%d", depth)
	switch {
	case net == "conv-4":
		return backbone{
			image:    []int{28, 28, 1},
			classify: func(ctx *context.Context, x *graph.Node) *graph.Node { return nets.Classify(ctx, x, numClasses) },
			embed:    nets.Embed,
		}, nil
	case isWRN:
		ctx.SetParam(nets.ParamWRNDepth, depth)
		ctx.SetParam(nets.ParamWRNWidth, width)
		return backbone{
			image:    []int{32, 32, 3},
			classify: func(ctx *context.Context, x *graph.Node) *graph.Node { return nets.ClassifyWRN(ctx, x, numClasses) },
			embed:    nets.EmbedWRN,
		}, nil
	case isResNet && (depth == 18 || depth == 34 || depth == 50 || depth == 101 || depth == 152):
		ctx.SetParam(nets.ParamResNetDepth, depth)
		ctx.SetParam(nets.ParamResNetStem, string(nets.ResNetStemCIFAR))
		return backbone{
			image:    []int{32, 32, 3},
			classify: func(ctx *context.Context, x *graph.Node) *graph.Node { return nets.ClassifyResNet(ctx, x, numClasses) },
			embed:    nets.EmbedResNet,
		}, nil
	}
	return backbone{}, fmt.Errorf("-net %q: want conv-4, wrn-D-K (e.g. wrn-28-2) or resnet-D (D = 18, 34, 50, 101, 152)", net)
}

// parseImage reads -image ("HxWxC", e.g. 32x32x3); "" keeps the net's default.
func parseImage(s string, def []int) ([]int, error) {
	if s == "" {
		return def, nil
	}
	var h, w, c int
	if _, err := fmt.Sscanf(s, "%dx%dx%d", &h, &w, &c); err != nil || s != fmt.Sprintf("%dx%dx%d", h, w, c) || h < 1 || w < 1 || c < 1 {
		return nil, fmt.Errorf("-image %q: want HxWxC with positive sizes, e.g. 32x32x3", s)
	}
	return []int{h, w, c}, nil
}
