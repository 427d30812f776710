package repro

import (
	"fmt"
	"slices"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fewshot"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// Table 7 of the paper is semi-supervised few-shot recognition on mini-ImageNet (§4.3, the
// protocol of Ren et al. 2018): a metric learned on the training classes is transferred to
// unseen test classes, where each 5-way episode gives one or five labeled images per class and
// every unlabeled image of every test class. Without mini-ImageNet here, CIFAR-10 stands in:
// five of its classes train the metrics, the other five are the test classes; the
// mini-ImageNet reader is data.ReadMiniImageNet.

// Table 7's methods, the rows this code computes (the paper's others are prior work).
const (
	// Table7SNCA is the SNCA baseline: weighted nearest neighbours among the support set in the
	// supervised metric; no unlabeled data, no finetuning.
	Table7SNCA = "snca"
	// Table7OursSupervised propagates the support labels over the unlabeled pool in the
	// supervised metric and finetunes on support and confidence-weighted pseudo labels.
	Table7OursSupervised = "ours-supervised"
	// Table7OursUnsupervised is Table7OursSupervised in the unsupervised metric.
	Table7OursUnsupervised = "ours-unsupervised"
)

// Table7Methods are the methods in the paper's order.
var Table7Methods = []string{Table7SNCA, Table7OursSupervised, Table7OursUnsupervised}

// Table 7's metrics, the keys of Table7Config.Metrics; both train on the labeled split of the
// training classes only.
const (
	// Table7Supervised is scalable NCA (Eq. 4) with the training classes' labels, SNCA's metric.
	Table7Supervised = "supervised"
	// Table7Unsupervised is instance discrimination (Eq. 2), the labels unused.
	Table7Unsupervised = "unsupervised"
)

// How ours finetunes an episode's classifier (Table7Config.Finetune).
const (
	// Table7Head trains a linear softmax head on the metric's frozen features (fewshot.TrainHead):
	// seconds per episode on a CPU.
	Table7Head = "head"
	// Table7Net finetunes the whole network, starting from the metric's, as the paper does
	// (train.Fit): minutes per episode on a CPU, meant for a GPU.
	Table7Net = "net"
)

// table7MetricOf is the metric each method works in.
var table7MetricOf = map[string]string{
	Table7SNCA: Table7Supervised, Table7OursSupervised: Table7Supervised, Table7OursUnsupervised: Table7Unsupervised,
}

// Table7Config is every knob of Table 7; Table7ConfigFor gives the defaults of a scale.
type Table7Config struct {
	Scale string
	// Dataset is "cifar10" (the stand-in: TrainClasses and TestClasses of its training split)
	// or "mini-imagenet" (data.LoadMiniImageNet: train.csv's classes train the metrics,
	// test.csv's are the test classes; TrainClasses and TestClasses, if set, pick among them).
	Dataset string
	// ImageSize is the side mini-ImageNet's images are resized to (84); 0 for CIFAR-10.
	ImageSize int `json:",omitempty"`
	// TrainClasses and TestClasses name the classes of each side; nil means all of the split.
	TrainClasses, TestClasses []string
	// TrainPerClass and TestPerClass cap the images of each class (drawn class-balanced with
	// Seed); 0 keeps all (mini-ImageNet: 600 per class).
	TrainPerClass, TestPerClass int
	// LabeledFraction of every class's images is its labeled split, the rest its unlabeled
	// split (the paper: 0.4).
	LabeledFraction float64
	Seed            int64
	// Methods are the rows to compute (a subset of Table7Methods).
	Methods []string
	// Metrics is the pretraining of Table7Supervised (Method nca) and Table7Unsupervised
	// (Method instance), each once, on the labeled split of the training classes.
	Metrics map[string]metric.PretrainConfig
	// Ways, Shots (the columns), Queries per class and Episodes per column: the test episodes
	// (fewshot.EpisodeConfig, seeded by Seed, the same episodes for every method).
	Ways     int
	Shots    []int
	Queries  int
	Episodes int
	// NNTemperature is τ of the SNCA baseline's vote (fewshot.NearestNeighbour).
	NNTemperature float64
	// Spectral configures the propagation of ours (Eq. 6) over the pool and the support set.
	Spectral propagate.Config
	// MinWeight drops pseudo labels with a confidence α below it (the paper: 0.01).
	MinWeight float64
	// Finetune is Table7Head or Table7Net.
	Finetune string
	// Head trains Table7Head's classifier.
	Head fewshot.HeadConfig
	// Net trains Table7Net's classifier from the metric's network (its Net and Channels are the
	// metric's); its Steps are replaced by NetEpochs epochs of each episode's examples.
	Net       train.Config
	NetEpochs int
	// KNN is k of the metrics' check on the test classes (weighted kNN, temperature 0.07, the
	// unlabeled split classified by the labeled split); 0 skips it.
	KNN int
}

// Table7ConfigFor returns Table 7's settings at a scale:
//   - Smoke: CIFAR-10, 60 images of each of 5 training classes and 40 of each of 5 test
//     classes, Conv-4 with 4 channels and a few steps per metric, 5-way 1- and 5-shot with 5
//     queries, 10 episodes; seconds.
//   - Bench: CIFAR-10, all 5000 images of airplane, automobile, bird, cat, deer (2000 labeled
//     each train the metrics) and 600 of each of dog, frog, horse, ship, truck (mini-ImageNet's
//     class size: 240 labeled, 360 unlabeled); Conv-4 with 16 channels, 400 steps of 128 per
//     metric; 5-way, 15 queries, 100 episodes per column (the paper: 300); the head finetune;
//     13 minutes on a 2-core CPU (11 of them the metrics; 35 s per column of ours).
//   - Paper: mini-ImageNet at 84 × 84 (64 training and 20 test classes), Conv-4 with 64
//     channels, 100 epochs of 128 per metric, 300 episodes, the whole network finetuned per
//     episode (SGD 0.01, 30 epochs). On an H100 (synthetic files of the same sizes) the
//     metrics train at 11,000–21,000 images/s, a propagation over the 7,200-image pool takes
//     1.3 s, and a network finetune of 2 epochs over 1,825 examples took 5 s with its
//     compilation: at 30 epochs over up to 7,225 examples some 15 s per episode, about 5 hours
//     for the 1,200 episodes of ours. Finetune = Table7Head takes about half an hour.
func Table7ConfigFor(scale string) (Table7Config, error) {
	cfg := Table7Config{
		Scale:           scale,
		Dataset:         "cifar10",
		TrainClasses:    slices.Clone(data.CIFAR10Classes[:5]),
		TestClasses:     slices.Clone(data.CIFAR10Classes[5:]),
		LabeledFraction: 0.4,
		Methods:         slices.Clone(Table7Methods),
		Metrics:         map[string]metric.PretrainConfig{},
		Ways:            5,
		Shots:           []int{1, 5},
		Queries:         15,
		NNTemperature:   fewshot.DefaultNNTemperature,
		Spectral:        propagate.DefaultConfig(propagate.Spectral),
		MinWeight:       0.01,
		Finetune:        Table7Head,
		Head:            fewshot.DefaultHeadConfig(),
		Net:             train.DefaultConfig(),
		NetEpochs:       30,
		KNN:             200,
	}
	// The paper's online training (§4.3): SGD from 0.01 for 30 epochs; fit.Run decays by cosine
	// where the paper divides by 5 after 20 epochs.
	cfg.Net.Optimizer, cfg.Net.LearningRate, cfg.Net.BatchSize, cfg.Net.Augment, cfg.Net.Steps = fit.OptimizerSGD, 0.01, 128, fit.Augment{}, 0
	for m, method := range map[string]string{Table7Supervised: metric.MethodNCA, Table7Unsupervised: metric.MethodInstance} {
		pc := metric.DefaultPretrainConfig(method)
		pc.Net = nets.NetConv4
		switch scale {
		case pipeline.Smoke:
			pc.Channels, pc.Steps, pc.BatchSize, pc.EmbeddingDim = 4, 4, 32, 32
		case pipeline.Bench:
			pc.Channels, pc.Steps, pc.BatchSize = 16, 400, 128
		case pipeline.Paper:
			// 64 classes × 240 labeled images: 120 steps of 128 per epoch.
			pc.Channels, pc.Steps, pc.BatchSize = 64, 100*120, 128
		}
		cfg.Metrics[m] = pc
	}
	switch scale {
	case pipeline.Smoke:
		cfg.TrainPerClass, cfg.TestPerClass, cfg.Queries, cfg.Episodes, cfg.KNN = 60, 40, 5, 10, 10
		cfg.Spectral.Eta = 40
		cfg.Net.BatchSize, cfg.NetEpochs = 32, 1
	case pipeline.Bench:
		cfg.TestPerClass, cfg.Episodes = 600, 100
	case pipeline.Paper:
		cfg.Dataset, cfg.ImageSize, cfg.TrainClasses, cfg.TestClasses = "mini-imagenet", data.MiniImageNetSize, nil, nil
		cfg.Episodes, cfg.Finetune = 300, Table7Net
	default:
		return cfg, pipeline.UnknownScale(scale, pipeline.Smoke, pipeline.Bench, pipeline.Paper)
	}
	return cfg, nil
}

// table7Run is one call of RunTable7.
type table7Run struct {
	*pipeline.Run
	cfg         Table7Config
	train, test *pipeline.Split // the training classes' images and the test classes'
	trainSplit  *fewshot.Split
	split       *fewshot.Split // the test classes'
}

// table7Metric is a metric pretrained on the training classes and its embedding of the test
// classes.
type table7Metric struct {
	Info     Table7Pretrained
	net      *pipeline.TrainedMetric
	features *pipeline.FeaturesResult
}

// RunTable7 computes (or reads from the cache) every cell of cfg.Methods × cfg.Shots: each
// metric is pretrained once on the labeled split of the training classes and embeds every
// image of the test classes; then, over the same seeded episodes, the SNCA baseline votes
// among the support set and ours propagates the support labels over the unlabeled pool and
// finetunes on support and weighted pseudo labels (Eq. 10). onCell, if not nil, receives the
// table so far after every cell.
func RunTable7(env pipeline.Env, cfg Table7Config, onCell func(*Table7Result)) (*Table7Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	run, err := env.Open("table 7", cfg.Scale)
	if err != nil {
		return nil, err
	}
	r := &table7Run{Run: run, cfg: cfg}
	if err := r.openData(); err != nil {
		return nil, err
	}
	res := &Table7Result{Config: cfg}
	metrics := map[string]*table7Metric{}
	for _, m := range []string{Table7Supervised, Table7Unsupervised} {
		if !slices.ContainsFunc(cfg.Methods, func(method string) bool { return table7MetricOf[method] == m }) {
			continue
		}
		tm, err := r.metric(m)
		if err != nil {
			return nil, err
		}
		metrics[m] = tm
		res.Pretrained = append(res.Pretrained, tm.Info)
	}
	return res, pipeline.Grid(cfg.Shots, cfg.Methods, func(method string, shots int) (*Table7Cell, error) {
		return r.cell(method, shots, metrics[table7MetricOf[method]])
	}, func(c Table7Cell) {
		res.Cells, res.RunInfo = append(res.Cells, c), r.Info()
		pipeline.Notify(onCell, res)
	})
}

// check rejects a configuration that cannot run, before any data is read.
func (cfg Table7Config) check() error {
	if len(cfg.Methods) == 0 || len(cfg.Shots) == 0 {
		return fmt.Errorf("table 7: Table7Config needs methods and shots")
	}
	for _, m := range cfg.Methods {
		metricName, ok := table7MetricOf[m]
		if !ok {
			return fmt.Errorf("table 7: unknown method %q (want one of %q)", m, Table7Methods)
		}
		pc, ok := cfg.Metrics[metricName]
		if !ok {
			return fmt.Errorf("table 7: Table7Config.Metrics has no %q pretraining; start from Table7ConfigFor", metricName)
		}
		want := map[string]string{Table7Supervised: metric.MethodNCA, Table7Unsupervised: metric.MethodInstance}[metricName]
		if pc.Method != want {
			return fmt.Errorf("table 7: the %q pretraining has Method %q, want %q", metricName, pc.Method, want)
		}
	}
	if cfg.Finetune != Table7Head && cfg.Finetune != Table7Net {
		return fmt.Errorf("table 7: Finetune %q, want %q or %q", cfg.Finetune, Table7Head, Table7Net)
	}
	if cfg.Finetune == Table7Net && cfg.NetEpochs < 1 {
		return fmt.Errorf("table 7: NetEpochs %d; the network finetune needs at least one epoch (the paper: 30)", cfg.NetEpochs)
	}
	return nil
}

// open loads the images of the training and the test classes, caps them per class and splits
// each class into its labeled and unlabeled parts.
func (r *table7Run) openData() error {
	cfg := r.cfg
	var err error
	var trainAll, testAll *data.Dataset
	switch cfg.Dataset {
	case "mini-imagenet":
		if trainAll, err = data.LoadMiniImageNet(r.DataDir, "train", cfg.ImageSize); err != nil {
			return fmt.Errorf("table 7: %w", err)
		}
		if testAll, err = data.LoadMiniImageNet(r.DataDir, "test", cfg.ImageSize); err != nil {
			return fmt.Errorf("table 7: %w", err)
		}
	default:
		if trainAll, err = data.Load(r.DataDir, cfg.Dataset, "train"); err != nil {
			return fmt.Errorf("table 7: %w", err)
		}
		testAll = trainAll
		if len(cfg.TrainClasses) == 0 || len(cfg.TestClasses) == 0 {
			return fmt.Errorf("table 7: %s has one split of classes; name the training and the test classes (TrainClasses, TestClasses)", cfg.Dataset)
		}
		for _, c := range cfg.TrainClasses {
			if slices.Contains(cfg.TestClasses, c) {
				return fmt.Errorf("table 7: class %q is both a training and a test class; few-shot test classes must be unseen", c)
			}
		}
	}
	train, err := trainAll.ClassSubset(cfg.TrainClasses, cfg.TrainPerClass, cfg.Seed)
	if err != nil {
		return fmt.Errorf("table 7, training classes: %w", err)
	}
	test, err := testAll.ClassSubset(cfg.TestClasses, cfg.TestPerClass, cfg.Seed)
	if err != nil {
		return fmt.Errorf("table 7, test classes: %w", err)
	}
	shape := fmt.Sprintf("%dx%dx%d", train.H, train.W, train.C)
	r.train = &pipeline.Split{Dataset: train, Key: fmt.Sprintf("train=%s/%d/%s/classes=%q/per=%d/labeled=%g/seed=%d", train.Name, train.N, shape, train.Classes, cfg.TrainPerClass, cfg.LabeledFraction, cfg.Seed)}
	r.test = &pipeline.Split{Dataset: test, Key: fmt.Sprintf("test=%s/%d/%s/classes=%q/per=%d/labeled=%g/seed=%d", test.Name, test.N, shape, test.Classes, cfg.TestPerClass, cfg.LabeledFraction, cfg.Seed)}
	if r.trainSplit, err = fewshot.NewSplit(r.train.Labels, r.train.NumClasses(), cfg.LabeledFraction, cfg.Seed); err != nil {
		return fmt.Errorf("table 7, training classes: %w", err)
	}
	if r.split, err = fewshot.NewSplit(r.test.Labels, r.test.NumClasses(), cfg.LabeledFraction, cfg.Seed); err != nil {
		return fmt.Errorf("table 7, test classes: %w", err)
	}
	for _, shots := range cfg.Shots {
		if err := r.episodes(shots).Check(r.split); err != nil {
			return fmt.Errorf("table 7: %w", err)
		}
	}
	return nil
}

// episodes is the episode configuration of a column.
func (r *table7Run) episodes(shots int) fewshot.EpisodeConfig {
	c := r.cfg
	return fewshot.EpisodeConfig{Ways: c.Ways, Shots: shots, Queries: c.Queries, Episodes: c.Episodes, Seed: c.Seed}
}

// table7 applies the options to Table 7's settings.
func (o Options) table7(cfg *Table7Config) error {
	if err := o.only("table 7", "episodes", "finetune"); err != nil {
		return err
	}
	if o.Episodes < 0 {
		return fmt.Errorf("--episodes %d: want a positive count", o.Episodes)
	}
	if o.Episodes > 0 {
		cfg.Episodes = o.Episodes
	}
	if o.Finetune != "" {
		cfg.Finetune = o.Finetune
	}
	return nil
}
