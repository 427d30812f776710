package nets

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
)

// Context parameters of the WideResNet, with the paper's defaults: the CIFAR-10 experiments of
// §4.1 use WRN-28-2, Table 3 also WRN-28-10.
const (
	// ParamWRNDepth is the number of layers: 6n+4 for n blocks per group (28 gives n = 4).
	ParamWRNDepth = "wrn_depth"
	// DefaultWRNDepth is the depth of the paper's WideResNet.
	DefaultWRNDepth = 28
	// ParamWRNWidth is the widening factor k: the three groups have 16k, 32k and 64k channels.
	ParamWRNWidth = "wrn_width"
	// DefaultWRNWidth is the width of the paper's main backbone, WRN-28-2.
	DefaultWRNWidth = 2
	// ParamBatchNormImpl selects the WRN's batch normalisation (a BatchNormImpl).
	ParamBatchNormImpl = "batchnorm_impl"
)

// BatchNormImpl selects how batch normalisation is computed in training.
type BatchNormImpl string

const (
	// BatchNormGraph is BatchNorm, written in graph ops with the exact gradient, the only one
	// the pure-Go backend runs (the default).
	BatchNormGraph BatchNormImpl = "graph"
	// BatchNormBackend is the backend's fused batch-norm op with its exact gradient
	// (XLA's BatchNormTraining and BatchNormGrad), as in PyTorch. XLA only.
	BatchNormBackend BatchNormImpl = "backend"
)

// WRN maps images [B, H, W, C] (float32 in [0, 1]) to features [B, 64k] with the WideResNet of
// Zagoruyko & Komodakis (2016): a 3×3 convolution to 16 channels, three groups of n
// pre-activation basic blocks (BN → ReLU → 3×3 conv → BN → ReLU → 3×3 conv, plus the input,
// through a 1×1 convolution where the width changes) at widths 16k, 32k and 64k, the last two
// starting with stride 2, then BN → ReLU → global average pooling. Depth and k are read from
// ParamWRNDepth and ParamWRNWidth, the batch norm from ParamBatchNormImpl. Convolutions carry a bias (Conv2D's), so WRN-28-2 with a
// 10-class head has 1,469,642 parameters where the bias-free original has 1,467,610.
func WRN(ctx *context.Context, images *graph.Node) *graph.Node {
	return meanPool(WRNMap(ctx, images))
}

// ClassifyWRN returns class logits [B, numClasses]: the WideResNet followed by a linear layer.
func ClassifyWRN(ctx *context.Context, images *graph.Node, numClasses int) *graph.Node {
	return classifierHead(ctx, WRN(ctx.In("backbone"), images), numClasses)
}

// wrnBlock is one pre-activation basic block. Where the width or the resolution changes, the
// shortcut is a 1×1 convolution of the pre-activated input, as in the authors' code.
func wrnBlock(ctx *context.Context, x *graph.Node, width, stride int) *graph.Node {
	act := bnReLU(ctx.In("bn_1"), x)
	y := conv3x3(ctx.In("conv_1"), act, width, stride)
	y = bnReLU(ctx.In("bn_2"), y)
	y = conv3x3(ctx.In("conv_2"), y, width, 1)
	shortcut := x
	if x.Shape().Dimensions[3] != width || stride != 1 {
		if stride == 2 {
			// A 1×1 convolution with stride 2 reads exactly the even pixels.
			act = Subsample2(act)
		}
		shortcut = Conv2D(ctx.In("shortcut"), act, width, 1)
	}
	return graph.Add(y, shortcut)
}

func bnReLU(ctx *context.Context, x *graph.Node) *graph.Node {
	impl := BatchNormImpl(context.GetParamOr(ctx, ParamBatchNormImpl, string(BatchNormGraph)))
	if impl == BatchNormBackend {
		x = batchnorm.New(ctx, x, -1).UseBackendInference(true).Done()
	} else {
		x = BatchNorm(ctx, x)
	}
	return graph.Max(x, graph.ZerosLike(x))
}

// conv3x3 is Conv2D with k = 3 and a stride of 1 or 2. With stride 2 the output pixel i is
// centred on input pixel 2i (PyTorch's padding=1, not XLA's "same", which centres on 2i+1), so
// the two implementations agree: ConvNative passes the stride to the backend's convolution, and
// ConvPatches, which has no stride, computes every pixel and keeps the even ones (about 8% more
// arithmetic over a whole WRN-28, the price of the pure-Go backend's missing Pad gradient).
func conv3x3(ctx *context.Context, x *graph.Node, cout, stride int) *graph.Node {
	switch {
	case stride == 1:
		return Conv2D(ctx, x, cout, 3)
	case stride != 2:
		panic(fmt.Sprintf("conv3x3: stride must be 1 or 2, got %d", stride))
	case convImpl(ctx, x.Graph()) != ConvNative:
		return Subsample2(Conv2D(ctx, x, cout, 3))
	}
	// Same variables as Conv2D's, so a checkpoint serves either implementation.
	dtype := x.DType()
	cin := x.Shape().Dimensions[3]
	wVar := ctx.WithInitializer(initializers.HeFn(ctx)).VariableWithShape("weights", shapes.Make(dtype, 3, 3, cin, cout))
	bVar := ctx.WithInitializer(initializers.Zero).VariableWithShape("biases", shapes.Make(dtype, cout))
	y := convolve(ctx, x, wVar.ValueGraph(x.Graph()), func(x, kernel *graph.Node) *graph.Node {
		return graph.Convolve(x, kernel).StridePerAxis(2, 2).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
	})
	return graph.Add(y, graph.BroadcastToShape(graph.ExpandLeftToRank(bVar.ValueGraph(x.Graph()), 4), y.Shape()))
}

// Subsample2 keeps the pixels of x ([B, H, W, C]) at even rows and columns: [B, ⌈H/2⌉, ⌈W/2⌉, C].
// It is a reshape, a product with a one-hot mask and a sum, because the pure-Go backend cannot
// differentiate a strided Slice (its gradient is a Pad).
func Subsample2(x *graph.Node) *graph.Node {
	x = pairUp(x)
	g := x.Graph()
	mask := graph.ConvertDType(graph.Const(g, tensors.FromFlatDataAndDimensions([]float32{1, 0, 0, 0}, 1, 1, 2, 1, 2, 1)), x.DType())
	return graph.ReduceSum(graph.Mul(x, graph.BroadcastToShape(mask, x.Shape())), 2, 4)
}
