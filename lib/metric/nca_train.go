package metric

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// trainNCA learns a metric by scalable NCA (Eq. 4 of the paper, Wu et al. 2018) on the labelled
// images subset of ds (all of ds when nil): a memory bank of L2-normalised cfg.EmbeddingDim-d
// embeddings, one row per labelled image, updated with momentum cfg.Momentum (UpdateBank), and
// NCALoss at temperature cfg.Temperature (0: DefaultNCATemperature). Pretrain calls it for
// MethodNCA, with checkpoints in dir (none when nil).
func trainNCA(backend backends.Backend, ds *data.Dataset, subset []int, cfg PretrainConfig, dir *checkpoint.Dir) (*Pretrained, error) {
	if cfg.Temperature == 0 {
		cfg.Temperature = DefaultNCATemperature
	}
	return trainBank(backend, ds, subset, cfg, "NCA", dir)
}

// trainBank is the memory-bank trainer of instance discrimination (exact softmax, Eq. 2) and
// NCA (Eq. 4), mirroring TrainInstance for any backbone, with checkpoints in dir (none when
// nil).
func trainBank(backend backends.Backend, ds *data.Dataset, subset []int, cfg PretrainConfig, stage string, dir *checkpoint.Dir) (*Pretrained, error) {
	n := len(subset)
	if _, err := cfg.check(stage, n); err != nil {
		return nil, err
	}
	if cfg.Temperature <= 0 || cfg.Momentum < 0 || cfg.Momentum >= 1 || cfg.EmbeddingDim < 1 {
		return nil, fmt.Errorf("%s: temperature %g must be > 0, momentum %g in [0, 1) and embedding size %d positive",
			stage, cfg.Temperature, cfg.Momentum, cfg.EmbeddingDim)
	}
	var labels *tensors.Tensor
	if cfg.Method == MethodNCA {
		y := make([]int32, n)
		for i, j := range subset {
			y[i] = ds.Labels[j]
		}
		var err error
		if labels, err = NCALabels(y, n); err != nil {
			return nil, fmt.Errorf("%s: %w", stage, err)
		}
	}
	info, ctx, features, err := setup(cfg, ds, stage)
	if err != nil {
		return nil, err
	}
	bank := bankVariable(ctx, RandomBank(n, cfg.EmbeddingDim, cfg.Seed), cfg.Bank16)
	var labelVar *context.Variable
	if labels != nil {
		labelVar = ctx.In("memory_bank").VariableWithValue("labels", labels).SetTrainable(false)
	}
	batches := fit.NewBatches(ds, subset, cfg.BatchSize, hostAugment(cfg.Augment, cfg.DeviceAugment), cfg.Seed)
	batches.Extra = func(positions []int) (inputs, out []*tensors.Tensor) {
		idx := make([]int32, len(positions))
		for i, p := range positions {
			idx[i] = int32(p)
		}
		// The loss is added in the model; the trainer still wants a label tensor.
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(idx, len(idx))},
			[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(idx, len(idx), 1)}
	}
	modelFn := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		g := inputs[0].Graph()
		v := features(ctx, deviceAugment(ctx, inputs[0], cfg.Augment, cfg.DeviceAugment))
		idx := inputs[1]
		stored := bank.ValueGraph(g)
		m := BankValues(stored)
		var loss *graph.Node
		if labelVar != nil {
			loss = NCALoss(v, m, idx, labelVar.ValueGraph(g), cfg.Temperature)
		} else {
			loss = SoftmaxLoss(v, m, idx, cfg.Temperature)
		}
		train.AddLoss(ctx, loss)
		bank.SetValueGraph(UpdateStoredBank(stored, graph.StopGradient(v), idx, cfg.Momentum))
		return []*graph.Node{v}
	}
	return finishTraining(backend, ctx, modelFn, batches, info, features, ds, subset, cfg.TrainConfig, stage, dir)
}

// finishTraining trains a Pretrained's network (trainAndSettle), its monitor (cfg.AtCycleEnd)
// measuring the network under way.
func finishTraining(backend backends.Backend, ctx *context.Context, modelFn train.ModelFn, batches *fit.Batches,
	info PretrainInfo, features func(*context.Context, *graph.Node) *graph.Node, ds *data.Dataset, subset []int,
	cfg TrainConfig, stage string, dir *checkpoint.Dir) (*Pretrained, error) {
	var atCycleEnd func(int) error
	if cfg.AtCycleEnd != nil {
		monitored := &Pretrained{Info: info, backend: backend, ctx: ctx} // one compiled network for every cycle
		atCycleEnd = func(step int) error { return cfg.AtCycleEnd(step, monitored) }
	}
	if err := trainAndSettle(backend, ctx, modelFn, batches, features, ds, subset, cfg, stage, dir, atCycleEnd); err != nil {
		return nil, err
	}
	info.Steps = int(optimizers.GetGlobalStep(ctx)) // fewer than cfg.Steps when Seconds ran out
	return &Pretrained{Info: info, backend: backend, ctx: ctx}, nil
}

// trainAndSettle runs fit.Run by cfg's schedule with checkpoints in dir, calling atCycleEnd
// (when not nil) at every cycle's end, then recomputes the batch-norm statistics of the feature
// network on the training images (fit.PreciseBatchNorm): every pretraining's last steps.
func trainAndSettle(backend backends.Backend, ctx *context.Context, modelFn train.ModelFn, batches *fit.Batches,
	features func(*context.Context, *graph.Node) *graph.Node, ds *data.Dataset, subset []int,
	cfg TrainConfig, stage string, dir *checkpoint.Dir, atCycleEnd func(int) error) error {
	err := fit.Run(backend, ctx, modelFn, nil, batches, fit.RunConfig{
		Stage:        stage,
		Steps:        cfg.Steps,
		LearningRate: cfg.LearningRate,
		Optimizer:    cfg.Optimizer,
		Restarts:     cfg.Restarts,
		Seconds:      cfg.Seconds,
		Pause:        cfg.Pause,
		StepsPerCall: cfg.StepsPerCall,
		AtCycleEnd:   atCycleEnd,
		Checkpoints:  dir,
		Progress:     cfg.Progress,
	})
	if err != nil {
		return err
	}
	return fit.PreciseBatchNorm(backend, ctx, features, ds, subset, cfg.BatchSize, fit.PreciseBatchNormBatches,
		cfg.Progress, stage+": batch-norm statistics")
}
