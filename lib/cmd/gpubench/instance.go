package main

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// Instance discrimination with NCE at the settings of Wu et al. 2018 (the objective of Eq. 2,
// metric.NCE), on a memory bank the size of CIFAR-10's training set. torch_bench.py has the
// same constants.
const (
	bankSize       = 50000
	nceNegatives   = 4096
	nceTemperature = 0.07
	bankMomentum   = 0.5
	bankSeed       = 1
)

// instanceTrainer returns the trainer of one instance-discrimination step, wired as
// metric.TrainInstance wires the NCE objective (memory bank, Z estimated on the first step,
// NCELoss, UpdateBank), and its inputs: the images, with distinct bank rows as their
// instances. Unlike TrainInstance, which samples the negatives on the host and sends them with
// each batch, the step samples them on the device, as torch_bench.py does: both sides then
// time the same work, without a host-to-device copy of batch×4096 indices per step.
func instanceTrainer(backend backends.Backend, ctx *context.Context, embed func(*context.Context, *graph.Node) *graph.Node,
	images *tensors.Tensor, optimizer momentumSGD, rng *rand.Rand) (trainer *train.Trainer, inputs, targets []*tensors.Tensor) {
	batch := images.Shape().Dimensions[0]
	dim := context.GetParamOr(ctx, nets.ParamEmbeddingDim, nets.DefaultEmbeddingDim)
	bank := ctx.In("memory_bank").VariableWithValue("bank", metric.RandomBank(bankSize, dim, bankSeed)).SetTrainable(false)
	zVar := ctx.In("memory_bank").VariableWithValue("nce_z", float32(0)).SetTrainable(false)
	if err := ctx.SetRNGStateFromSeed(1); err != nil {
		panic(err)
	}
	idx := make([]int32, batch)
	for i, p := range rng.Perm(bankSize)[:batch] {
		idx[i] = int32(p)
	}
	inputs = []*tensors.Tensor{images, tensors.FromFlatDataAndDimensions(idx, batch)}
	targets = []*tensors.Tensor{tensors.FromFlatDataAndDimensions(idx, batch, 1)}

	modelFn := func(ctx *context.Context, _ any, in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		v := embed(ctx.In("metric"), in[0])
		idx := in[1]
		neg := ctx.RandomIntN(g, int32(bankSize), shapes.Make(dtypes.Int32, batch, nceNegatives))
		m := bank.ValueGraph(g)
		z := zVar.ValueGraph(g)
		estimate := metric.EstimateZ(v, m, neg, nceTemperature)
		z = graph.Where(graph.GreaterThan(z, graph.ScalarZero(g, z.DType())), z, graph.StopGradient(estimate))
		zVar.SetValueGraph(z)
		train.AddLoss(ctx, metric.NCELoss(v, m, idx, neg, z, nceTemperature))
		bank.SetValueGraph(metric.UpdateBank(m, graph.StopGradient(v), idx, bankMomentum))
		return []*graph.Node{v}
	}
	return train.NewTrainer(backend, ctx, modelFn, nil, optimizer, nil, nil), inputs, targets
}
