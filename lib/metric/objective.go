package metric

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// Pretraining methods of §3.1 accepted by Pretrain.
const (
	MethodInstance  = "instance"  // instance discrimination (Eq. 2), unsupervised.
	MethodNCA       = "nca"       // scalable NCA (Eq. 4) on the labelled subset.
	MethodColor     = "color"     // colorization (Eq. 3), unsupervised, RGB images only.
	MethodBootstrap = "bootstrap" // cross-entropy on the labelled subset (the weak baseline).
)

// Methods lists the pretraining methods in the order usage messages show them.
var Methods = []string{MethodInstance, MethodNCA, MethodColor, MethodBootstrap}

// objective is what a pretraining method brings to Pretrain: a new method is an entry of
// objectives and a name in Methods.
type objective struct {
	// defaults turns DefaultPretrainConfig's shared settings into the method's; nil keeps them.
	defaults func(c *PretrainConfig)
	// train trains by the method on the images subset of ds (not nil), with checkpoints in dir
	// (none when nil).
	train func(backend backends.Backend, ds *data.Dataset, subset []int, cfg PretrainConfig, dir *checkpoint.Dir) (*Pretrained, error)
	// features is the network whose output is the metric's feature, [B, D] and L2-normalised,
	// on the backbone net with its variables under ctx: what training, Features and
	// LoadPretrained build.
	features func(net nets.Network, ctx *context.Context, images *graph.Node) *graph.Node
}

// objectives are the pretraining methods by name. init fills it: the trainers look their
// method up in it (featureFn), which a variable's initialiser may not refer back to.
var objectives map[string]objective

func init() {
	objectives = map[string]objective{
		MethodInstance: {defaults: func(c *PretrainConfig) {
			ic := DefaultInstanceConfig()
			c.Temperature, c.Augment = ic.Temperature, ic.Augment
		}, train: pretrainInstance, features: nets.Network.Embed},
		MethodNCA: {defaults: func(c *PretrainConfig) { c.Temperature = DefaultNCATemperature },
			train: trainNCA, features: nets.Network.Embed},
		// Colour jitter would change the targets; flips do not.
		MethodColor: {defaults: func(c *PretrainConfig) { c.Augment = fit.Augment{Flip: true} },
			train: trainColor, features: lightnessFeatures},
		MethodBootstrap: {train: trainBootstrap, features: baseFeatures},
	}
}

// lookupObjective returns the objective of a method in Methods.
func lookupObjective(method string) (objective, error) {
	o, ok := objectives[method]
	if !ok {
		return o, fmt.Errorf("unknown method %q, want one of %v", method, Methods)
	}
	return o, nil
}

// baseFeatures is bootstrap's feature: the L2-normalised base features, the penultimate layer.
func baseFeatures(net nets.Network, ctx *context.Context, images *graph.Node) *graph.Node {
	return graph.L2Normalize(net.Features(ctx.In("backbone"), images), -1)
}

// lightnessFeatures is colorization's feature: the L2-normalised pooled base features of the
// L channel.
func lightnessFeatures(net nets.Network, ctx *context.Context, images *graph.Node) *graph.Node {
	return graph.L2Normalize(net.Pool(net.Map(ctx.In("backbone"), lightness(images))), -1)
}
