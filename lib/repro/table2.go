package repro

import (
	"cmp"
	"encoding/json"
	"errors"
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

// NoMetric is the metric of Table 2's "No" rows: a classifier trained from scratch.
const NoMetric = "none"

// Transfer is how a row carries its metric over to the classifier.
type Transfer string

// The transfers of Tables 2, 5 and 6.
const (
	// Scratch is no metric: the classifier trains on the labels alone (the paper's "No + No").
	Scratch Transfer = "scratch"
	// Finetune starts the classifier from the metric's network and trains it on the labels
	// alone (train.Init; the paper's "metric + No", Table 6's "Network finetuning").
	Finetune Transfer = "finetune"
	// NN and Spectral propagate the labels in the metric (Eq. 5 and Eq. 6) and train the
	// classifier on the labels and the confidence-weighted pseudo labels (Eq. 10).
	NN       Transfer = Transfer(propagate.NearestNeighbour)
	Spectral Transfer = Transfer(propagate.Spectral)
)

// propagates says whether the transfer propagates labels.
func (t Transfer) propagates() bool { return t == NN || t == Spectral }

// legacyTransfer is the transfer of a row or cell written when rows named a propagation
// method instead: "none" was Scratch without a metric and Finetune with one.
func legacyTransfer(metricName, propagation string) Transfer {
	switch {
	case propagation != "none":
		return Transfer(propagation)
	case metricName == NoMetric:
		return Scratch
	}
	return Finetune
}

// Table2Row is a row of Table 2: a metric pretraining (NoMetric for Scratch) and its transfer.
type Table2Row struct {
	Metric   string   `json:"metric"`
	Transfer Transfer `json:"transfer"`
}

// UnmarshalJSON reads a row, also as results written before rows named their transfer wrote it.
func (r *Table2Row) UnmarshalJSON(b []byte) error {
	var v struct {
		Metric      string
		Transfer    Transfer
		Propagation string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Table2Row{v.Metric, cmp.Or(v.Transfer, legacyTransfer(v.Metric, v.Propagation))}
	return nil
}

// Table2Rows are the paper's rows, in its order: from scratch; bootstrapping with NN and
// spectral propagation; colorization and instance discrimination each finetuned on the labels,
// then with NN and spectral propagation.
var Table2Rows = []Table2Row{
	{NoMetric, Scratch},
	{metric.MethodBootstrap, NN}, {metric.MethodBootstrap, Spectral},
	{metric.MethodColor, Finetune}, {metric.MethodColor, NN}, {metric.MethodColor, Spectral},
	{metric.MethodInstance, Finetune}, {metric.MethodInstance, NN}, {metric.MethodInstance, Spectral},
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

// transferRun is a run of a table whose cells train a classifier on a pool's labels, with a
// metric carried over by finetuning its network or by propagating the labels in it: Tables 2, 5
// and 6, and our rows of Tables 3 and 4.
type transferRun[P listed] struct {
	*pipeline.Run
	pool         *pipeline.Pool
	test         *pipeline.Split
	nn, spectral propagate.Config
	// metric returns a row's metric at a label count: its network (nil for a released metric,
	// which finetuning rows, asking with net set, never get) and its features of the pool, with
	// its entry in the table's list of metrics.
	metric func(name string, labels int, net bool) (*rowMetric[P], error)
	// metrics are the metrics asked for so far, in the order they were first asked for.
	metrics map[string]*rowMetric[P]
	order   []*rowMetric[P]
}

// rowMetric is a metric as the cells of a transfer table use it, with its entry (of type P) in
// the table's list of metrics.
type rowMetric[P listed] struct {
	net      *pipeline.TrainedMetric // nil for a released metric
	features *pipeline.FeaturesResult
	entry    *P
}

// metricAt returns t.metric(name, labels, net), computed once per run.
func (t *transferRun[P]) metricAt(name string, labels int, net bool) (*rowMetric[P], error) {
	id := fmt.Sprintf("%s/%d/%t", name, labels, net)
	if m := t.metrics[id]; m != nil {
		return m, nil
	}
	m, err := t.metric(name, labels, net)
	if err != nil {
		return nil, err
	}
	t.metrics[id] = m
	if !slices.ContainsFunc(t.order, func(o *rowMetric[P]) bool { return (*o.entry).id() == (*m.entry).id() }) {
		t.order = append(t.order, m)
	}
	return m, nil
}

// listed is an entry of a table's list of metrics: id tells the metrics apart.
type listed interface{ id() string }

func (p Table2Pretrained) id() string { return fmt.Sprintf("%s/%d", p.Metric, p.Labels) }
func (p Table6Pretrained) id() string { return p.Metric }

// pretrained is the table's list of metrics so far.
func (t *transferRun[P]) pretrained() []P {
	out := make([]P, len(t.order))
	for i, m := range t.order {
		out[i] = *m.entry
	}
	return out
}

// cell computes the cell of a row at a label count, its classifier trained with cc.
func (t *transferRun[P]) cell(row Table2Row, labels int, cc train.Config, tag string) (*Table2Cell, error) {
	cell := &Table2Cell{Metric: row.Metric, Transfer: row.Transfer, Labels: labels}
	var prop *pipeline.PropagationResult
	var init *pipeline.TrainedMetric
	if row.Transfer != Scratch {
		m, err := t.metricAt(row.Metric, labels, row.Transfer == Finetune)
		if err != nil {
			return nil, err
		}
		if row.Transfer == Finetune {
			if init = m.net; init == nil {
				return nil, t.Errorf(tag, errors.New("finetuning needs the metric's network, and a released metric has only features"))
			}
		} else {
			pc := t.nn
			if row.Transfer == Spectral {
				pc = t.spectral
			}
			pc.Method = propagate.Method(row.Transfer)
			if prop, err = t.Propagate(m.features, t.pool, labels, pc, tag); err != nil {
				return nil, err
			}
			cell.PseudoAccuracy, cell.PseudoMAP, cell.PropagationSeconds = prop.Accuracy, prop.MAP, prop.Seconds
		}
	}
	c, err := t.Classify(cc, t.pool, labels, prop, init, t.test, tag)
	if err != nil {
		return nil, err
	}
	cell.Classified = *c
	return cell, nil
}

// trainedRowMetric is PoolMetric's metric with its entry in Table 2's list of metrics and,
// with knn > 0, its weighted kNN accuracy on the test split.
func trainedRowMetric(t *transferRun[Table2Pretrained], name string, trainedOn int, pc metric.PretrainConfig, knn int) (*rowMetric[Table2Pretrained], error) {
	net, f, err := t.PoolMetric(t.pool, name, trainedOn, pc)
	if err != nil {
		return nil, err
	}
	e := &Table2Pretrained{Trained: net.Trained, Metric: name, Labels: trainedOn, D: f.D}
	e.N, e.Seconds = f.N, e.Seconds+f.Seconds
	e.Cached = net.Cached && f.Cached
	if knn > 0 {
		y, err := t.Embed(net, t.test, nil, "", name+", test")
		if err != nil {
			return nil, err
		}
		if e.KNNAccuracy, err = t.KNN(f.Matrix(), t.pool.Truth, y.Matrix(), t.test.Labels, t.pool.Split.NumClasses(), knn, 0.1, f.Key, t.pool.Key, y.Key, t.test.Key); err != nil {
			return nil, t.Errorf("metric "+name, err)
		}
	}
	return &rowMetric[Table2Pretrained]{net: net, features: f, entry: e}, nil
}

// budgetShare is the time budget of the next classifier under a run-wide budget of seconds
// (0: none), with elapsed seconds spent, left classifiers still to train (this one included)
// and props propagations still to run after this one's: an equal share of what is left, less
// 15 s per propagation and 25 s for each classifier's batch-norm statistics and evaluation, and
// at least 10 s.
func budgetShare(seconds, elapsed float64, left, props int) float64 {
	if seconds <= 0 {
		return 0
	}
	return max(10, (seconds-elapsed-15*float64(props))/float64(left)-25)
}

// bounded returns cc with its time budget capped at share (0: none) and its steps sized from
// the rate of images per second (pipeline.ClassifierSteps).
func bounded(cc train.Config, share, rate float64) train.Config {
	if share > 0 && (cc.Seconds == 0 || share < cc.Seconds) {
		cc.Seconds = share
	}
	cc.Steps = pipeline.ClassifierSteps(cc, rate)
	return cc
}

// openTransfer starts a transfer table's run on a pool of pool images of the training split of
// dataset and a test sample of test images, both drawn with seed, with the label counts labels.
func openTransfer(e pipeline.Env, what, scale, dataset string, pool, test int, seed int64, labels []int, nn, spectral propagate.Config) (*transferRun[Table2Pretrained], error) {
	r, err := e.Open(what, scale)
	if err != nil {
		return nil, err
	}
	t := &transferRun[Table2Pretrained]{Run: r, nn: nn, spectral: spectral, metrics: map[string]*rowMetric[Table2Pretrained]{}}
	train, err := r.Load(dataset, "train", 0, seed)
	if err != nil {
		return nil, err
	}
	if t.test, err = r.Load(dataset, "test", test, seed); err != nil {
		return nil, fmt.Errorf("%s: test split: %w", what, err)
	}
	if t.pool, err = pipeline.DrawPool(train, pool, seed, labels); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return t, nil
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
	t, err := openTransfer(env, "table 2", cfg.Scale, cfg.Dataset, cfg.Pool, cfg.Test, cfg.Seed, cfg.Labels, cfg.NN, cfg.Spectral)
	if err != nil {
		return nil, err
	}
	t.metric = cfg.metric(t)
	res := &Table2Result{Config: cfg}
	rate := 0.0 // images per second of the first pretraining, to size time-bounded classifiers
	if cfg.Classifier.Seconds > 0 || cfg.Seconds > 0 {
		if i := slices.IndexFunc(cfg.Rows, func(row Table2Row) bool { return row.Transfer != Scratch }); i >= 0 {
			m, err := t.metricAt(cfg.Rows[i].Metric, cfg.Labels[0], false)
			if err != nil {
				return nil, err
			}
			rate = m.entry.ImagesPerSecond
		}
	}
	return res, pipeline.Grid(cfg.Labels, cfg.Rows, func(row Table2Row, n int) (*Table2Cell, error) {
		share := cfg.share(len(res.Cells), t.Elapsed().Seconds())
		return t.cell(row, n, bounded(cfg.Classifier, share, rate), fmt.Sprintf("%s, %d labels, %s", row.Metric, n, row.Transfer))
	}, func(c Table2Cell) {
		res.Cells, res.RunInfo, res.Pretrained = append(res.Cells, c), t.Info(), t.pretrained()
		pipeline.Notify(onCell, res)
	})
}

// share is the time budget of the next classifier under Seconds (budgetShare) when done cells
// are done and elapsed seconds spent.
func (cfg Table2Config) share(done int, elapsed float64) float64 {
	cells := len(cfg.Rows) * len(cfg.Labels)
	props := 0 // propagations still to run after the next cell's
	for i := done + 1; i < cells; i++ {
		if cfg.Rows[i%len(cfg.Rows)].Transfer.propagates() {
			props++
		}
	}
	return budgetShare(cfg.Seconds, elapsed, cells-done, props)
}

// check rejects a configuration that cannot run, before any data is read.
func (cfg Table2Config) check() error {
	if len(cfg.Labels) == 0 || len(cfg.Rows) == 0 {
		return fmt.Errorf("table 2: Table2Config needs label counts and rows")
	}
	for _, row := range cfg.Rows {
		if !slices.Contains(Table2Rows, row) {
			return fmt.Errorf("table 2: unknown row %s/%s (want one of %v)", row.Metric, row.Transfer, Table2Rows)
		}
		if _, ok := cfg.Metrics[row.Metric]; !ok && row.Transfer != Scratch {
			return fmt.Errorf("table 2: Table2Config.Metrics has no %q pretraining; start from Table2ConfigFor", row.Metric)
		}
	}
	return nil
}

// metric returns Table 2's metrics: a released one's features for the propagation rows where
// cfg.Released names one (finetuning keeps the metric trained here), else the metric trained
// on the pool (bootstrapping: on the labels of the column).
func (cfg Table2Config) metric(t *transferRun[Table2Pretrained]) func(string, int, bool) (*rowMetric[Table2Pretrained], error) {
	return func(m string, labels int, net bool) (*rowMetric[Table2Pretrained], error) {
		if dir := cfg.Released[m]; dir != "" && !net {
			f, info, err := t.Released(dir, t.pool, t.test, cfg.KNN)
			if err != nil {
				return nil, t.Errorf("metric "+m, err)
			}
			e := &Table2Pretrained{Trained: info.Trained, Metric: fmt.Sprintf("%s (released %s)", m, info.Name), D: f.D, KNNAccuracy: info.KNNAccuracy}
			e.N = f.N
			return &rowMetric[Table2Pretrained]{features: f, entry: e}, nil
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
