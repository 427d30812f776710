package metric

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// Backbone names accepted by Pretrain (§4.1: WRN-28-2 for CIFAR-10, WRN-28-10 in Table 3,
// ResNet-50 for ImageNet, Conv-4 for few-shot; ResNet-18 as a lighter residual network).
const (
	NetConv4    = "conv-4"
	NetWRN28x2  = "wrn-28-2"
	NetWRN28x10 = "wrn-28-10"
	NetResNet18 = "resnet-18"
	NetResNet50 = "resnet-50"
)

// NetNames lists the backbone names in the order usage messages show them.
var NetNames = []string{NetWRN28x2, NetWRN28x10, NetResNet18, NetResNet50, NetConv4}

// Net is a backbone of lib/nets with the context parameters that select it.
type Net struct {
	Name string
	// Params are set on the context before the graph is built (depth and width).
	Params map[string]any
	// Features maps images [B, H, W, C] to the base-network features [B, F] (flattened for
	// Conv-4, globally average-pooled for the residual networks).
	Features func(ctx *context.Context, images *graph.Node) *graph.Node
	// Map is Features before flattening or pooling: [B, h, w, C'] (see nets.Conv4Map).
	Map func(ctx *context.Context, images *graph.Node) *graph.Node
	// Pool turns Map's output into Features' output.
	Pool func(featureMap *graph.Node) *graph.Node
}

func flatten(m *graph.Node) *graph.Node  { return graph.Reshape(m, m.Shape().Dimensions[0], -1) }
func meanPool(m *graph.Node) *graph.Node { return graph.ReduceMean(m, 1, 2) }

// LookupNet returns the backbone of a name in NetNames.
func LookupNet(name string) (Net, error) {
	switch name {
	case NetConv4:
		return Net{name, map[string]any{}, nets.Conv4, nets.Conv4Map, flatten}, nil
	case NetWRN28x2, NetWRN28x10:
		width := 2
		if name == NetWRN28x10 {
			width = 10
		}
		return Net{name, map[string]any{nets.ParamWRNDepth: 28, nets.ParamWRNWidth: width}, nets.WRN, nets.WRNMap, meanPool}, nil
	case NetResNet18, NetResNet50:
		depth := 18
		if name == NetResNet50 {
			depth = 50
		}
		return Net{name, map[string]any{nets.ParamResNetDepth: depth}, nets.ResNet, nets.ResNetMap, meanPool}, nil
	}
	return Net{}, fmt.Errorf("unknown network %q, want one of %v", name, NetNames)
}

// setNetParams sets the backbone's parameters on ctx, the Conv-4 width, and the ResNet stem:
// stem if given, else the CIFAR stem for images up to 64 pixels a side (the ImageNet stem
// would shrink a 32×32 image to a 1×1 map) and the ImageNet stem above.
func setNetParams(ctx *context.Context, net Net, channels int, stem string, imageSize int) error {
	for k, v := range net.Params {
		ctx.SetParam(k, v)
	}
	ctx.SetParam(nets.ParamChannels, channels)
	if stem == "" {
		stem = string(nets.ResNetStemImageNet)
		if imageSize <= 64 {
			stem = string(nets.ResNetStemCIFAR)
		}
	}
	if !slices.Contains([]string{string(nets.ResNetStemImageNet), string(nets.ResNetStemCIFAR)}, stem) {
		return fmt.Errorf("unknown ResNet stem %q, want %q or %q", stem, nets.ResNetStemImageNet, nets.ResNetStemCIFAR)
	}
	ctx.SetParam(nets.ParamResNetStem, stem)
	return nil
}

// embedWith is nets.Embed for any backbone: base features, a linear layer to
// ParamEmbeddingDim, L2 normalisation, with Embed's scopes ("backbone", "embedding").
func embedWith(net Net) func(ctx *context.Context, images *graph.Node) *graph.Node {
	return func(ctx *context.Context, images *graph.Node) *graph.Node {
		dim := context.GetParamOr(ctx, nets.ParamEmbeddingDim, nets.DefaultEmbeddingDim)
		z := layers.Dense(ctx.In("embedding"), net.Features(ctx.In("backbone"), images), true, dim)
		return graph.L2Normalize(z, -1)
	}
}
