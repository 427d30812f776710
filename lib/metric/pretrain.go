package metric

import (
	"fmt"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// InfoFile is the file in a checkpoint directory that says what was trained, so that
// LoadPretrained rebuilds the same network.
const InfoFile = "pretrain.json"

// TrainConfig is what every pretraining method shares.
type TrainConfig struct {
	Net          string // a name in nets.NetNames.
	Steps        int    // optimisation steps (Adam with cosine decay, fit.Run).
	BatchSize    int
	LearningRate float64
	// Optimizer is fit.NewOptimizer's name: "adam" (default) or "sgd" (the authors' Nesterov
	// SGD with momentum 0.9 and weight decay 5e-4; their learning rate is 0.03).
	Optimizer string `json:",omitempty"`
	// Restarts, if positive, anneals the learning rate by cosine with warm restarts over cycles
	// of Restarts, 2·Restarts, … steps (fit.RunConfig.Restarts), the authors' CIFAR-10 schedule
	// (first cycle 10 epochs); Steps is then an upper bound.
	Restarts int `json:",omitempty"`
	// Seconds, if positive, bounds the training's wall time (fit.RunConfig.Seconds): with
	// Restarts it ends at the last cycle that fits. PretrainInfo.Steps says how many ran.
	Seconds float64 `json:",omitempty"`
	// Precision is the precision of the convolutions' products in training (nets.Precision):
	// "" or "float32", or "bfloat16" (mixed precision, float32 weights and loss).
	Precision  string `json:",omitempty"`
	Channels   int    // Conv-4 width (64 in the paper's few-shot backbone).
	ResNetStem string // "imagenet" or "cifar"; "" picks by image size (setNetParams).
	Augment    fit.Augment
	// DeviceAugment (instance, NCA) draws and renders the views in the training graph, on the
	// device (fit.AugmentGraph), instead of on the host: the same kinds of views from another
	// random stream, which the checkpoint holds.
	DeviceAugment bool `json:",omitempty"`
	Seed          uint64
	// CheckpointDir, if set, makes the run resumable and receives the final weights and
	// InfoFile, so that LoadPretrained can compute features later. It holds one run: another
	// run's settings or data are refused there (see Pretrain).
	CheckpointDir string `json:"-"`
	// Pause, if positive, is fit.RunConfig.Pause: after that much wall time the run saves a
	// checkpoint in CheckpointDir (which it needs) and Pretrain returns a *fit.PausedError; the
	// same call again goes on, exactly. It changes no result, so it is not part of the run's
	// origin.
	Pause time.Duration `json:"-"`
	// StepsPerCall is fit.RunConfig.StepsPerCall: steps per call to the compiled graph, a
	// speed setting for a GPU that changes no result, so it is not part of the run's origin
	// either.
	StepsPerCall int `json:"-"`
	// AtCycleEnd, if not nil, is called at the end of every cycle of the warm-restart schedule
	// (Restarts) with the steps done and the network as it is then (batch-norm statistics: the
	// training's moving averages), before that step's checkpoint (fit.RunConfig.AtCycleEnd): a
	// monitor measures the metric there. It must not change the network.
	AtCycleEnd func(step int, f Featurer) error `json:"-"`
	Progress   fit.Progress                     `json:"-"`
}

// Featurer computes the L2-normalised features of a metric: a Pretrained, a Model, or the
// network being trained as AtCycleEnd sees it.
type Featurer interface {
	Features(ds *data.Dataset, idx []int, progress fit.Progress) ([]float32, int, error)
}

// DefaultTrainConfig returns a CPU-sized budget on Conv-4 (scale Steps and Net up for real
// runs), Adam at 3e-3 as for instance discrimination, crop-with-padding and flip.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Net: nets.NetConv4, Steps: 1000, BatchSize: 128, LearningRate: 3e-3,
		Channels: nets.DefaultChannels, Augment: fit.Augment{Pad: 4, Flip: true}, Seed: 1}
}

func (c TrainConfig) check(stage string, n int) (nets.Network, error) {
	net, err := nets.LookupNetwork(c.Net)
	if err != nil {
		return net, fmt.Errorf("%s: %w", stage, err)
	}
	if c.BatchSize < 1 || c.BatchSize > n {
		return net, fmt.Errorf("%s: batch size %d must be in [1, %d], the number of training images", stage, c.BatchSize, n)
	}
	if c.Channels < 1 {
		return net, fmt.Errorf("%s: Conv-4 width %d must be positive", stage, c.Channels)
	}
	if err := nets.CheckPrecision(c.Precision); err != nil {
		return net, fmt.Errorf("%s: %w", stage, err)
	}
	return net, nil
}

// PretrainConfig selects a method and its settings for Pretrain.
type PretrainConfig struct {
	Method string // one of Methods.
	TrainConfig
	// Temperature is τ of Eq. 2 (instance, 0.1) or Eq. 4 (NCA, 0.05); 0 means the method's default.
	Temperature float64
	// Momentum of the memory bank (instance, NCA): 0.5.
	Momentum     float64
	EmbeddingDim int // instance, NCA: 128.
	// ColorHeadChannels is the width of ColorHead (256).
	ColorHeadChannels int
	// Bank16 keeps the memory bank (instance, NCA) in 16-bit fixed point instead of float32
	// (see QuantizeBank): half the memory and checkpoint, entries within 2^-16 of float32's.
	Bank16 bool `json:",omitempty"`
}

// DefaultPretrainConfig returns the defaults of a method: the instance-discrimination settings
// of DefaultInstanceConfig, NCA's τ = 0.05, and DefaultTrainConfig's budget.
func DefaultPretrainConfig(method string) PretrainConfig {
	c := PretrainConfig{Method: method, TrainConfig: DefaultTrainConfig(), Momentum: 0.5,
		EmbeddingDim: nets.DefaultEmbeddingDim, ColorHeadChannels: DefaultColorHeadChannels}
	if o := objectives[method]; o.defaults != nil {
		o.defaults(&c)
	}
	return c
}

// PretrainInfo describes a pretrained network; it is saved as InfoFile beside the checkpoint.
type PretrainInfo struct {
	Method, Net       string
	Channels          int
	ResNetStem        string
	EmbeddingDim      int
	Classes           int // bootstrap's classifier width.
	ColorHeadChannels int
	H, W, C           int // image shape trained on.
	Data              string
	Steps, BatchSize  int
	// Seconds is the wall time of the Pretrain call that wrote the checkpoint (after a resume,
	// of the part it ran).
	Seconds float64
}

// Pretrained is a network pretrained by one of Methods; its L2-normalised features define the
// metric.
type Pretrained struct {
	Info    PretrainInfo
	backend backends.Backend
	ctx     *context.Context
	// predictor is the compiled feature network, built at the first Features call and kept
	// for the next ones (a monitor measures the network at every cycle's end).
	predictor *fit.Predictor
}

// Pretrain trains a metric on ds by cfg.Method with cfg.Net. subset selects the images: for
// instance and color the unlabelled pool (all of ds when nil), for nca and bootstrap the
// labelled examples (all of ds, with their labels, when nil).
//
// With cfg.CheckpointDir the run is resumable and leaves there the trained network (a final
// checkpoint, saved after the batch-norm statistics) and InfoFile, for LoadPretrained. A rerun
// on a directory whose training has finished loads the network instead of training; one whose
// settings or data differ from the directory's is refused (checkpoint.OriginError), before
// anything there changes.
func Pretrain(backend backends.Backend, ds *data.Dataset, subset []int, cfg PretrainConfig) (*Pretrained, error) {
	start := time.Now()
	o, err := lookupObjective(cfg.Method)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	dir, err := fit.OpenCheckpoints(cfg.CheckpointDir, "pretrain", pretrainOrigin(cfg, ds, subset))
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	if dir != nil {
		if p, err := finished(backend, dir, cfg, ds, start); p != nil || err != nil {
			return p, err
		}
	}
	if subset == nil {
		subset = allIndices(ds.N) // after the origin, which tells nil (all of ds) from a list
	}
	p, err := o.train(backend, ds, subset, cfg, dir)
	if err != nil {
		return nil, err
	}
	p.Info.Seconds = time.Since(start).Seconds()
	if dir == nil {
		return p, nil
	}
	return p, p.saveFinal(dir)
}

func infoOf(cfg PretrainConfig, ds *data.Dataset) PretrainInfo {
	return PretrainInfo{Method: cfg.Method, Net: cfg.Net, Channels: cfg.Channels, ResNetStem: cfg.ResNetStem,
		EmbeddingDim: cfg.EmbeddingDim, Classes: ds.NumClasses(), ColorHeadChannels: cfg.ColorHeadChannels,
		H: ds.H, W: ds.W, C: ds.C, Data: ds.Name, Steps: cfg.Steps, BatchSize: cfg.BatchSize}
}

// newContext returns a context with the network's parameters of info set.
func newContext(info PretrainInfo, seed uint64) (*context.Context, error) {
	net, err := nets.LookupNetwork(info.Net)
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	if err := setNetParams(ctx, net, info.Channels, info.ResNetStem, max(info.H, info.W)); err != nil {
		return nil, err
	}
	ctx.SetParam(nets.ParamEmbeddingDim, info.EmbeddingDim)
	ctx.SetParam(ParamColorHeadChannels, info.ColorHeadChannels)
	fit.Seed(ctx, seed)
	return ctx, nil
}

// setup is what every trainer starts from: the run's description, a seeded context with the
// network's parameters, and the function computing the metric's features.
func setup(cfg PretrainConfig, ds *data.Dataset, stage string) (PretrainInfo, *context.Context, func(*context.Context, *graph.Node) *graph.Node, error) {
	info := infoOf(cfg, ds)
	ctx, err := newContext(info, cfg.Seed)
	if err != nil {
		return info, nil, nil, fmt.Errorf("%s: %w", stage, err)
	}
	if cfg.Precision != "" {
		ctx.SetParam(nets.ParamPrecision, cfg.Precision)
	}
	features, err := featureFn(info)
	if err != nil {
		return info, nil, nil, fmt.Errorf("%s: %w", stage, err)
	}
	return info, ctx, features, nil
}

// featureFn is the network whose output is the metric's feature: the objective's features of
// info.Method on the backbone info.Net, under the scope "metric".
func featureFn(info PretrainInfo) (func(ctx *context.Context, images *graph.Node) *graph.Node, error) {
	net, err := nets.LookupNetwork(info.Net)
	if err != nil {
		return nil, err
	}
	o, err := lookupObjective(info.Method)
	if err != nil {
		return nil, err
	}
	return func(ctx *context.Context, images *graph.Node) *graph.Node {
		return o.features(net, ctx.In("metric"), images)
	}, nil
}

// Features returns the L2-normalised features of the images idx of ds (all when nil) as a
// row-major len(idx)×D matrix.
func (p *Pretrained) Features(ds *data.Dataset, idx []int, progress fit.Progress) ([]float32, int, error) {
	if ds.H != p.Info.H || ds.W != p.Info.W || ds.C != p.Info.C {
		return nil, 0, fmt.Errorf("features: images of %s are %d×%d×%d, the network was trained on %d×%d×%d (%s)",
			ds.Name, ds.H, ds.W, ds.C, p.Info.H, p.Info.W, p.Info.C, p.Info.Data)
	}
	if p.predictor == nil {
		fn, err := featureFn(p.Info)
		if err != nil {
			return nil, 0, err
		}
		if p.predictor, err = fit.NewPredictor(p.backend, p.ctx, fn, 256); err != nil {
			return nil, 0, fmt.Errorf("features: %w", err)
		}
	}
	return p.predictor.Predict(ds, idx, progress, "features")
}

// Backbone returns copies of the values of the base network's variables, batch-norm statistics
// included, keyed by scope and name relative to the backbone's scope: "block_0/conv/weights",
// "block_0/bn/batch_normalization/mean", … for Conv-4. Classifiers (nets.Classify,
// nets.ClassifyWRN) create their base network under ctx.In("backbone") with the same relative
// names, so a map from a Pretrained of the same Info.Net and Info.Channels initialises one:
// finetuning, the "metric pretraining + no propagation" rows of Table 2. The method's heads
// (embedding, bootstrap classifier, colour head) and the memory bank are left out.
//
// With MethodColor the base network reads one channel, the L of Lab scaled to [0, 1], so its
// first convolution's kernel is [k, k, 1, c] where an RGB classifier's is [k, k, 3, c].
func (p *Pretrained) Backbone() (values map[string]*tensors.Tensor, err error) {
	const scope = "/metric/backbone"
	values = map[string]*tensors.Tensor{}
	for v := range p.ctx.IterVariables() {
		rel, ok := strings.CutPrefix(v.Scope(), scope)
		if !ok || (rel != "" && rel[0] != '/') {
			continue
		}
		t, err := v.Value()
		if err == nil {
			t, err = t.LocalClone()
		}
		if err != nil {
			return nil, fmt.Errorf("backbone: copying %s: %w", v.ScopeAndName(), err)
		}
		values[strings.TrimPrefix(rel+"/"+v.Name(), "/")] = t
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("backbone: no variable under %s in the %s network (%s)", scope, p.Info.Net, p.Info.Method)
	}
	return values, nil
}
