package metric

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// trainBootstrap trains the "bootstrapping" metric of §4 (Tables 1–2): a classifier over the
// classes of ds trained with BootstrapLoss (plain cross-entropy) on the labelled images subset
// (all of ds when nil). Its features are the L2-normalised base-network features, the layer
// before the classifier. Pretrain calls it for MethodBootstrap, with checkpoints in dir (none
// when nil).
func trainBootstrap(backend backends.Backend, ds *data.Dataset, subset []int, cfg PretrainConfig, dir *checkpoint.Dir) (*Pretrained, error) {
	const stage = "bootstrap"
	net, err := cfg.check(stage, len(subset))
	if err != nil {
		return nil, err
	}
	classes := ds.NumClasses()
	for _, i := range subset {
		if y := ds.Labels[i]; y < 0 || int(y) >= classes {
			return nil, fmt.Errorf("%s: image %d has label %d, want one in [0, %d); train on labelled images only", stage, i, y, classes)
		}
	}
	info, ctx, features, err := setup(cfg, ds, stage)
	if err != nil {
		return nil, err
	}
	batches := fit.NewBatches(ds, subset, cfg.BatchSize, cfg.Augment, cfg.Seed)
	batches.Extra = func(positions []int) (inputs, labels []*tensors.Tensor) {
		y := make([]int32, len(positions))
		for i, p := range positions {
			y[i] = ds.Labels[subset[p]]
		}
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, len(y))},
			[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, len(y), 1)}
	}
	modelFn := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		metric := ctx.In("metric")
		f := net.Features(metric.In("backbone"), inputs[0])
		logits := layers.Dense(metric.In("classifier"), f, true, classes)
		train.AddLoss(ctx, BootstrapLoss(logits, inputs[1]))
		return []*graph.Node{logits}
	}
	return finishTraining(backend, ctx, modelFn, batches, info, features, ds, subset, cfg.TrainConfig, stage, dir)
}
