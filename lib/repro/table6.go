package repro

import (
	"fmt"
	"slices"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// Table 6 of the paper is transfer learning (§4.2): the metric is pretrained on a source
// dataset S and transferred to a different, unlabeled target U, by network finetuning or by
// spectral propagation of the target's few labels. The paper's pair is ImageNet32 → CIFAR-10;
// without ImageNet32 here, MNIST → Fashion-MNIST stands in (no ImageNet32 here).

// Table 6's metric pretrainings: the keys of Table6Config.Metrics and the Metric of its rows.
const (
	// Table6Unsupervised is instance discrimination (Eq. 2) on the source images, their labels
	// unused: the paper's "Unsupervised" rows.
	Table6Unsupervised = metric.MethodInstance
	// Table6Supervised is supervised learning on the source images and labels: the paper's
	// "Supervised" rows (softmax classification on ImageNet).
	Table6Supervised = "supervised"
)

// Table6Row is a row of Table 6: a metric pretraining on the source and a transfer method,
// Finetune (the paper's "Network finetuning") or Spectral: a Table 2 row.
type Table6Row = Table2Row

// Table6Rows are the paper's rows, in its order.
var Table6Rows = []Table6Row{
	{Metric: Table6Unsupervised, Transfer: pipeline.Finetune}, {Metric: Table6Unsupervised, Transfer: pipeline.Spectral},
	{Metric: Table6Supervised, Transfer: pipeline.Finetune}, {Metric: Table6Supervised, Transfer: pipeline.Spectral},
}

// Table6Config is every knob of Table 6; Table6ConfigFor gives the defaults of a scale.
//
// Stand-in: the paper transfers from ImageNet32 (1.28M images, 1000 classes) to CIFAR-10; here
// the source is MNIST and the target Fashion-MNIST (both 28×28 grey images, 10 classes each),
// so the networks transfer without change and the source's classes (digits) are unrelated to
// the target's (clothes), as ImageNet's are only loosely related to CIFAR-10's.
type Table6Config struct {
	Scale string
	// Source is the dataset whose training split pretrains the metrics ("mnist"); Target the
	// dataset whose training split is the unlabeled pool and whose test split measures the
	// classifiers ("fashion-mnist"). Their images must have the same shape. A name may pick
	// classes of a dataset, "dataset:class,class,…" (Table6CIFARSource and Table6CIFARTarget,
	// the second stand-in).
	Source, Target string
	// SourcePool is the number of source training images (class-balanced, seeded) the metrics
	// train on; 0 means the whole training split, as in the paper.
	SourcePool int
	// Pool is the number of target training images that form the unlabeled set U; 0 means all.
	Pool int
	// Test is the number of target test images the classifiers are measured on (and of source
	// test images the metrics' source kNN accuracy is measured on); 0 means all.
	Test int
	// Labels are the label counts of the columns, drawn class-balanced from the target pool
	// (nested, seeded, as in Tables 1 and 2).
	Labels []int
	Seed   int64
	// Rows are the rows to compute (a subset of Table6Rows, in any order).
	Rows []Table6Row
	// Metrics is the pretraining of Table6Unsupervised (Method instance) and Table6Supervised
	// (Method bootstrap: cross-entropy on every source image with its label, the paper's
	// supervised pretraining; nca is accepted too). Each trains once, on the source.
	Metrics map[string]metric.PretrainConfig
	// Spectral configures the propagation of the spectral rows (Eq. 6).
	Spectral propagate.Config
	// Classifier trains every cell's classifier on the target: on the labels and the pseudo
	// labels weighted by their confidence (Eq. 10) in the spectral rows; on the labels alone,
	// from the metric's network and with its width instead of Net and Channels, in the
	// finetuning rows.
	Classifier train.Config
	// KNN is k of the metrics' quality check (Wu et al.'s weighted kNN, temperature 0.1) on the
	// source's test split and on the target's; 0 skips it.
	KNN int
}

// Table6CIFARSource and Table6CIFARTarget are the second stand-in pair for ImageNet32 →
// CIFAR-10: the metrics learn on CIFAR-10's vehicles and animals of one half, and transfer to
// the five other classes, unseen by the metric (set Source and Target to them).
const (
	Table6CIFARSource = "cifar10:airplane,automobile,bird,cat,deer"
	Table6CIFARTarget = "cifar10:dog,frog,horse,ship,truck"
)

// Table6ConfigFor returns Table 6's settings at a scale, on the MNIST → Fashion-MNIST stand-in:
//   - Smoke: 600 MNIST images, a 400-image Fashion-MNIST pool, 200 test images, Conv-4 with 4
//     channels everywhere, a few steps per network, 20 and 40 labels; seconds.
//   - Bench: 10,000 MNIST images, a 10,000-image Fashion-MNIST pool, the whole test split,
//     Conv-4 with 32 channels everywhere (the paper keeps one network, WRN-28-2, throughout),
//     instance discrimination for 600 steps of 128 and supervised pretraining for 400, 300
//     classifier steps of 64, 50, 250 and 1000 labels; about 35 minutes on a 2-core CPU.
func Table6ConfigFor(scale string) (Table6Config, error) {
	cfg := Table6Config{
		Scale:      scale,
		Source:     "mnist",
		Target:     "fashion-mnist",
		Rows:       slices.Clone(Table6Rows),
		Metrics:    map[string]metric.PretrainConfig{},
		Spectral:   propagate.DefaultConfig(propagate.Spectral),
		Classifier: train.DefaultConfig(),
	}
	methods := map[string]string{Table6Unsupervised: metric.MethodInstance, Table6Supervised: metric.MethodBootstrap}
	for m, method := range methods {
		pc := metric.DefaultPretrainConfig(method)
		pc.Net = nets.NetConv4
		switch scale {
		case pipeline.Smoke:
			pc.Channels, pc.Steps, pc.BatchSize, pc.EmbeddingDim = 4, 4, 32, 32
		case pipeline.Bench:
			pc.Channels, pc.Steps, pc.BatchSize = 32, 600, 128
			if m == Table6Supervised {
				pc.Steps = 400 // five epochs of 10,000 digits: supervised training converges fast
			}
		}
		cfg.Metrics[m] = pc
	}
	c := &cfg.Classifier
	switch scale {
	case pipeline.Smoke:
		cfg.SourcePool, cfg.Pool, cfg.Test, cfg.Labels, cfg.KNN = 600, 400, 200, []int{20, 40}, 20
		c.Channels, c.Steps, c.BatchSize = 4, 4, 32
		cfg.Spectral.Eta = 40
	case pipeline.Bench:
		cfg.SourcePool, cfg.Pool, cfg.Test, cfg.Labels, cfg.KNN = 10000, 10000, 0, []int{50, 250, 1000}, 200
		c.Channels, c.Steps, c.BatchSize = 32, 300, 64
	default:
		return cfg, pipeline.UnknownScale(scale, pipeline.Smoke, pipeline.Bench)
	}
	return cfg, nil
}

// RunTable6 computes (or reads from the cache) every cell of cfg.Rows × cfg.Labels: each
// metric is pretrained once on the source and embeds the target pool; a spectral row
// propagates the target's labels over the pool and trains a classifier on them plus the
// confidence-weighted pseudo labels (Eq. 10); a finetuning row trains a classifier from the
// metric's network on the labels alone. Both are measured on the target's test split. onCell,
// if not nil, receives the table so far after every cell.
func RunTable6(env pipeline.Env, cfg Table6Config, onCell func(*Table6Result)) (*Table6Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	r, err := env.Open("table 6", cfg.Scale)
	if err != nil {
		return nil, err
	}
	load := func(name, part string, n int) (*pipeline.Split, error) {
		s, err := r.Load(name, part, n, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("table 6: %w", err)
		}
		return s, nil
	}
	source, err := load(cfg.Source, "train", 0)
	if err != nil {
		return nil, err
	}
	target, err := load(cfg.Target, "train", 0)
	if err != nil {
		return nil, err
	}
	if source.H != target.H || source.W != target.W || source.C != target.C {
		return nil, fmt.Errorf("table 6: source %s has %d×%d×%d images, target %s %d×%d×%d; the metric's network needs one shape (pick a source and target of the same size)",
			source.Name, source.H, source.W, source.C, target.Name, target.H, target.W, target.C)
	}
	test, err := load(cfg.Target, "test", cfg.Test)
	if err != nil {
		return nil, err
	}
	var sourceTest *pipeline.Split
	if cfg.KNN > 0 {
		if sourceTest, err = load(cfg.Source, "test", cfg.Test); err != nil {
			return nil, err
		}
	}
	sourcePool, err := pipeline.DrawPool(source, cfg.SourcePool, cfg.Seed, nil)
	if err != nil {
		return nil, fmt.Errorf("table 6: source %w", err)
	}
	pool, err := pipeline.DrawPool(target, cfg.Pool, cfg.Seed, cfg.Labels)
	if err != nil {
		return nil, fmt.Errorf("table 6: target %w", err)
	}
	t := pipeline.NewTransferRun[Table6Pretrained](r, pool, test, propagate.Config{}, cfg.Spectral)
	t.Metric = func(m string, _ int, _ bool) (*pipeline.RowMetric[Table6Pretrained], error) {
		pc := cfg.Metrics[m]
		tag := fmt.Sprintf("%s (%s on %s)", m, pc.Method, cfg.Source)
		net, err := t.Pretrain(source, sourcePool.Rows, sourcePool.Key, pc, tag)
		if err != nil {
			return nil, err
		}
		e := &Table6Pretrained{Trained: net.Trained, Metric: m, Method: pc.Method, Source: source.Name, Target: target.Name}
		f, err := t.Embed(net, target, t.Pool.Rows, t.Pool.Key, tag+", target")
		if err != nil {
			return nil, err
		}
		e.TargetN, e.D, e.EmbedSeconds, e.Cached = f.N, f.D, f.Seconds, net.Cached && f.Cached
		if cfg.KNN > 0 {
			if e.SourceKNNAccuracy, err = t.MetricKNN(net, sourcePool, sourceTest, cfg.KNN, tag+", source"); err != nil {
				return nil, err
			}
			if e.TargetKNNAccuracy, err = t.MetricKNN(net, t.Pool, t.Test, cfg.KNN, tag+", target"); err != nil {
				return nil, err
			}
		}
		return &pipeline.RowMetric[Table6Pretrained]{Net: net, Features: f, Entry: e}, nil
	}
	res := &Table6Result{Config: cfg}
	for _, row := range cfg.Rows { // every metric first, in the rows' order
		if _, err := t.MetricAt(row.Metric, 0, true); err != nil {
			return nil, err
		}
	}
	return res, pipeline.Grid(cfg.Labels, cfg.Rows, func(row Table6Row, n int) (*Table6Cell, error) {
		return t.Cell(row.Metric, row.Transfer, n, cfg.Classifier, fmt.Sprintf("%s, %d labels, %s", row.Metric, n, table6TransferName(row.Transfer)))
	}, func(c Table6Cell) {
		res.Cells, res.RunInfo, res.Pretrained = append(res.Cells, c), t.Info(), t.Pretrained()
		pipeline.Notify(onCell, res)
	})
}

// check rejects a configuration that cannot run, before any data is read.
func (cfg Table6Config) check() error {
	if err := pipeline.CheckRows("table 6", "Table6Config", cfg.Rows, Table6Rows, cfg.Labels, cfg.Metrics); err != nil {
		return err
	}
	for _, row := range cfg.Rows {
		pc := cfg.Metrics[row.Metric]
		want := []string{metric.MethodInstance}
		if row.Metric == Table6Supervised {
			want = []string{metric.MethodBootstrap, metric.MethodNCA}
		}
		if !slices.Contains(want, pc.Method) {
			return fmt.Errorf("table 6: the %q pretraining has Method %q, want one of %q", row.Metric, pc.Method, want)
		}
	}
	return nil
}

// table6 applies the options to Table 6's settings.
func (o Options) table6(cfg *Table6Config) error {
	if err := o.only("table 6", "labels", "pool", "test", "classifier-steps"); err != nil {
		return err
	}
	o.sizes(&cfg.Classifier.Steps, &cfg.Pool, &cfg.Test, &cfg.Labels)
	return nil
}
