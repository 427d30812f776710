package train

import (
	"cmp"
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// The semi-supervised baselines of Tables 3 and 4 (SSLConfig.Method).
const (
	MethodPi          = "pi"           // Π-model (Laine & Aila 2017)
	MethodMeanTeacher = "mean-teacher" // Mean Teacher (Tarvainen & Valpola 2017)
	MethodVAT         = "vat"          // virtual adversarial training (Miyato et al. 2018)
	MethodVATEM       = "vat-em"       // VAT with entropy minimisation (Miyato et al. 2018, §4.2)
)

// SSLMethods lists the methods FitSSL knows, in the order usage messages show them.
var SSLMethods = []string{MethodPi, MethodMeanTeacher, MethodVAT, MethodVATEM}

// sslMethod is what a semi-supervised method brings to FitSSL: a new method is an entry of
// sslMethods and a name in SSLMethods.
type sslMethod struct {
	// learningRate is Adam's initial rate (initial_lr in hparams.py), consistency the cost's
	// maximum weight (max_cons_multiplier) and entropyWeight the method's entropy penalty.
	learningRate, consistency, entropyWeight float64
	// cost is the consistency cost per unlabeled example, given the raw unlabeled images, the
	// view x the student saw and the student's logits on it.
	cost func(m *sslModel, ctx *context.Context, raw, x, student *graph.Node) *graph.Node
}

// sslMethods are the semi-supervised methods by name.
var sslMethods = map[string]sslMethod{
	MethodPi: {learningRate: 3e-4, consistency: 20, cost: func(m *sslModel, ctx *context.Context, raw, _, student *graph.Node) *graph.Node {
		return m.piModel(ctx, raw, student)
	}},
	MethodMeanTeacher: {learningRate: 4e-4, consistency: 8, cost: func(m *sslModel, ctx *context.Context, raw, _, student *graph.Node) *graph.Node {
		return m.meanTeacher(ctx, raw, student)
	}},
	MethodVAT:   {learningRate: 3e-3, consistency: 0.3, cost: vatCost},
	MethodVATEM: {learningRate: 3e-3, consistency: 0.3, entropyWeight: 0.06, cost: vatCost},
}

// vatCost is VAT's consistency cost (sslModel.vat) as an sslMethod's cost.
func vatCost(m *sslModel, ctx *context.Context, _, x, student *graph.Node) *graph.Node {
	return m.vat(ctx, x, student)
}

// SSLConfig configures a semi-supervised baseline. The defaults (a zero field takes its
// method's, see WithDefaults) are those of realistic-ssl-evaluation (Oliver et al. 2018;
// github.com/brain-research/realistic-ssl-evaluation, lib/hparams.py for CIFAR-10), the code
// the paper ran for Table 4 ("we run public code", §4.1).
//
// What differs from that code: the classifier is Config.Net (the paper's WRN-28-2 or a
// CPU-sized Conv-4) trained for Config.Steps with fit.Run's cosine decay rather than 500K
// steps with a ×0.2 step decay at 400K; images are in [0, 1] rather than ZCA-whitened; the
// labeled half is augmented on the host (fit.Batches) and the unlabeled half in the graph
// (view); the returned classifier's batch-norm averages are recomputed after training
// (fit.PreciseBatchNorm), as Fit does.
type SSLConfig struct {
	// Config holds the classifier's settings as for Fit. BatchSize is the size of each half of a
	// batch: every step sees BatchSize labeled and BatchSize unlabeled images (the benchmark's
	// batches of 100 are half labeled, half unlabeled; lib/data_provider.py). The labeled
	// examples' weights enter the cross-entropy as in Eq. 10, so pseudo labels (Table 4's
	// "+ Ours") can carry their confidence; MinWeight drops the low ones as in Fit.
	Config
	// Method is one of SSLMethods.
	Method string
	// Consistency is the maximum weight of the consistency cost: 20 for the Π-model, 8 for
	// Mean Teacher, 0.3 for VAT and VAT+EM (max_cons_multiplier in hparams.py).
	Consistency float64 `json:",omitempty"`
	// RampUp is the number of steps over which the consistency weight rises from e⁻⁵ to 1
	// (RampUp): 40% of Steps by default, as the benchmark's warmup_steps, 200K of its 500K.
	RampUp int `json:",omitempty"`
	// EMADecay is Mean Teacher's exponential moving average decay of the teacher's weights:
	// 0.95 (ema_factor in hparams.py).
	EMADecay float64 `json:",omitempty"`
	// VATEpsilon is the L2 norm ε of VAT's adversarial perturbation of an image: 6.0 (vat_epsilon
	// in hparams.py for CIFAR-10, on ZCA-whitened images). It depends on the data: the
	// benchmark's SVHN setting is 1.0, and Miyato et al. 2018 used 2.0 on MNIST; ours are in
	// [0, 1], so set it per dataset.
	VATEpsilon float64 `json:",omitempty"`
	// VATXi is the finite-difference step ξ of VAT's power iteration, the norm of the probe
	// x + ξ·d: 1e-3. The benchmark's vat_xi (hparams.py, as Miyato et al.'s code) is 1e-6,
	// which float32 cannot carry: spread over an image's pixels it is below the rounding of
	// x + ξ·d, and the "gradient" is rounding noise. Measured on Conv-4 (width 16) and 4
	// images of 32×32×3 in [0, 1], one iteration from the same start: the direction at
	// ξ = 1e-6 had cosines from −0.48 to 0.92 with the one at 1e-3; at 1e-5, 0.88 to 0.98; at
	// 1e-4, above 0.998; at 1e-2, above 0.989. 1e-3 is where the finite difference has
	// converged (TestVATXiConverged).
	VATXi float64 `json:",omitempty"`
	// VATIterations is the number of power iterations for the adversarial direction: 1
	// (Miyato et al. 2018, §3.3; vat_utils.py).
	VATIterations int `json:",omitempty"`
	// EntropyWeight weighs the entropy of the predictions on the unlabeled half (entropy
	// minimisation): 0.06 for VAT+EM, the entropy penalty multiplier of Oliver et al. 2018's
	// table of hyperparameters (hparams.py's default is 0, set per run), 0 for the others. It
	// is not ramped up, as in the benchmark.
	EntropyWeight float64 `json:",omitempty"`
	// InputNoise is the standard deviation of the Gaussian noise added to every training
	// image, on top of translation and flip: 0.15 (gaussian_noise in lib/networks.py for
	// CIFAR-10); negative for none. The benchmark adds it to ZCA-whitened images, ours are in
	// [0, 1], so it is relatively stronger here.
	InputNoise float64 `json:",omitempty"`
}

// DefaultSSLConfig returns the settings of a semi-supervised baseline: DefaultConfig's network
// and budget, batches of 50 labeled and 50 unlabeled images, and Adam at the benchmark's
// initial learning rate for the method (initial_lr in hparams.py: 3e-4 for the Π-model, 4e-4
// for Mean Teacher, 3e-3 for VAT). The method's other settings are left zero, meaning its
// defaults (WithDefaults).
func DefaultSSLConfig(method string) SSLConfig {
	cfg := SSLConfig{Config: DefaultConfig(), Method: method}
	cfg.BatchSize = 50
	cfg.Stage = method
	if m, ok := sslMethods[method]; ok {
		cfg.LearningRate = m.learningRate
	}
	return cfg
}

// WithDefaults returns cfg with every zero setting of its method replaced by the method's
// default (see SSLConfig), or an error naming a setting out of range or an unknown method.
func (cfg SSLConfig) WithDefaults() (SSLConfig, error) {
	method, ok := sslMethods[cfg.Method]
	if !ok {
		return cfg, fmt.Errorf("unknown semi-supervised method %q, want one of %v", cfg.Method, SSLMethods)
	}
	switch {
	case cfg.Consistency < 0, cfg.RampUp < 0, cfg.EntropyWeight < 0, cfg.VATEpsilon < 0, cfg.VATXi < 0, cfg.VATIterations < 0:
		return cfg, fmt.Errorf("%s: consistency %g, ramp-up %d, entropy weight %g, VAT ε %g, ξ %g and iterations %d must not be negative",
			cfg.Method, cfg.Consistency, cfg.RampUp, cfg.EntropyWeight, cfg.VATEpsilon, cfg.VATXi, cfg.VATIterations)
	case cfg.EMADecay < 0 || cfg.EMADecay >= 1:
		return cfg, fmt.Errorf("%s: EMA decay %g must be in [0, 1)", cfg.Method, cfg.EMADecay)
	}
	cfg.Consistency = cmp.Or(cfg.Consistency, method.consistency)
	cfg.RampUp = cmp.Or(cfg.RampUp, max(1, cfg.Steps*2/5))
	cfg.EMADecay = cmp.Or(cfg.EMADecay, 0.95)
	cfg.VATEpsilon = cmp.Or(cfg.VATEpsilon, 6)
	cfg.VATXi = cmp.Or(cfg.VATXi, 1e-3)
	cfg.VATIterations = cmp.Or(cfg.VATIterations, 1)
	cfg.EntropyWeight = cmp.Or(cfg.EntropyWeight, method.entropyWeight)
	cfg.InputNoise = cmp.Or(cfg.InputNoise, 0.15)
	return cfg, nil
}

// FitSSL trains a classifier on ds with a semi-supervised baseline of Tables 3 and 4: the
// weighted cross-entropy of Eq. 10 on the labeled examples plus, on the images unlabeled
// (indices into ds; they may include the labeled ones, as in the benchmark, whose unlabeled
// set is the whole training split), the method's consistency cost times
// Consistency·RampUp(step), and for VAT+EM the entropy term. Table 4's "+ Ours" passes the
// labeled examples together with the most confident pseudo labels, as ground truth.
//
// The cross-entropy and the unsupervised terms are means over their half of the batch; the
// benchmark divides both sums by the whole batch, which with equal halves is the same ratio.
//
// Everything runs through fit.Run, so checkpoints and resumption, the time budget, progress
// and the learning-rate schedule behave as in Fit. Every pass runs the network in training
// mode, on the statistics of its own batch (the benchmark's is_training=True); the moving
// averages that the extra passes also update are discarded: the returned classifier's are
// recomputed from the unlabeled images with the final weights (fit.PreciseBatchNorm). For Mean
// Teacher the returned classifier is the student, the network that realistic-ssl-evaluation
// evaluates (ssl_framework.py's "logits", from the raw variables; evaluate_model.py).
func FitSSL(backend backends.Backend, ds *data.Dataset, labeled []Example, unlabeled []int, numClasses int, cfg SSLConfig) (*Classifier, error) {
	r, err := newSSLRun(backend, ds, labeled, unlabeled, numClasses, cfg)
	if err != nil {
		return nil, err
	}
	origin := cfg
	origin.Seconds = 0 // a budget is not a setting of the result: a resumed run may have another
	dir, err := fit.OpenCheckpoints(cfg.CheckpointDir, r.run.Stage, struct {
		Config    SSLConfig
		Data      fit.Source
		Labeled   string
		Unlabeled string
		Classes   int
	}{origin, fit.SourceOf(ds, nil), hashExamples(labeled), fit.HashInts(unlabeled), numClasses})
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	r.run.Checkpoints = dir
	if err := fit.Run(backend, r.ctx, r.model.modelFn, r.lossFn, r.batches, r.run); err != nil {
		return nil, err
	}
	return newClassifier(backend, r.ctx, r.model.net, ds, unlabeled, numClasses, r.model.cfg.Config)
}

// sslRun is a checked semi-supervised run, ready for fit.Run.
type sslRun struct {
	ctx     *context.Context
	model   *sslModel
	lossFn  train.LossFn
	batches *fit.Batches
	run     fit.RunConfig
}

// newSSLRun checks FitSSL's arguments and prepares its run.
func newSSLRun(backend backends.Backend, ds *data.Dataset, labeled []Example, unlabeled []int, numClasses int, cfg SSLConfig) (*sslRun, error) {
	cfg.Stage = cmp.Or(cfg.Stage, cfg.Method)
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Stage, err)
	}
	switch a := cfg.Augment; {
	case cfg.BatchSize < 1:
		return nil, fmt.Errorf("%s: batch size %d must be positive", cfg.Stage, cfg.BatchSize)
	case len(unlabeled) == 0:
		return nil, fmt.Errorf("%s: no unlabeled images for the consistency cost", cfg.Stage)
	case a.CropScale != 0 || a.Jitter != 0 || a.Grayscale != 0:
		return nil, fmt.Errorf("%s: the unlabeled images are augmented in the graph, by translation and flip only; set Augment's CropScale, Jitter and Grayscale to 0", cfg.Stage)
	case a.Pad < 0 || a.Pad >= ds.H || a.Pad >= ds.W:
		return nil, fmt.Errorf("%s: translation by up to %d pixels must be in [0, %d)", cfg.Stage, a.Pad, min(ds.H, ds.W))
	}
	for _, i := range unlabeled {
		if i < 0 || i >= ds.N {
			return nil, fmt.Errorf("%s: unlabeled index %d out of range [0, %d)", cfg.Stage, i, ds.N)
		}
	}
	kept, subset, err := keepExamples(ds, labeled, numClasses, cfg.Config)
	if err != nil {
		return nil, err
	}
	ctx, net, err := newClassifierContext(backend, ds, numClasses, cfg.Config)
	if err != nil {
		return nil, err
	}
	return &sslRun{
		ctx:   ctx,
		model: &sslModel{net: net, numClasses: numClasses, cfg: cfg},
		lossFn: func(labels, predictions []*graph.Node) *graph.Node {
			return WeightedCrossEntropy(predictions[0], labels[0], labels[1])
		},
		batches: sslBatches(ds, kept, subset, unlabeled, cfg.BatchSize, cfg.Augment, cfg.Seed),
		run:     cfg.runConfig(),
	}, nil
}

// sslModel builds the training graph of a semi-supervised baseline.
type sslModel struct {
	net        func(*context.Context, *graph.Node, int) *graph.Node
	numClasses int
	cfg        SSLConfig // with its defaults
}

// modelFn is the fit.Run model: inputs are the labeled images [B, H, W, C], augmented on the
// host, and the unlabeled ones, raw. One pass of the network over both halves (so batch norm
// normalises them together, as the benchmark's mixed batches) gives the labeled logits,
// returned for the cross-entropy, and the student's unlabeled ones, which the method's cost,
// added to the loss with train.AddLoss, compares with its other passes.
func (m *sslModel) modelFn(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
	g := inputs[0].Graph()
	labeled, raw := inputs[0], inputs[1]
	student := ctx
	if m.cfg.Init != nil {
		student = ctx.Reuse() // the variables exist already, holding the pretrained values.
	}
	if m.cfg.InputNoise > 0 {
		labeled = graph.Add(labeled, graph.MulScalar(ctx.RandomNormal(g, labeled.Shape()), m.cfg.InputNoise))
	}
	x := view(ctx, raw, m.cfg.Augment.Pad, m.cfg.Augment.Flip, m.cfg.InputNoise)
	logits := m.net(student.In("classifier"), graph.Concatenate([]*graph.Node{labeled, x}, 0), m.numClasses)
	labeledLogits, unlabeledLogits := halves(logits)

	cost := sslMethods[m.cfg.Method].cost(m, ctx, raw, x, unlabeledLogits)
	// The global step before this step's increment: 0 on the first step, as the benchmark's.
	step := optimizers.GetGlobalStepVar(ctx).ValueGraph(g)
	weight := graph.MulScalar(rampUpGraph(step, m.cfg.RampUp), m.cfg.Consistency)
	train.AddLoss(ctx, graph.Mul(weight, graph.ReduceAllMean(cost)))
	if m.cfg.EntropyWeight > 0 {
		train.AddLoss(ctx, graph.MulScalar(graph.ReduceAllMean(SoftmaxEntropy(unlabeledLogits)), m.cfg.EntropyWeight))
	}
	return []*graph.Node{labeledLogits}
}

// halves splits x [2B, …] into its first and second B rows. It gathers rather than slices:
// the gradient of a slice pads, which the pure-Go backend cannot run.
func halves(x *graph.Node) (first, second *graph.Node) {
	dims := x.Shape().Dimensions
	pairs := graph.Reshape(x, append([]int{2, dims[0] / 2}, dims[1:]...)...)
	half := func(i int) *graph.Node {
		return graph.Reshape(graph.Gather(pairs, graph.Const(x.Graph(), [][]int32{{int32(i)}})), append([]int{dims[0] / 2}, dims[1:]...)...)
	}
	return half(0), half(1)
}
