package nets

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
)

// Context parameters of the ResNet. The defaults are the paper's ImageNet backbone (§4.1,
// Table 5): ResNet-50 with He et al.'s ImageNet stem.
const (
	// ParamResNetDepth is the number of weighted layers: 18 or 34 (basic blocks), 50, 101 or 152
	// (bottleneck blocks), as in He et al. (2016), Table 1.
	ParamResNetDepth = "resnet_depth"
	// DefaultResNetDepth is the paper's ImageNet backbone, ResNet-50.
	DefaultResNetDepth = 50
	// ParamResNetStem selects the layers before the first stage (a ResNetStem).
	ParamResNetStem = "resnet_stem"
	// DefaultResNetStem is He et al.'s stem, made for 224×224 images.
	DefaultResNetStem = ResNetStemImageNet
)

// ResNetStem selects the first layers of the ResNet, which set how much the image is
// downsampled before the first stage: 4× for ImageNet, none for 32×32 CIFAR images, whose
// final feature map would otherwise be 1×1.
type ResNetStem string

const (
	// ResNetStemImageNet is He et al.'s stem: a 7×7 convolution with stride 2 to 64 channels,
	// BN, ReLU and a 3×3 max-pool with stride 2 (224 → 56).
	ResNetStemImageNet ResNetStem = "imagenet"
	// ResNetStemCIFAR is the usual adaptation to 32×32 images: a 3×3 convolution with stride 1
	// to 64 channels, BN and ReLU, without pooling (32 → 32, a 4×4 final map).
	ResNetStemCIFAR ResNetStem = "cifar"
)

// StemFor returns the stem for images imageSize pixels a side: CIFAR's up to 64 pixels, which
// the ImageNet stem would shrink to a few pixels (a 32×32 image to a 1×1 final map), ImageNet's
// above.
func StemFor(imageSize int) ResNetStem {
	if imageSize <= 64 {
		return ResNetStemCIFAR
	}
	return ResNetStemImageNet
}

// resnetArch is the number of blocks in each of the four stages and the block type.
type resnetArch struct {
	blocks     [4]int
	bottleneck bool
}

// resnetArchs are the networks of He et al. (2016), Table 1, by depth.
var resnetArchs = map[int]resnetArch{
	18:  {[4]int{2, 2, 2, 2}, false},
	34:  {[4]int{3, 4, 6, 3}, false},
	50:  {[4]int{3, 4, 6, 3}, true},
	101: {[4]int{3, 4, 23, 3}, true},
	152: {[4]int{3, 8, 36, 3}, true},
}

// resnetExpansion is the ratio of a bottleneck block's output channels to its inner width.
const resnetExpansion = 4

// ResNet maps images [B, H, W, C] (float32 in [0, 1]) to features [B, 512] (ResNet-18, -34)
// or [B, 2048] (ResNet-50, -101, -152) with the residual network of He et al. (2016, "Deep
// Residual Learning for Image Recognition"): the stem (ParamResNetStem), four stages of basic
// (3×3, 3×3) or bottleneck (1×1, 3×3, 1×1 with 4× expansion) blocks at widths 64, 128, 256
// and 512, the last three starting with stride 2, then global average pooling. The depth is
// read from ParamResNetDepth, the batch norm from ParamBatchNormImpl, the convolution from
// ParamConvImpl.
//
// The layout is torchvision's, whose pretrained weights are the common reference: blocks are
// post-activation (conv → BN → ReLU, the sum with the shortcut before the last ReLU), a
// shortcut that changes width or resolution is a 1×1 convolution and BN (He et al.'s option
// B), and a bottleneck's stride is on its 3×3 convolution. Convolutions carry no trainable
// bias, so with a 1000-class head ResNet-18 has 11,689,512 trainable parameters and ResNet-50
// 25,557,032, the published counts.
func ResNet(ctx *context.Context, images *graph.Node) *graph.Node {
	return meanPool(ResNetMap(ctx, images))
}

// ClassifyResNet returns class logits [B, numClasses]: the ResNet followed by a linear layer.
func ClassifyResNet(ctx *context.Context, images *graph.Node, numClasses int) *graph.Node {
	return classifierHead(ctx, ResNet(ctx.In("backbone"), images), numClasses)
}

// EmbedResNet is Embed with the ResNet for backbone, the metric of the paper's ImageNet
// experiments (instance discrimination with ResNet-50, §4.1).
func EmbedResNet(ctx *context.Context, images *graph.Node) *graph.Node {
	return embeddingHead(ctx, ResNet(ctx.In("backbone"), images))
}

func resnetStem(ctx *context.Context, x *graph.Node) *graph.Node {
	switch stem := ResNetStem(context.GetParamOr(ctx, ParamResNetStem, string(DefaultResNetStem))); stem {
	case ResNetStemCIFAR:
		x = resnetConv(ctx.In("conv"), x, 64, 3, 1)
		return bnReLU(ctx.In("bn"), x)
	case ResNetStemImageNet:
		x = resnetConv(ctx.In("conv"), x, 64, 7, 2)
		x = bnReLU(ctx.In("bn"), x)
		return maxPool3Stride2(ctx, x)
	default:
		panic(fmt.Sprintf("ResNet: stem must be %q or %q, got %q", ResNetStemImageNet, ResNetStemCIFAR, stem))
	}
}

// basicBlock is the two-layer block of ResNet-18 and -34.
func basicBlock(ctx *context.Context, x *graph.Node, width, stride int) *graph.Node {
	y := resnetConv(ctx.In("conv_1"), x, width, 3, stride)
	y = bnReLU(ctx.In("bn_1"), y)
	y = resnetConv(ctx.In("conv_2"), y, width, 3, 1)
	y = resnetBN(ctx.In("bn_2"), y)
	return relu(graph.Add(y, resnetShortcut(ctx, x, width, stride)))
}

// bottleneckBlock is the three-layer block of ResNet-50 and deeper. He et al. put the stride on
// the first 1×1 convolution; torchvision puts it on the 3×3, which then sees every input pixel:
// the same parameters, slightly better accuracy on ImageNet.
func bottleneckBlock(ctx *context.Context, x *graph.Node, width, stride int) *graph.Node {
	out := width * resnetExpansion
	y := resnetConv(ctx.In("conv_1"), x, width, 1, 1)
	y = bnReLU(ctx.In("bn_1"), y)
	y = resnetConv(ctx.In("conv_2"), y, width, 3, stride)
	y = bnReLU(ctx.In("bn_2"), y)
	y = resnetConv(ctx.In("conv_3"), y, out, 1, 1)
	y = resnetBN(ctx.In("bn_3"), y)
	return relu(graph.Add(y, resnetShortcut(ctx, x, out, stride)))
}

// resnetShortcut is the identity where the block keeps width and resolution, otherwise a 1×1
// convolution (strided like the block) and a batch norm.
func resnetShortcut(ctx *context.Context, x *graph.Node, out, stride int) *graph.Node {
	if x.Shape().Dimensions[3] == out && stride == 1 {
		return x
	}
	y := resnetConv(ctx.In("shortcut_conv"), x, out, 1, stride)
	return resnetBN(ctx.In("shortcut_bn"), y)
}

// resnetConv is a k×k convolution (k odd) with stride 1 or 2 whose output pixel i is centred
// on input pixel stride·i, PyTorch's padding k/2 (see conv3x3). The convolution helpers add a
// bias; here it stays at its initial zero, untrained: He et al.'s convolutions have none,
// because the batch norm that follows subtracts any per-channel constant (its gradient is
// zero), and leaving it out of the trainable set keeps the parameter counts the published
// ones. The variable itself stays, so a checkpoint has Conv2D's layout.
func resnetConv(ctx *context.Context, x *graph.Node, cout, k, stride int) *graph.Node {
	var y *graph.Node
	switch {
	case k == 3:
		y = conv3x3(ctx, x, cout, stride)
	case stride == 1:
		y = Conv2D(ctx, x, cout, k)
	case stride != 2:
		panic(fmt.Sprintf("resnetConv: stride must be 1 or 2, got %d", stride))
	case k == 1:
		// A 1×1 convolution with stride 2 reads exactly the even pixels.
		y = Conv2D(ctx, Subsample2(x), cout, 1)
	case convImpl(ctx, x.Graph()) == ConvNative:
		y = convNativeStride2(ctx, x, cout, k)
	default:
		// Every pixel, then the even ones, as conv3x3 does; 4× the arithmetic of the stem's
		// convolution, the only large one, which the pure-Go backend sees on small images only.
		y = Subsample2(Conv2D(ctx, x, cout, k))
	}
	ctx.GetVariable("biases").SetTrainable(false)
	return y
}

// convNativeStride2 is the backend's k×k convolution with stride 2 and padding k/2, with the
// variables of Conv2D (as conv3x3's native branch).
func convNativeStride2(ctx *context.Context, x *graph.Node, cout, k int) *graph.Node {
	dtype := x.DType()
	cin := x.Shape().Dimensions[3]
	wVar := ctx.WithInitializer(initializers.HeFn(ctx)).VariableWithShape("weights", shapes.Make(dtype, k, k, cin, cout))
	bVar := ctx.WithInitializer(initializers.Zero).VariableWithShape("biases", shapes.Make(dtype, cout))
	p := k / 2
	y := convolve(ctx, x, wVar.ValueGraph(x.Graph()), func(x, kernel *graph.Node) *graph.Node {
		return graph.Convolve(x, kernel).StridePerAxis(2, 2).PaddingPerDim([][2]int{{p, p}, {p, p}}).Done()
	})
	return graph.Add(y, graph.BroadcastToShape(graph.ExpandLeftToRank(bVar.ValueGraph(x.Graph()), 4), y.Shape()))
}

// maxPool3Stride2 is PyTorch's MaxPool2d(3, stride=2, padding=1) for the non-negative input
// that follows the stem's ReLU, where padding with zeros equals PyTorch's −∞: [B, H, W, C] →
// [B, ⌈H/2⌉, ⌈W/2⌉, C]. With native convolutions it is the backend's windowed max; otherwise
// the 3×3 neighbourhoods are gathered as Conv2D gathers its patches, maxed, and the even pixels
// kept, because the pure-Go backend has no gradient for the windowed max (SelectAndScatter)
// and has one for Gather.
func maxPool3Stride2(ctx *context.Context, x *graph.Node) *graph.Node {
	if convImpl(ctx, x.Graph()) == ConvNative {
		return graph.MaxPool(x).Window(3).Strides(2).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
	}
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	g := x.Graph()
	rows := graph.Reshape(x, b*h*w, c)
	rows = graph.Concatenate([]*graph.Node{rows, graph.Zeros(g, shapes.Make(x.DType(), 1, c))}, 0)
	windows := graph.Gather(rows, graph.Const(g, patchIndices(b, h, w, 3)), false)
	return Subsample2(graph.ReduceMax(graph.Reshape(windows, b, h, w, 9, c), 3))
}

// resnetBN is the batch norm selected by ParamBatchNormImpl, without bnReLU's ReLU: the one
// before the sum with the shortcut.
func resnetBN(ctx *context.Context, x *graph.Node) *graph.Node {
	if BatchNormImpl(context.GetParamOr(ctx, ParamBatchNormImpl, string(BatchNormGraph))) == BatchNormBackend {
		return batchnorm.New(ctx, x, -1).UseBackendInference(true).Done()
	}
	return BatchNorm(ctx, x)
}

func relu(x *graph.Node) *graph.Node { return graph.Max(x, graph.ZerosLike(x)) }
