package nets

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// trainableParams counts the scalars in ctx's trainable variables (batch-norm running
// averages and frozen biases excluded).
func trainableParams(ctx *context.Context) int {
	n := 0
	for v := range ctx.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n
}

// resnetParamCount counts the trainable parameters of torchvision's ResNet-depth with a linear
// head by the architecture's closed form (He et al. 2016, Table 1), written independently of
// the model: an independent reference for the graph's variables.
func resnetParamCount(depth, classes int, stem ResNetStem) int {
	blocks := map[int][4]int{18: {2, 2, 2, 2}, 34: {3, 4, 6, 3}, 50: {3, 4, 6, 3}, 101: {3, 4, 23, 3}, 152: {3, 8, 36, 3}}[depth]
	bottleneck := depth >= 50
	conv := func(cin, cout, k int) int { return k * k * cin * cout } // no bias
	bn := func(c int) int { return 2 * c }                           // scale and offset
	stemK := 7
	if stem == ResNetStemCIFAR {
		stemK = 3
	}
	p := conv(3, 64, stemK) + bn(64)
	cin := 64
	for s, w := range []int{64, 128, 256, 512} {
		for b := 0; b < blocks[s]; b++ {
			out := w
			if bottleneck {
				out = 4 * w
				p += conv(cin, w, 1) + bn(w) + conv(w, w, 3) + bn(w) + conv(w, out, 1) + bn(out)
			} else {
				p += conv(cin, w, 3) + bn(w) + conv(w, w, 3) + bn(w)
			}
			if cin != out || (s > 0 && b == 0) {
				p += conv(cin, out, 1) + bn(out)
			}
			cin = out
		}
	}
	return p + cin*classes + classes
}

// The graph's trainable variables must match the closed form and the published counts:
// torchvision's resnet18 … resnet152 with their 1000-class heads (ResNet-18 ≈ 11.69M, ResNet-50
// ≈ 25.56M), and the CIFAR variants with 10 classes (the counts of the widely used
// kuangliu/pytorch-cifar). Convolution weights do not depend on the image size, so a single
// 32×32 image will do; only the graph is built: no variable is initialised and nothing runs.
func TestResNetParameterCount(t *testing.T) {
	backend := wrnBackend(t)
	cases := []struct {
		depth   int
		stem    ResNetStem
		classes int
		want    int
	}{
		{18, ResNetStemImageNet, 1000, 11_689_512},
		{34, ResNetStemImageNet, 1000, 21_797_672},
		{50, ResNetStemImageNet, 1000, 25_557_032},
		{101, ResNetStemImageNet, 1000, 44_549_160},
		{152, ResNetStemImageNet, 1000, 60_192_808},
		{18, ResNetStemCIFAR, 10, 11_173_962},
		{50, ResNetStemCIFAR, 10, 23_520_842},
	}
	for _, c := range cases {
		ctx := context.New()
		ctx.SetParam(ParamResNetDepth, c.depth)
		ctx.SetParam(ParamResNetStem, string(c.stem))
		ctx.SetParam(ParamConvImpl, string(ConvNative))
		g := graph.NewGraph(backend, "resnet_params")
		x := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 1, 32, 32, 3))
		ClassifyResNet(ctx, x, c.classes)
		g.Finalize()
		got := trainableParams(ctx)
		if closed := resnetParamCount(c.depth, c.classes, c.stem); closed != c.want {
			t.Errorf("ResNet-%d (%s stem, %d classes): closed form %d, want %d", c.depth, c.stem, c.classes, closed, c.want)
		}
		if got != c.want {
			t.Errorf("ResNet-%d (%s stem, %d classes): graph has %d trainable parameters, want %d", c.depth, c.stem, c.classes, got, c.want)
		}
	}
}

// Feature, classification and embedding outputs have the documented sizes for both stems.
// Shapes are known once the graph is built, so nothing runs.
func TestResNetShapes(t *testing.T) {
	backend := wrnBackend(t)
	for _, c := range []struct {
		depth, features int
		stem            ResNetStem
	}{
		{18, 512, ResNetStemCIFAR}, {18, 512, ResNetStemImageNet},
		{50, 2048, ResNetStemCIFAR}, {50, 2048, ResNetStemImageNet},
	} {
		ctx := context.New()
		ctx.SetParam(ParamResNetDepth, c.depth)
		ctx.SetParam(ParamResNetStem, string(c.stem))
		g := graph.NewGraph(backend, "resnet_shapes")
		x := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 2, 32, 32, 3))
		outs := []struct {
			name string
			node *graph.Node
			want []int
		}{
			{"ResNet", ResNet(ctx.In("features"), x), []int{2, c.features}},
			{"ClassifyResNet", ClassifyResNet(ctx.In("classify"), x, 10), []int{2, 10}},
			{"EmbedResNet", EmbedResNet(ctx.In("embed"), x), []int{2, DefaultEmbeddingDim}},
		}
		g.Finalize()
		for _, o := range outs {
			if d := o.node.Shape().Dimensions; len(d) != 2 || d[0] != o.want[0] || d[1] != o.want[1] {
				t.Errorf("ResNet-%d, %s stem: %s shape %v, want %v", c.depth, c.stem, o.name, d, o.want)
			}
		}
	}
}

// Both convolution implementations must give the same network: the strided 3×3, 1×1 and 7×7
// convolutions and the max-pool of the ImageNet stem included. Odd sides (9 → 5 → 3 → 2 → 1
// with the ImageNet stem, 7 → 4 → 2 → 1 with the CIFAR one) check the ceil-mode rounding.
func TestResNetPatchesMatchesNative(t *testing.T) {
	backend := wrnBackend(t)
	for _, c := range []struct {
		depth, side int
		stem        ResNetStem
	}{{18, 9, ResNetStemImageNet}, {50, 7, ResNetStemCIFAR}} {
		const b = 2
		x := tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(21, 22)), b*c.side*c.side*3), b, c.side, c.side, 3)
		ctx := context.New()
		ctx.SetParam(ParamResNetDepth, c.depth)
		ctx.SetParam(ParamResNetStem, string(c.stem))
		model := func(ctx *context.Context, x *graph.Node) *graph.Node { return ClassifyResNet(ctx, x, 5) }
		assertPatchesMatchNative(t, backend, ctx, model, x, fmt.Sprintf("ResNet-%d, %s stem", c.depth, c.stem))
	}
}

// The pure-Go backend must be able to train the ResNet, the gathered max-pool included: every
// gradient exists and is finite, and the frozen convolution biases get none.
func TestResNetGradientsOnPureGo(t *testing.T) {
	backend := wrnBackend(t)
	ctx := context.New()
	ctx.SetParam(ParamResNetDepth, 18)
	ctx.SetParam(ParamResNetStem, string(ResNetStemImageNet))
	x := tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(23, 24)), 2*9*9*3), 2, 9, 9, 3)
	grads := context.MustExecOnceN(backend, ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
		ctx.SetTraining(x.Graph(), true)
		loss := graph.ReduceAllMean(graph.Square(ClassifyResNet(ctx, x, 10)))
		return ctx.BuildTrainableVariablesGradientsGraph(loss)
	}, x)
	// Per block: two convolutions and two batch norms (scale, offset), plus a shortcut's
	// convolution and batch norm in the first block of stages 1–3; the stem; the classifier.
	const wantGrads = 8*2*(1+2) + 3*(1+2) + (1 + 2) + 2
	if len(grads) != wantGrads {
		t.Fatalf("%d gradients, want %d (convolution weights, batch-norm scales and offsets, the classifier)", len(grads), wantGrads)
	}
	assertFiniteGradients(t, grads)
}

// BenchmarkResNet18TrainStep times forward and backward of ResNet-18 with the CIFAR stem on 2
// CIFAR-sized images on the pure-Go backend.
func BenchmarkResNet18TrainStep(b *testing.B) {
	ctx := context.New()
	ctx.SetParam(ParamResNetDepth, 18)
	ctx.SetParam(ParamResNetStem, string(ResNetStemCIFAR))
	benchTrainStep(b, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node { return ClassifyResNet(ctx, x, 10) }, 2, 25)
}
