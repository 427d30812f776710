package fit

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/killpoint"
)

// PreciseBatchNormBatches is how many batches PreciseBatchNorm averages after training: 32
// batches of 64 to 128 images give the statistics of 2,000 to 4,000 images.
const PreciseBatchNormBatches = 32

// PreciseBatchNorm replaces the moving mean and variance of every batch-norm layer under ctx by
// the plain average of the batch statistics of the final network over up to maxBatches
// batches of batchSize un-augmented images of the subset of ds (cycled when smaller), in a
// fixed order. fn is the network as Predict evaluates it.
//
// Why: the averages that batch norm collects while training lag behind the weights (momentum
// 0.99 averages over the last hundred steps), and with few images and a fast-changing network
// they describe a different network. Measured on the quickstart (Conv-4, 100 Fashion-MNIST
// labels, 300 Adam steps): accuracy on the 100 training images in inference mode was 0.25 with
// the training-time averages and 0.89 in training mode; recomputing the statistics with the
// final weights closes that gap (the "precise BN" of Wu & Johnson, 2021).
func PreciseBatchNorm(backend backends.Backend, ctx *context.Context, fn func(ctx *context.Context, images *graph.Node) *graph.Node,
	ds *data.Dataset, subset []int, batchSize, maxBatches int, progress Progress, stage string) (err error) {
	defer catch(&err, stage)
	if len(subset) == 0 || batchSize < 1 || maxBatches < 1 {
		return fmt.Errorf("%s: batch-norm statistics need images, a batch size and a batch count; got %d, %d, %d", stage, len(subset), batchSize, maxBatches)
	}
	// The moving averages are debiased by their step count: min(0.99, 1 − 1/count). Up to 100
	// batches after a reset, that makes them exact running means.
	maxBatches = min(maxBatches, 99)
	// Checkpoints load every variable into ctx at once, so every average is here to be reset;
	// one that was missing would be created, and counted, from zero as well.
	if err := batchnorm.ResetWeights(ctx); err != nil {
		return fmt.Errorf("%s: resetting batch-norm averages: %w", stage, err)
	}
	exec, err := context.NewExec(backend, ctx.Reuse(), func(ctx *context.Context, images *graph.Node) *graph.Node {
		g := images.Graph()
		ctx.SetTraining(g, false)
		// Phase 0: normalise with each batch's statistics, as in training, and fold them into
		// the averages.
		ctx.SetGraphParam(g, train.BatchNormalizationUpdatePhase, 0)
		return graph.ReduceAllSum(fn(ctx, images))
	})
	if err != nil {
		return fmt.Errorf("%s: %w", stage, err)
	}
	batches := min(maxBatches, (len(subset)+batchSize-1)/batchSize)
	idx := make([]int, batchSize)
	for b := 0; b < batches; b++ {
		for i := range idx {
			idx[i] = subset[(b*batchSize+i)%len(subset)]
		}
		x := tensors.FromFlatDataAndDimensions(ds.Float32(idx), batchSize, ds.H, ds.W, ds.C)
		if _, err := exec.Exec(x); err != nil {
			return fmt.Errorf("%s: %w", stage, err)
		}
		killpoint.Hit("batch-norm statistics: batch")
		if progress != nil {
			progress(stage, b+1, batches)
		}
	}
	return checkStatistics(ctx, stage)
}

// checkStatistics fails when a batch-norm average under ctx is NaN or ±Inf: the network's
// weights, or the images, are not finite.
func checkStatistics(ctx *context.Context, stage string) error {
	suffix := "/" + batchnorm.BatchNormalizationScopeName
	for v := range ctx.IterVariablesInScope() {
		if !strings.HasSuffix(v.Scope(), suffix) {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("%s: %w", stage, err)
		}
		if err := checkpoint.CheckFinite(v.ScopeAndName(), t); err != nil {
			return fmt.Errorf("%s: %w after the pass: the network's weights diverged in training (lower the learning rate), or the images hold non-finite values",
				stage, err)
		}
	}
	return nil
}
