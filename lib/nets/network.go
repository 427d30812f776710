package nets

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Names of the backbones in Networks (§4.1: WRN-28-2 for CIFAR-10, WRN-28-10 in Table 3,
// ResNet-50 for ImageNet, Conv-4 for few-shot; ResNet-18 as a lighter residual network).
const (
	NetConv4    = "conv-4"
	NetWRN28x2  = "wrn-28-2"
	NetWRN28x10 = "wrn-28-10"
	NetResNet18 = "resnet-18"
	NetResNet50 = "resnet-50"
)

// NetNames lists the names of Networks in the order usage messages show them.
var NetNames = []string{NetWRN28x2, NetWRN28x10, NetResNet18, NetResNet50, NetConv4}

// Network is a backbone of this package with the context parameters that select it: what a
// metric or a classifier builds from a network's name.
type Network struct {
	// Params are set on the context before the graph is built (depth and width). Shared by
	// every lookup: read only.
	Params map[string]any
	// Map maps images [B, H, W, C] to the last feature map [B, h, w, C'] (Conv4Map, WRNMap,
	// ResNetMap).
	Map func(ctx *context.Context, images *graph.Node) *graph.Node
	// Pool turns Map's output into the base-network features [B, F]: flattened for Conv-4,
	// globally average-pooled for the residual networks.
	Pool func(featureMap *graph.Node) *graph.Node
}

// Networks are the backbones by name, each a constructor of its graph: a new backbone is one
// entry here and one name in NetNames.
var Networks = map[string]Network{
	NetConv4:    {Params: map[string]any{}, Map: Conv4Map, Pool: flatten},
	NetWRN28x2:  {Params: map[string]any{ParamWRNDepth: 28, ParamWRNWidth: 2}, Map: WRNMap, Pool: meanPool},
	NetWRN28x10: {Params: map[string]any{ParamWRNDepth: 28, ParamWRNWidth: 10}, Map: WRNMap, Pool: meanPool},
	NetResNet18: {Params: map[string]any{ParamResNetDepth: 18}, Map: ResNetMap, Pool: meanPool},
	NetResNet50: {Params: map[string]any{ParamResNetDepth: 50}, Map: ResNetMap, Pool: meanPool},
}

// LookupNetwork returns the backbone of a name in NetNames.
func LookupNetwork(name string) (Network, error) {
	n, ok := Networks[name]
	if !ok {
		return Network{}, fmt.Errorf("unknown network %q, want one of %v", name, NetNames)
	}
	return n, nil
}

// SetParams sets n's Params on ctx.
func (n Network) SetParams(ctx *context.Context) {
	for k, v := range n.Params {
		ctx.SetParam(k, v)
	}
}

// Features maps images [B, H, W, C] to the base-network features [B, F]: Conv4, WRN or ResNet.
func (n Network) Features(ctx *context.Context, images *graph.Node) *graph.Node {
	return n.Pool(n.Map(ctx, images))
}

// Embed is Embed with n for backbone: its features under ctx.In("backbone"), a linear layer to
// ParamEmbeddingDim under ctx.In("embedding"), and L2 normalisation.
func (n Network) Embed(ctx *context.Context, images *graph.Node) *graph.Node {
	return embeddingHead(ctx, n.Features(ctx.In("backbone"), images))
}

// Classify is Classify with n for backbone: its features under ctx.In("backbone") and a linear
// layer to numClasses logits under ctx.In("classifier").
func (n Network) Classify(ctx *context.Context, images *graph.Node, numClasses int) *graph.Node {
	return classifierHead(ctx, n.Features(ctx.In("backbone"), images), numClasses)
}

func flatten(m *graph.Node) *graph.Node  { return graph.Reshape(m, m.Shape().Dimensions[0], -1) }
func meanPool(m *graph.Node) *graph.Node { return graph.ReduceMean(m, 1, 2) }
