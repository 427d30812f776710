package repro

import (
	"fmt"
	"slices"

	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// Table 2 of the paper is the semi-supervised result itself: the test accuracy of a classifier
// trained on the labels and the confidence-weighted pseudo labels (Eq. 10), for each metric
// and propagation method, by the number of labels on CIFAR-10.

// Table2Row is a row of Table 2 (and of Tables 5 and 6): a metric pretraining (pipeline.NoMetric
// for pipeline.Scratch) and its transfer.
type Table2Row = pipeline.Row

// Table2Rows are the paper's rows, in its order: from scratch; bootstrapping with NN and
// spectral propagation; colorization and instance discrimination each finetuned on the labels,
// then with NN and spectral propagation.
var Table2Rows = []Table2Row{
	{Metric: pipeline.NoMetric, Transfer: pipeline.Scratch},
	{Metric: metric.MethodBootstrap, Transfer: pipeline.NN},
	{Metric: metric.MethodBootstrap, Transfer: pipeline.Spectral},
	{Metric: metric.MethodColor, Transfer: pipeline.Finetune},
	{Metric: metric.MethodColor, Transfer: pipeline.NN},
	{Metric: metric.MethodColor, Transfer: pipeline.Spectral},
	{Metric: metric.MethodInstance, Transfer: pipeline.Finetune},
	{Metric: metric.MethodInstance, Transfer: pipeline.NN},
	{Metric: metric.MethodInstance, Transfer: pipeline.Spectral},
}

// Table2Config is every knob of Table 2; Table2ConfigFor gives the defaults of a scale.
type Table2Config struct {
	Scale   string
	Dataset string // "cifar10" (the JPEG copy here).
	// Pool is the number of training images (class-balanced, seeded) that form the unlabeled
	// set and the metrics' training set; 0 means the whole training split, as in the paper.
	Pool int
	// Test is the number of test images the classifiers are measured on; 0 means all.
	Test int
	// Labels are the label counts of the columns, drawn as in Table 1 (nested, seeded).
	Labels []int
	Seed   int64
	// Rows are the rows to compute (a subset of Table2Rows, in any order).
	Rows []Table2Row
	// Metrics is the pretraining of each metric, as in Table1Config (bootstrapping: one network
	// per label count, on those labels).
	Metrics map[string]metric.PretrainConfig
	// NN and Spectral configure the two propagation methods (Eq. 5 and Eq. 6).
	NN, Spectral propagate.Config
	// Classifier trains every cell's classifier on the labels and the pseudo labels weighted by
	// their confidence (Eq. 10); a finetuning row's classifier takes the metric's network and
	// width instead of Classifier.Net and Channels, and starts from its weights. With Classifier.Seconds set, each cell's step count is sized
	// from the step rate the metric's pretraining measured (see RunTable2).
	Classifier train.Config
	// Seconds, if positive, bounds the wall time of the whole run (a device budget): each
	// classifier gets an equal share of what is left when it starts, less 25 s for its
	// batch-norm statistics and evaluation and 15 s per propagation still to run, and never
	// more than Classifier.Seconds when that is set. The metrics keep their own budgets.
	Seconds float64 `json:",omitempty"`
	// Released maps a metric to a released metric's folder, as Table1Config.Released: its
	// features serve the metric's propagation rows; its finetuning row keeps the metric trained
	// here (finetuning starts from the network, which the bench scale trains small).
	Released map[string]string `json:",omitempty"`
	// KNN is k of the metric-quality check (Wu et al.'s weighted kNN on the test split, with
	// temperature 0.1 as the authors' monitor); 0 skips it.
	KNN int
}

// Table2ConfigFor returns Table 2's settings at a scale:
//   - Smoke: 1000 CIFAR-10 training images, 200 test images, Conv-4 with 4 channels, a few
//     steps per network, 50 and 100 labels; seconds.
//   - Bench: Table 1's bench metrics on a 20,000-image pool, Conv-4 classifiers with 32
//     channels for 300 steps of 64, 250 and 4000 labels; about an hour on a 2-core CPU.
//   - Paper: the paper's setting on a GPU: all 50,000 training images and the 10,000 test
//     images, WRN-28-2 everywhere; metrics with the authors' CIFAR-10 recipe (SGD 0.03,
//     Nesterov, batch 128, cosine with warm restarts from a 10-epoch cycle, up to 1270
//     epochs); classifiers with SGD 0.01, batch 128, cosine over 200K iterations, crop with 4
//     pixels of padding and flip (§4.1). Set the metrics' and the classifier's Seconds to fit
//     a device budget.
func Table2ConfigFor(scale string) (Table2Config, error) {
	cfg := Table2Config{
		Scale:      scale,
		Dataset:    "cifar10",
		Rows:       slices.Clone(Table2Rows),
		Metrics:    map[string]metric.PretrainConfig{},
		NN:         propagate.DefaultConfig(propagate.NearestNeighbour),
		Spectral:   propagate.DefaultConfig(propagate.Spectral),
		Classifier: train.DefaultConfig(),
		KNN:        200,
	}
	switch scale {
	case pipeline.Smoke, pipeline.Bench:
		t1, err := Table1ConfigFor(scale)
		if err != nil {
			return cfg, err
		}
		cfg.Pool, cfg.Metrics, cfg.Spectral, cfg.Released = t1.Pool, t1.Metrics, t1.Spectral, t1.Released
		if scale == pipeline.Smoke {
			cfg.Test, cfg.Labels = 200, []int{50, 100}
			cfg.Classifier.Channels, cfg.Classifier.Steps, cfg.Classifier.BatchSize = 4, 4, 32
			cfg.KNN = 20
		} else {
			cfg.Labels = []int{250, 4000}
			cfg.Classifier.Channels, cfg.Classifier.Steps, cfg.Classifier.BatchSize = 32, 300, 64
		}
	case pipeline.Paper:
		cfg.Labels = slices.Clone(Table1PaperLabels)
		const epoch = 50000 / 128 // steps of 128
		for _, m := range Table1Metrics {
			pc := metric.DefaultPretrainConfig(m)
			pc.Net, pc.BatchSize, pc.Optimizer, pc.LearningRate = nets.NetWRN28x2, 128, fit.OptimizerSGD, 0.03
			pc.Restarts, pc.Steps = 10*epoch, 1270*epoch
			cfg.Metrics[m] = pc
		}
		c := &cfg.Classifier
		c.Net, c.Optimizer, c.LearningRate, c.BatchSize, c.Steps = nets.NetWRN28x2, fit.OptimizerSGD, 0.01, 128, 200000
		c.Augment = fit.Augment{Pad: 4, Flip: true}
	default:
		return cfg, pipeline.UnknownScale(scale, pipeline.Smoke, pipeline.Bench, pipeline.Paper)
	}
	return cfg, nil
}

// trainedRowMetric is PoolMetric's metric with its entry in Table 2's list of metrics and,
// with knn > 0, its weighted kNN accuracy on the test split.
func trainedRowMetric(t *pipeline.TransferRun[Table2Pretrained], name string, trainedOn int, pc metric.PretrainConfig, knn int) (*pipeline.RowMetric[Table2Pretrained], error) {
	net, f, err := t.PoolMetric(t.Pool, name, trainedOn, pc)
	if err != nil {
		return nil, err
	}
	e := &Table2Pretrained{Trained: net.Trained, Metric: name, Labels: trainedOn, D: f.D}
	e.N, e.Seconds = f.N, e.Seconds+f.Seconds
	e.Cached = net.Cached && f.Cached
	if knn > 0 {
		if e.KNNAccuracy, err = t.MetricKNN(net, t.Pool, t.Test, knn, name); err != nil {
			return nil, err
		}
	}
	return &pipeline.RowMetric[Table2Pretrained]{Net: net, Features: f, Entry: e}, nil
}

// RunTable2 computes (or reads from the cache) every cell of cfg.Rows × cfg.Labels: the
// metric's pretraining and its embedding of the pool, the propagation of the labels, and a
// classifier trained on the labels plus the pseudo labels weighted by their confidence
// (Eq. 10), measured on the test split. onCell, if not nil, receives the table so far after
// every cell, so that a long run can publish as it goes.
//
// With a time budget (Classifier.Seconds, or a share of Seconds), a classifier's step count is
// the smaller of Classifier.Steps and what fits the budget at the image rate that the
// pretraining of the first metric in cfg.Rows measured, less a quarter for compilation and
// the final passes; the budget still stops it if the estimate was too generous.
func RunTable2(env pipeline.Env, cfg Table2Config, onCell func(*Table2Result)) (*Table2Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	t, err := pipeline.OpenTransfer[Table2Pretrained](env, "table 2", cfg.Scale, cfg.Dataset, cfg.Pool, cfg.Test, cfg.Seed, cfg.Labels, cfg.NN, cfg.Spectral)
	if err != nil {
		return nil, err
	}
	t.Metric = cfg.metric(t)
	res := &Table2Result{Config: cfg}
	rate := 0.0 // images per second of the first pretraining, to size time-bounded classifiers
	if cfg.Classifier.Seconds > 0 || cfg.Seconds > 0 {
		if i := slices.IndexFunc(cfg.Rows, func(row Table2Row) bool { return row.Transfer != pipeline.Scratch }); i >= 0 {
			m, err := t.MetricAt(cfg.Rows[i].Metric, cfg.Labels[0], false)
			if err != nil {
				return nil, err
			}
			rate = m.Entry.ImagesPerSecond
		}
	}
	return res, pipeline.Grid(cfg.Labels, cfg.Rows, func(row Table2Row, n int) (*Table2Cell, error) {
		share := pipeline.GridShare(cfg.Rows, len(cfg.Labels), cfg.Seconds, len(res.Cells), t.Elapsed().Seconds())
		return t.Cell(row.Metric, row.Transfer, n, pipeline.Bounded(cfg.Classifier, share, rate), fmt.Sprintf("%s, %d labels, %s", row.Metric, n, row.Transfer))
	}, func(c Table2Cell) {
		res.Cells, res.RunInfo, res.Pretrained = append(res.Cells, c), t.Info(), t.Pretrained()
		pipeline.Notify(onCell, res)
	})
}

// check rejects a configuration that cannot run, before any data is read.
func (cfg Table2Config) check() error {
	return pipeline.CheckRows("table 2", "Table2Config", cfg.Rows, Table2Rows, cfg.Labels, cfg.Metrics)
}

// metric returns Table 2's metrics: a released one's features for the propagation rows where
// cfg.Released names one (finetuning keeps the metric trained here), else the metric trained
// on the pool (bootstrapping: on the labels of the column).
func (cfg Table2Config) metric(t *pipeline.TransferRun[Table2Pretrained]) func(string, int, bool) (*pipeline.RowMetric[Table2Pretrained], error) {
	return func(m string, labels int, net bool) (*pipeline.RowMetric[Table2Pretrained], error) {
		if dir := cfg.Released[m]; dir != "" && !net {
			f, info, err := t.Released(dir, t.Pool, t.Test, cfg.KNN)
			if err != nil {
				return nil, t.Errorf("metric "+m, err)
			}
			e := &Table2Pretrained{Trained: info.Trained, Metric: fmt.Sprintf("%s (released %s)", m, info.Name), D: f.D, KNNAccuracy: info.KNNAccuracy}
			e.N = f.N
			return &pipeline.RowMetric[Table2Pretrained]{Features: f, Entry: e}, nil
		}
		pc := cfg.Metrics[m]
		pc.Method = m
		if m != metric.MethodBootstrap {
			labels = 0
		}
		return trainedRowMetric(t, m, labels, pc, cfg.KNN)
	}
}

// table2 applies the options to Table 2's settings.
func (o Options) table2(cfg *Table2Config) error {
	if err := o.only("table 2", "labels", "rows", "pool", "test", "classifier-steps", "seconds", "pretrain-seconds", "classifier-seconds", "metric"); err != nil {
		return err
	}
	return o.transfer(cfg, true)
}
