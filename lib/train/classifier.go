package train

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// Config configures classifier training.
type Config struct {
	Steps        int // a fixed iteration budget, whatever the number of examples (§4.1).
	BatchSize    int
	LearningRate float64
	// Optimizer is fit.NewOptimizer's name: "adam" (default) or "sgd", the paper's (§4.1: SGD
	// from 0.01 with a cosine decay over 200K iterations; Nesterov momentum 0.9 and weight
	// decay 5e-4 as in the authors' code).
	Optimizer string `json:",omitempty"`
	// Net is the classifier's network: "conv-4" (the default when empty), "wrn-28-2" (the
	// paper's CIFAR-10 classifier), "wrn-28-10" (Table 3), "resnet-18" or "resnet-50" (Table 5).
	Net      string `json:",omitempty"`
	Channels int    // Conv-4 width.
	// Seconds, if positive, bounds the training's wall time (fit.RunConfig.Seconds);
	// Classifier.Steps says how many steps ran.
	Seconds float64 `json:",omitempty"`
	// MinWeight drops examples whose confidence α is below it: they contribute negligibly to
	// Eq. 10 (the paper uses 0.01).
	MinWeight float64
	Augment   fit.Augment
	Seed      uint64
	// CheckpointDir, if set, makes the run resumable (see fit.RunConfig.Checkpoints); it
	// holds one run, and refuses one with other settings or examples (checkpoint.Open).
	CheckpointDir string `json:"-"`
	// Pause and StepsPerCall are fit.RunConfig's: after Pause of wall time the training saves a
	// checkpoint in CheckpointDir (which Pause needs) and Fit returns a *fit.PausedError, the
	// same call again going on exactly; StepsPerCall trains that many steps per call to the
	// compiled graph. Neither changes the result, so neither is part of the run's origin.
	Pause        time.Duration `json:"-"`
	StepsPerCall int           `json:"-"`
	Progress     fit.Progress  `json:"-"`
	// Stage names the run in progress reports.
	Stage string
	// Init, if set, starts the classifier's base network from pretrained weights (finetuning,
	// Table 2's "metric pretraining + no propagation"); nil trains from scratch.
	Init *Init `json:"-"`
	// InitFrom names Init in the JSON of the configuration, which keys cached results: set by
	// the caller to identify Init (e.g. the metric stage's key). Fit requires it with Init.
	InitFrom string `json:",omitempty"`
}

// DefaultConfig returns the classifier settings: α < 0.01 dropped (§3.3), a CPU-sized budget.
func DefaultConfig() Config {
	return Config{
		Steps:        500,
		BatchSize:    64,
		LearningRate: 3e-3,
		Channels:     nets.DefaultChannels,
		MinWeight:    0.01,
		Augment:      fit.Augment{Pad: 2, Flip: true},
		Seed:         1,
		Stage:        "classifier",
	}
}

// Example is one training example: an image of the dataset, its (pseudo) label and its weight α.
type Example struct {
	Index  int
	Label  int32
	Weight float32
}

// Classifier is a trained image classifier.
type Classifier struct {
	// Steps is the number of optimisation steps it was trained for.
	Steps      int
	net        func(ctx *context.Context, images *graph.Node, numClasses int) *graph.Node
	backend    backends.Backend
	ctx        *context.Context
	numClasses int
}

// Fit trains a classifier on examples of ds with the loss of Eq. 10, from scratch or, with
// cfg.Init, from a pretrained base network. Examples with weight below cfg.MinWeight are
// dropped.
func Fit(backend backends.Backend, ds *data.Dataset, examples []Example, numClasses int, cfg Config) (*Classifier, error) {
	kept, subset, err := keepExamples(ds, examples, numClasses, cfg)
	if err != nil {
		return nil, err
	}
	batches := fit.NewBatches(ds, subset, cfg.BatchSize, cfg.Augment, cfg.Seed)
	batches.Extra = func(positions []int) (inputs, labels []*tensors.Tensor) {
		return nil, exampleLabels(kept, positions)
	}
	ctx, net, err := newClassifierContext(backend, ds, numClasses, cfg)
	if err != nil {
		return nil, err
	}
	modelFn := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		if cfg.Init != nil {
			ctx = ctx.Reuse() // the variables exist already, holding the pretrained values.
		}
		return []*graph.Node{net(ctx.In("classifier"), inputs[0], numClasses)}
	}
	lossFn := func(labels, predictions []*graph.Node) *graph.Node {
		return WeightedCrossEntropy(predictions[0], labels[0], labels[1])
	}
	origin := cfg
	origin.Seconds = 0 // a budget is not a setting of the result: a resumed run may have another
	dir, err := fit.OpenCheckpoints(cfg.CheckpointDir, cfg.Stage, struct {
		Config   Config
		Data     fit.Source
		Examples string
		Classes  int
	}{origin, fit.SourceOf(ds, nil), hashExamples(examples), numClasses})
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	rc := cfg.runConfig()
	rc.Checkpoints = dir
	if err := fit.Run(backend, ctx, modelFn, lossFn, batches, rc); err != nil {
		return nil, err
	}
	return newClassifier(backend, ctx, net, ds, subset, numClasses, cfg)
}

// runConfig is the training loop's settings of cfg, without checkpoints.
func (cfg Config) runConfig() fit.RunConfig {
	return fit.RunConfig{Stage: cfg.Stage, Steps: cfg.Steps, LearningRate: cfg.LearningRate, Optimizer: cfg.Optimizer,
		Seconds: cfg.Seconds, Pause: cfg.Pause, StepsPerCall: cfg.StepsPerCall, Progress: cfg.Progress}
}

// hashExamples returns the hex SHA-256 of the examples' indices, labels and weights.
func hashExamples(examples []Example) string {
	h := sha256.New()
	var b [16]byte
	for _, e := range examples {
		binary.LittleEndian.PutUint64(b[:], uint64(e.Index))
		binary.LittleEndian.PutUint32(b[8:], uint32(e.Label))
		binary.LittleEndian.PutUint32(b[12:], math.Float32bits(e.Weight))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keepExamples checks examples against ds and numClasses and returns those with weight at
// least cfg.MinWeight, and their dataset indices.
func keepExamples(ds *data.Dataset, examples []Example, numClasses int, cfg Config) (kept []Example, subset []int, err error) {
	kept = make([]Example, 0, len(examples))
	for _, e := range examples {
		if e.Index < 0 || e.Index >= ds.N {
			return nil, nil, fmt.Errorf("%s: example index %d out of range [0, %d)", cfg.Stage, e.Index, ds.N)
		}
		if e.Label < 0 || int(e.Label) >= numClasses {
			return nil, nil, fmt.Errorf("%s: label %d of example %d out of range [0, %d)", cfg.Stage, e.Label, e.Index, numClasses)
		}
		if float64(e.Weight) >= cfg.MinWeight {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return nil, nil, fmt.Errorf("%s: no example has weight ≥ %g", cfg.Stage, cfg.MinWeight)
	}
	subset = make([]int, len(kept))
	for i, e := range kept {
		subset[i] = e.Index
	}
	return kept, subset, nil
}

// exampleLabels returns the labels and weights of the examples at positions of kept, the
// labels of a batch for WeightedCrossEntropy.
func exampleLabels(kept []Example, positions []int) []*tensors.Tensor {
	y := make([]int32, len(positions))
	w := make([]float32, len(positions))
	for i, p := range positions {
		y[i], w[i] = kept[p].Label, kept[p].Weight
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, len(y)), tensors.FromFlatDataAndDimensions(w, len(w))}
}

// newClassifierContext returns a seeded context for the classifier network cfg.Net, and the
// network, with the pretrained backbone of cfg.Init in place when set.
func newClassifierContext(backend backends.Backend, ds *data.Dataset, numClasses int, cfg Config) (*context.Context, func(*context.Context, *graph.Node, int) *graph.Node, error) {
	ctx := context.New()
	ctx.SetParam(nets.ParamChannels, cfg.Channels)
	net, err := network(ctx, cfg.Net)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cfg.Stage, err)
	}
	fit.Seed(ctx, cfg.Seed)
	if cfg.Init != nil {
		if cfg.InitFrom == "" {
			return nil, nil, fmt.Errorf("%s: Config.Init is set but Config.InitFrom is empty; name the initialisation there, so that the configuration's JSON (a cache key) tells a finetuned run from one from scratch", cfg.Stage)
		}
		if name, want := cmp.Or(cfg.Net, nets.NetConv4), cmp.Or(cfg.Init.Net, nets.NetConv4); name != want {
			return nil, nil, fmt.Errorf("%s: the classifier is a %s, the pretrained backbone a %s; set Config.Net to %q", cfg.Stage, name, want, want)
		}
		if err := cfg.Init.apply(backend, ctx, net, numClasses, ds); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cfg.Stage, err)
		}
	}
	return ctx, net, nil
}

// newClassifier recomputes the batch-norm averages of the trained network under ctx on the
// images subset of ds (fit.PreciseBatchNorm) and returns it as a Classifier.
func newClassifier(backend backends.Backend, ctx *context.Context, net func(*context.Context, *graph.Node, int) *graph.Node,
	ds *data.Dataset, subset []int, numClasses int, cfg Config) (*Classifier, error) {
	classify := func(ctx *context.Context, images *graph.Node) *graph.Node {
		return net(ctx.In("classifier"), images, numClasses)
	}
	if err := fit.PreciseBatchNorm(backend, ctx, classify, ds, subset, cfg.BatchSize, fit.PreciseBatchNormBatches,
		cfg.Progress, cfg.Stage+": batch-norm statistics"); err != nil {
		return nil, err
	}
	return &Classifier{Steps: int(optimizers.GetGlobalStep(ctx)), net: net, backend: backend, ctx: ctx, numClasses: numClasses}, nil
}

// Predict returns the predicted class of the images idx of ds (all when nil).
func (c *Classifier) Predict(ds *data.Dataset, idx []int, progress fit.Progress) ([]int32, error) {
	logits, dim, err := fit.Predict(c.backend, c.ctx, func(ctx *context.Context, images *graph.Node) *graph.Node {
		return c.net(ctx.In("classifier"), images, c.numClasses)
	}, ds, idx, 256, progress, "evaluation")
	if err != nil {
		return nil, err
	}
	pred := make([]int32, len(logits)/dim)
	for i := range pred {
		row := logits[i*dim : (i+1)*dim]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		pred[i] = int32(best)
	}
	return pred, nil
}

// Accuracy returns the fraction of the images of ds (a test split) classified correctly.
func (c *Classifier) Accuracy(ds *data.Dataset, progress fit.Progress) (float64, error) {
	pred, err := c.Predict(ds, nil, progress)
	if err != nil {
		return 0, err
	}
	correct := 0
	for i, p := range pred {
		if p == ds.Labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(pred)), nil
}

// network sets the parameters of the named classifier network (Conv-4 when empty) on ctx and
// returns it.
func network(ctx *context.Context, name string) (func(*context.Context, *graph.Node, int) *graph.Node, error) {
	net, err := nets.LookupNetwork(cmp.Or(name, nets.NetConv4))
	if err != nil {
		return nil, err
	}
	net.SetParams(ctx)
	return func(ctx *context.Context, images *graph.Node, numClasses int) *graph.Node {
		// The stem of the metric's ResNets (metric.Pretrain), by the images' height; the other
		// networks do not read it.
		ctx.SetParam(nets.ParamResNetStem, string(nets.StemFor(images.Shape().Dimensions[1])))
		return net.Classify(ctx, images, numClasses)
	}, nil
}
