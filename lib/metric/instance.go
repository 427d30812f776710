package metric

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// Objectives of instance discrimination.
const (
	// Softmax is the exact non-parametric softmax over the whole memory bank (Eq. 2); the
	// authors' CIFAR-10 code uses it (nce-k 0).
	Softmax = "softmax"
	// NCE is noise-contrastive estimation with sampled negatives (Wu et al. 2018; the authors'
	// ImageNet setting: 4096 negatives, τ = 0.07).
	NCE = "nce"
)

// InstanceConfig configures instance-discrimination pretraining.
type InstanceConfig struct {
	Objective    string  // Softmax or NCE.
	Negatives    int     // NCE negatives per example (4096 in Wu et al. 2018).
	Temperature  float64 // τ of Eq. 2: 0.1 in the authors' CIFAR code, 0.07 with NCE.
	Momentum     float64 // memory-bank momentum, 0.5 (Wu et al. 2018).
	Steps        int     // optimisation steps.
	BatchSize    int
	LearningRate float64
	Optimizer    string `json:",omitempty"` // fit.NewOptimizer's name; "" is Adam.
	// Restarts and Seconds are fit.RunConfig's: cosine with warm restarts, a time budget.
	Restarts     int     `json:",omitempty"`
	Seconds      float64 `json:",omitempty"`
	Channels     int     // Conv-4 width.
	EmbeddingDim int     // 128 in the paper.
	Augment      fit.Augment
	Seed         uint64
	// Bank16 keeps the memory bank in 16-bit fixed point (PretrainConfig.Bank16).
	Bank16 bool `json:",omitempty"`
	// Precision and DeviceAugment are TrainConfig's.
	Precision     string `json:",omitempty"`
	DeviceAugment bool   `json:",omitempty"`
	// CheckpointDir, if set, makes the run resumable (see fit.RunConfig.Checkpoints); it may
	// hold only the checkpoints of a run with the same settings and images.
	CheckpointDir string `json:"-"`
	// Pause, StepsPerCall and AtCycleEnd are PretrainConfig's.
	Pause        time.Duration                  `json:"-"`
	StepsPerCall int                            `json:"-"`
	AtCycleEnd   func(step int, m *Model) error `json:"-"`
	Progress     fit.Progress                   `json:"-"`
}

// DefaultInstanceConfig returns the settings of Wu et al. 2018 and the authors' CIFAR-10 code
// for the objective (full softmax, τ = 0.1, bank momentum 0.5, 128-d embedding), with a
// training budget sized for a CPU; scale Steps up for real runs.
func DefaultInstanceConfig() InstanceConfig {
	return InstanceConfig{
		Objective:    Softmax,
		Negatives:    4096,
		Temperature:  0.1,
		Momentum:     0.5,
		Steps:        1000,
		BatchSize:    128,
		LearningRate: 3e-3,
		Channels:     nets.DefaultChannels,
		EmbeddingDim: nets.DefaultEmbeddingDim,
		// The authors' views: RandomResizedCrop(scale 0.2–1), ColorJitter 0.4, RandomGrayscale
		// 0.2 (RGB only), flip. On
		// Fashion-MNIST (10,000 images, 400 steps, 32 channels) such views (crop 0.3–1, jitter
		// 0.4) lifted the metric's leave-one-out 20-NN accuracy from 0.64 with pad-and-flip
		// only to 0.78.
		Augment: fit.Augment{CropScale: 0.2, Flip: true, Jitter: 0.4, Grayscale: 0.2},
		Seed:    1,
	}
}

// Model is a trained metric: a network whose L2-normalised embedding defines the similarity.
type Model struct {
	backend   backends.Backend
	ctx       *context.Context
	predictor *fit.Predictor // built at the first Features call, kept for the next ones
}

// TrainInstance learns a metric by instance discrimination on the images subset of ds (all of
// ds when subset is nil).
func TrainInstance(backend backends.Backend, ds *data.Dataset, subset []int, cfg InstanceConfig) (*Model, error) {
	origin := cfg
	origin.Seconds = 0 // a resumed run may be given another budget
	dir, err := fit.OpenCheckpoints(cfg.CheckpointDir, "instance discrimination", struct {
		Config InstanceConfig
		Data   fit.Source
	}{origin, fit.SourceOf(ds, subset)})
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	return trainInstance(backend, ds, subset, cfg, dir)
}

// pretrainInstance is Pretrain's instance discrimination, with checkpoints in dir (none when
// nil): trainBank for the residual backbones, trainInstance (TrainInstance's trainer, with
// cfg's settings) for Conv-4.
func pretrainInstance(backend backends.Backend, ds *data.Dataset, subset []int, cfg PretrainConfig, dir *checkpoint.Dir) (*Pretrained, error) {
	if cfg.Net != nets.NetConv4 {
		return trainBank(backend, ds, subset, cfg, "instance discrimination", dir)
	}
	ic := DefaultInstanceConfig()
	ic.Temperature, ic.Momentum, ic.EmbeddingDim = cfg.Temperature, cfg.Momentum, cfg.EmbeddingDim
	if ic.Temperature == 0 {
		ic.Temperature = DefaultInstanceConfig().Temperature
	}
	ic.Steps, ic.BatchSize, ic.LearningRate, ic.Channels = cfg.Steps, cfg.BatchSize, cfg.LearningRate, cfg.Channels
	ic.Augment, ic.Seed, ic.Progress = cfg.Augment, cfg.Seed, cfg.Progress
	ic.Optimizer, ic.Restarts, ic.Seconds = cfg.Optimizer, cfg.Restarts, cfg.Seconds
	ic.Bank16, ic.Pause, ic.Precision, ic.DeviceAugment = cfg.Bank16, cfg.Pause, cfg.Precision, cfg.DeviceAugment
	ic.StepsPerCall = cfg.StepsPerCall
	info := infoOf(cfg, ds)
	if cfg.AtCycleEnd != nil {
		ic.AtCycleEnd = func(step int, m *Model) error {
			return cfg.AtCycleEnd(step, &Pretrained{Info: info, backend: backend, ctx: m.ctx})
		}
	}
	m, err := trainInstance(backend, ds, subset, ic, dir)
	if err != nil {
		return nil, err
	}
	p := &Pretrained{Info: info, backend: backend, ctx: m.ctx}
	p.Info.Steps = int(optimizers.GetGlobalStep(m.ctx))
	return p, nil
}

// trainInstance is TrainInstance with checkpoints in dir (none when nil).
func trainInstance(backend backends.Backend, ds *data.Dataset, subset []int, cfg InstanceConfig, dir *checkpoint.Dir) (*Model, error) {
	if subset == nil {
		subset = allIndices(ds.N)
	}
	n := len(subset)
	switch {
	case cfg.Objective != Softmax && cfg.Objective != NCE:
		return nil, fmt.Errorf("instance discrimination: unknown objective %q (want %q or %q)", cfg.Objective, Softmax, NCE)
	case cfg.BatchSize < 1 || cfg.BatchSize > n:
		return nil, fmt.Errorf("instance discrimination: batch size %d must be in [1, %d], the number of images", cfg.BatchSize, n)
	case cfg.Objective == NCE && (cfg.Negatives < 1 || cfg.Negatives >= n):
		return nil, fmt.Errorf("instance discrimination: %d NCE negatives must be in [1, %d)", cfg.Negatives, n)
	case cfg.Temperature <= 0 || cfg.Momentum < 0 || cfg.Momentum >= 1:
		return nil, fmt.Errorf("instance discrimination: temperature %g must be > 0 and momentum %g in [0, 1)", cfg.Temperature, cfg.Momentum)
	}
	if err := nets.CheckPrecision(cfg.Precision); err != nil {
		return nil, fmt.Errorf("instance discrimination: %w", err)
	}
	ctx := context.New()
	ctx.SetParam(nets.ParamChannels, cfg.Channels)
	ctx.SetParam(nets.ParamEmbeddingDim, cfg.EmbeddingDim)
	if cfg.Precision != "" {
		ctx.SetParam(nets.ParamPrecision, cfg.Precision)
	}
	fit.Seed(ctx, cfg.Seed)
	bank := bankVariable(ctx, RandomBank(n, cfg.EmbeddingDim, cfg.Seed), cfg.Bank16)
	zVar := ctx.In("memory_bank").VariableWithValue("nce_z", float32(0)).SetTrainable(false)

	batches := fit.NewBatches(ds, subset, cfg.BatchSize, hostAugment(cfg.Augment, cfg.DeviceAugment), cfg.Seed)
	batches.Extra = func(positions []int) (inputs, labels []*tensors.Tensor) {
		idx := make([]int32, len(positions))
		for i, p := range positions {
			idx[i] = int32(p)
		}
		t := tensors.FromFlatDataAndDimensions(idx, len(idx))
		inputs = []*tensors.Tensor{t}
		if cfg.Objective == NCE {
			// Seeded by the batch's number, so a resumed run draws what it would have.
			negRng := fit.BatchRand(cfg.Seed, batches.Count(), 7)
			neg := make([]int32, len(positions)*cfg.Negatives)
			for i := range neg {
				neg[i] = int32(negRng.IntN(n))
			}
			inputs = append(inputs, tensors.FromFlatDataAndDimensions(neg, len(positions), cfg.Negatives))
		}
		return inputs, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(idx, len(idx), 1)}
	}

	modelFn := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		g := inputs[0].Graph()
		v := embedConv4(ctx, deviceAugment(ctx, inputs[0], cfg.Augment, cfg.DeviceAugment))
		idx := inputs[1]
		stored := bank.ValueGraph(g)
		m := BankValues(stored)
		var loss *graph.Node
		if cfg.Objective == NCE {
			z := zVar.ValueGraph(g)
			estimate := EstimateZ(v, m, inputs[2], cfg.Temperature)
			z = graph.Where(graph.GreaterThan(z, graph.ScalarZero(g, z.DType())), z, graph.StopGradient(estimate))
			zVar.SetValueGraph(z)
			loss = NCELoss(v, m, idx, inputs[2], z, cfg.Temperature)
		} else {
			loss = SoftmaxLoss(v, m, idx, cfg.Temperature)
		}
		train.AddLoss(ctx, loss)
		bank.SetValueGraph(UpdateStoredBank(stored, graph.StopGradient(v), idx, cfg.Momentum))
		return []*graph.Node{v}
	}
	var atCycleEnd func(int) error
	if cfg.AtCycleEnd != nil {
		monitored := &Model{backend: backend, ctx: ctx} // one compiled network for every cycle
		atCycleEnd = func(step int) error { return cfg.AtCycleEnd(step, monitored) }
	}
	schedule := TrainConfig{Steps: cfg.Steps, BatchSize: cfg.BatchSize, LearningRate: cfg.LearningRate, Optimizer: cfg.Optimizer,
		Restarts: cfg.Restarts, Seconds: cfg.Seconds, Pause: cfg.Pause, StepsPerCall: cfg.StepsPerCall, Progress: cfg.Progress}
	if err := trainAndSettle(backend, ctx, modelFn, batches, embedConv4, ds, subset, schedule, "instance discrimination", dir, atCycleEnd); err != nil {
		return nil, err
	}
	return &Model{backend: backend, ctx: ctx}, nil
}

// EstimateZ is the Monte-Carlo estimate of NCE's normalising constant from the first batch:
// N times the mean of exp(vᵀm_j/τ) over the sampled negatives (Wu et al. 2018).
func EstimateZ(v, bank, neg *graph.Node, temperature float64) *graph.Node {
	b, m := neg.Shape().Dimensions[0], neg.Shape().Dimensions[1]
	negs := graph.Reshape(graph.Gather(bank, graph.Reshape(neg, b*m, 1)), b, m, -1)
	s := graph.ReduceSum(graph.Mul(graph.InsertAxes(v, 1), negs), -1)
	n := float64(bank.Shape().Dimensions[0])
	return graph.MulScalar(graph.ReduceAllMean(graph.Exp(graph.DivScalar(s, temperature))), n)
}

// Features returns the L2-normalised embeddings of the images idx of ds (all when nil) as a
// row-major len(idx)×D matrix.
func (m *Model) Features(ds *data.Dataset, idx []int, progress fit.Progress) ([]float32, int, error) {
	if m.predictor == nil {
		var err error
		if m.predictor, err = fit.NewPredictor(m.backend, m.ctx, embedConv4, 256); err != nil {
			return nil, 0, fmt.Errorf("features: %w", err)
		}
	}
	return m.predictor.Predict(ds, idx, progress, "features")
}

// embedConv4 is the metric of a Model: nets.Embed under the scope "metric".
func embedConv4(ctx *context.Context, images *graph.Node) *graph.Node {
	return nets.Embed(ctx.In("metric"), images)
}

// RandomBank returns n seeded random unit vectors of dimension d: the initial memory bank.
func RandomBank(n, d int, seed uint64) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 3))
	v := make([]float32, n*d)
	for i := 0; i < n; i++ {
		row := v[i*d : (i+1)*d]
		s := 0.0
		for j := range row {
			x := rng.NormFloat64()
			row[j] = float32(x)
			s += x * x
		}
		inv := float32(1 / math.Sqrt(s))
		for j := range row {
			row[j] *= inv
		}
	}
	return tensors.FromFlatDataAndDimensions(v, n, d)
}

// hostAugment is the augmentation Batches applies: none when the graph augments (device).
func hostAugment(a fit.Augment, device bool) fit.Augment {
	if device {
		return fit.Augment{}
	}
	return a
}

// deviceAugment returns the training views of images drawn in the graph (fit.AugmentGraph)
// when device, else images, which the host augmented.
func deviceAugment(ctx *context.Context, images *graph.Node, a fit.Augment, device bool) *graph.Node {
	if !device {
		return images
	}
	return fit.AugmentGraph(ctx.In("augment"), images, a)
}

func allIndices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
