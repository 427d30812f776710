package repro

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// Table 2 of the paper is the semi-supervised result itself: the test accuracy of a classifier
// trained on the labels and the confidence-weighted pseudo labels (Eq. 10), for each metric
// and propagation method, by the number of labels on CIFAR-10.

// NoMetric and NoPropagation name Table 2's "No" entries: a classifier trained from scratch on
// the labels alone.
const (
	NoMetric      = "none"
	NoPropagation = propagate.Method("none")
)

// Table2Row is a row of Table 2: a metric pretraining (or NoMetric) and a propagation method
// (or NoPropagation).
type Table2Row struct {
	Metric      string           `json:"metric"`
	Propagation propagate.Method `json:"propagation"`
}

// Table2Rows are the paper's rows, in its order: from scratch; bootstrapping with NN and
// spectral propagation; colorization and instance discrimination each finetuned on the labels
// (a metric with NoPropagation: the classifier starts from the metric's network, see
// train.Init), then with NN and spectral propagation.
var Table2Rows = []Table2Row{
	{NoMetric, NoPropagation},
	{metric.MethodBootstrap, propagate.NearestNeighbour}, {metric.MethodBootstrap, propagate.Spectral},
	{metric.MethodColor, NoPropagation}, {metric.MethodColor, propagate.NearestNeighbour}, {metric.MethodColor, propagate.Spectral},
	{metric.MethodInstance, NoPropagation}, {metric.MethodInstance, propagate.NearestNeighbour}, {metric.MethodInstance, propagate.Spectral},
}

// Table2Config is every knob of Table 2; Table2ConfigFor gives the defaults of a scale.
type Table2Config struct {
	Scale   string
	Dataset string // "cifar10" (the JPEG copy here).
	DataDir string `json:"-"`
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
	// CheckpointDir, if set, keeps the training checkpoints there (one folder per network),
	// so that a killed run resumes, across machines too; "" keeps them in the stage cache's
	// scratch space until the stage is done.
	CheckpointDir string `json:"-"`
	CacheDir      string `json:"-"`
	Command       string `json:"-"`
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
	case Smoke, Bench:
		t1, err := Table1ConfigFor(scale)
		if err != nil {
			return cfg, err
		}
		cfg.Pool, cfg.Metrics, cfg.Spectral, cfg.Released = t1.Pool, t1.Metrics, t1.Spectral, t1.Released
		if scale == Smoke {
			cfg.Test, cfg.Labels = 200, []int{50, 100}
			cfg.Classifier.Channels, cfg.Classifier.Steps, cfg.Classifier.BatchSize = 4, 4, 32
			cfg.KNN = 20
		} else {
			cfg.Labels = []int{250, 4000}
			cfg.Classifier.Channels, cfg.Classifier.Steps, cfg.Classifier.BatchSize = 32, 300, 64
		}
	case Paper:
		cfg.Labels = slices.Clone(Table1PaperLabels)
		const epoch = 50000 / 128 // steps of 128
		for _, m := range Table1Metrics {
			pc := metric.DefaultPretrainConfig(m)
			pc.Net, pc.BatchSize, pc.Optimizer, pc.LearningRate = metric.NetWRN28x2, 128, "sgd", 0.03
			pc.Restarts, pc.Steps = 10*epoch, 1270*epoch
			cfg.Metrics[m] = pc
		}
		c := &cfg.Classifier
		c.Net, c.Optimizer, c.LearningRate, c.BatchSize, c.Steps = train.NetWRN28x2, "sgd", 0.01, 128, 200000
		c.Augment = fit.Augment{Pad: 4, Flip: true}
	default:
		return cfg, unknownScale(scale, Smoke, Bench, Paper)
	}
	return cfg, nil
}

// table2Run is one call of RunTable2.
type table2Run struct {
	cfg         Table2Config
	backend     backends.Backend
	progress    fit.Progress
	store       *artifact.Store
	train, test *data.Dataset
	pool        []int
	truth       []int32
	labeled     map[int][]int
	dataKey     string
	computed    int
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
func RunTable2(backend backends.Backend, cfg Table2Config, progress fit.Progress, onCell func(*Table2Result)) (*Table2Result, error) {
	start := time.Now()
	r := &table2Run{cfg: cfg, backend: backend, progress: progress, labeled: map[int][]int{}}
	if err := r.open(); err != nil {
		return nil, err
	}
	res := &Table2Result{Config: cfg}
	finish := func() {
		prov := NewProvenance(backend.Name(), cfg.Scale, 0, cfg.Command)
		for _, p := range res.Pretrained {
			prov.Seconds += p.Seconds
		}
		for _, c := range res.Cells {
			prov.Seconds += c.Seconds + c.PropagationSeconds
		}
		res.Provenance, res.Computed, res.Wall = prov, r.computed, time.Since(start).Seconds()
	}
	rate := 0.0 // images per second of the first pretraining, to size time-bounded classifiers
	var early *Table2Pretrained
	if cfg.Classifier.Seconds > 0 || cfg.Seconds > 0 {
		if i := slices.IndexFunc(cfg.Rows, func(row Table2Row) bool { return row.Metric != NoMetric }); i >= 0 {
			_, p, err := r.features(cfg.Rows[i].Metric, cfg.Labels[0])
			if err != nil {
				return nil, err
			}
			rate, early = p.ImagesPerSecond, p
		}
	}
	for _, n := range cfg.Labels {
		for _, row := range cfg.Rows {
			var prop *PropagationResult
			var finetune *FeaturesResult // the metric stage a finetuning row starts from
			if dir := cfg.Released[row.Metric]; row.Metric != NoMetric && row.Propagation != NoPropagation && dir != "" {
				f, p, err := r.released(row.Metric, dir)
				if err != nil {
					return nil, err
				}
				if !slices.ContainsFunc(res.Pretrained, func(q Table2Pretrained) bool { return q.Metric == p.Metric }) {
					res.Pretrained = append(res.Pretrained, *p)
				}
				if prop, err = r.propagate(f, row, n); err != nil {
					return nil, err
				}
			} else if row.Metric != NoMetric {
				f, p, err := r.features(row.Metric, n)
				if err != nil {
					return nil, err
				}
				if early != nil && early.Metric == p.Metric && early.Labels == p.Labels {
					p = early // computed by this run before the loop, though read back from the cache here
				}
				if !slices.ContainsFunc(res.Pretrained, func(q Table2Pretrained) bool { return q.Metric == p.Metric && q.Labels == p.Labels }) {
					res.Pretrained = append(res.Pretrained, *p)
				}
				if row.Propagation == NoPropagation {
					finetune = f
				} else if prop, err = r.propagate(f, row, n); err != nil {
					return nil, err
				}
			}
			cell, err := r.classify(r.cfg.Classifier, row, n, prop, finetune, rate, r.share(start, res))
			if err != nil {
				return nil, err
			}
			res.Cells = append(res.Cells, *cell)
			if onCell != nil {
				finish()
				onCell(res)
			}
		}
	}
	finish()
	return res, nil
}

// share is the time budget of the next classifier under cfg.Seconds (see Table2Config), 0
// without one; res holds the cells done so far.
func (r *table2Run) share(start time.Time, res *Table2Result) float64 {
	if r.cfg.Seconds <= 0 {
		return 0
	}
	cells := len(r.cfg.Rows) * len(r.cfg.Labels)
	left := cells - len(res.Cells) // classifiers still to train, this one included
	props := 0                     // propagations still to run after this cell's
	for i := len(res.Cells) + 1; i < cells; i++ {
		if r.cfg.Rows[i%len(r.cfg.Rows)].Metric != NoMetric {
			props++
		}
	}
	budget := r.cfg.Seconds - time.Since(start).Seconds() - 15*float64(props)
	return max(10, budget/float64(left)-25)
}

// open checks the configuration, loads both splits and draws the pool, the test subset and
// every label subset.
func (r *table2Run) open() error {
	cfg := r.cfg
	if len(cfg.Labels) == 0 || len(cfg.Rows) == 0 {
		return fmt.Errorf("table 2: Table2Config needs label counts and rows")
	}
	for _, row := range cfg.Rows {
		if !slices.Contains(Table2Rows, row) {
			return fmt.Errorf("table 2: unknown row %s/%s (want one of %v)", row.Metric, row.Propagation, Table2Rows)
		}
		if _, ok := cfg.Metrics[row.Metric]; !ok && row.Metric != NoMetric {
			return fmt.Errorf("table 2: Table2Config.Metrics has no %q pretraining; start from Table2ConfigFor", row.Metric)
		}
	}
	var err error
	if r.store, err = artifact.Open(cfg.CacheDir); err != nil {
		return err
	}
	if r.train, err = data.Load(cfg.DataDir, cfg.Dataset, "train"); err != nil {
		return err
	}
	if r.test, err = data.Load(cfg.DataDir, cfg.Dataset, "test"); err != nil {
		return err
	}
	k := r.train.NumClasses()
	if r.pool, err = data.SampleSubset(r.train.Labels, k, cfg.Pool, cfg.Seed); err != nil {
		return fmt.Errorf("table 2: unlabeled pool of %d: %w", cfg.Pool, err)
	}
	r.truth = pick(r.train.Labels, r.pool)
	for _, n := range cfg.Labels {
		if r.labeled[n], err = data.SampleLabeled(r.truth, k, n, cfg.Seed); err != nil {
			return fmt.Errorf("table 2: %d labels from a pool of %d: %w", n, len(r.pool), err)
		}
	}
	if cfg.Test > 0 && cfg.Test < r.test.N {
		idx, err := data.SampleSubset(r.test.Labels, k, cfg.Test, cfg.Seed)
		if err != nil {
			return fmt.Errorf("table 2: test subset: %w", err)
		}
		if r.test, err = r.test.Subset(idx); err != nil {
			return err
		}
	}
	r.dataKey = fmt.Sprintf("%s/%d/%dx%dx%d/pool=%d/test=%d/seed=%d", r.train.Name, r.train.N, r.train.H, r.train.W, r.train.C,
		len(r.pool), r.test.N, cfg.Seed)
	return nil
}

// checkpoints returns where a network's checkpoints go: under cfg.CheckpointDir when set
// (kept), else in the stage's scratch space (removed with it).
func (r *table2Run) checkpoints(key, name string) (string, error) {
	if r.cfg.CheckpointDir != "" {
		return filepath.Join(r.cfg.CheckpointDir, name), nil
	}
	scratch, err := r.store.Scratch(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(scratch, "checkpoints"), nil
}

// netTag names a network in a checkpoint folder's name, so that networks of one row that
// differ only in architecture or width (Table 3's) never resume from each other's checkpoints;
// measured: with one folder for both, the WRN-28-10 classifier "resumed" from the WRN-28-2's
// final step and trained not at all.
func netTag(net string, channels int) string {
	if net == "" || net == train.NetConv4 {
		return fmt.Sprintf("conv-4x%d", channels)
	}
	return net
}

// features pretrains metric m (bootstrapping: on the labels of the column) and embeds the
// pool, measuring the metric by weighted kNN on the test split.
func (r *table2Run) features(m string, labels int) (*FeaturesResult, *Table2Pretrained, error) {
	pc := r.cfg.Metrics[m]
	pc.Method, pc.Progress, pc.CheckpointDir = m, nil, ""
	subset, tag, trainedOn := r.pool, m, 0
	if m == metric.MethodBootstrap {
		subset, tag, trainedOn = pick(r.pool, r.labeled[labels]), fmt.Sprintf("%s on %d labels", m, labels), labels
		pc.BatchSize = min(pc.BatchSize, labels)
	}
	key, err := artifact.Key("table2-metric", pc, r.dataKey, fmt.Sprintf("labels=%d", trainedOn), fmt.Sprintf("knn=%d", r.cfg.KNN))
	if err != nil {
		return nil, nil, err
	}
	dir, cached, err := r.store.Build(key, func(dir string) error {
		r.computed++
		start := time.Now()
		if pc.CheckpointDir, err = r.checkpoints(key, fmt.Sprintf("pretrain-%s-%d-%s", m, trainedOn, netTag(pc.Net, pc.Channels))); err != nil {
			return err
		}
		meter := &rateMeter{}
		pc.Progress = meter.wrap(tagged(r.progress, tag))
		p, err := metric.Pretrain(r.backend, r.train, subset, pc)
		if err != nil {
			return err
		}
		if err := copyCheckpoint(pc.CheckpointDir, filepath.Join(dir, "metric")); err != nil {
			return err
		}
		f, d, err := p.Features(r.train, r.pool, tagged(r.progress, tag))
		if err != nil {
			return err
		}
		info := Table2Pretrained{Metric: m, Labels: trainedOn, N: len(r.pool), D: d, Steps: p.Info.Steps,
			Epochs: float64(p.Info.Steps*pc.BatchSize) / float64(len(subset)), ImagesPerSecond: meter.rate() * float64(pc.BatchSize)}
		if r.cfg.KNN > 0 {
			test, _, err := p.Features(r.test, nil, tagged(r.progress, tag+", test"))
			if err != nil {
				return err
			}
			x, y := propagate.Matrix{N: len(r.pool), D: d, Data: f}, propagate.Matrix{N: r.test.N, D: d, Data: test}
			if info.KNNAccuracy, err = propagate.KNNTestAccuracy(x, r.truth, y, r.test.Labels, r.train.NumClasses(), min(r.cfg.KNN, len(r.pool)), 0.1); err != nil {
				return err
			}
		}
		info.Seconds = time.Since(start).Seconds()
		if err := writeFeatures(dir, f, len(r.pool), d, info.Seconds); err != nil {
			return err
		}
		return artifact.WriteJSON(filepath.Join(dir, "pretrained.json"), info)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("table 2, metric %s: %w", tag, err)
	}
	f, err := readFeatures(dir, key, cached)
	if err != nil {
		return nil, nil, err
	}
	info := &Table2Pretrained{}
	if err := artifact.ReadJSON(filepath.Join(dir, "pretrained.json"), info); err != nil {
		return nil, nil, err
	}
	info.Cached = cached
	return f, info, nil
}

// released returns the features of the pool in the released metric of dir, and its entry in
// the table's list of metrics, named "<metric> (released <name>)".
func (r *table2Run) released(m, dir string) (*FeaturesResult, *Table2Pretrained, error) {
	f, info, err := releasedFeatures(r.store, dir, r.train, r.test, r.pool, r.truth, r.cfg.KNN, r.dataKey)
	if err != nil {
		return nil, nil, fmt.Errorf("table 2, metric %s: %w", m, err)
	}
	p := &Table2Pretrained{Timed: info.Timed, Metric: fmt.Sprintf("%s (released %s)", m, info.Name), N: f.N, D: f.D,
		Steps: info.Steps, Epochs: info.Epochs, ImagesPerSecond: info.ImagesPerSecond, KNNAccuracy: info.KNNAccuracy}
	return f, p, nil
}

// propagate spreads the labels over the pool in the metric f by the row's method.
func (r *table2Run) propagate(f *FeaturesResult, row Table2Row, labels int) (*PropagationResult, error) {
	pcfg := r.cfg.NN
	if row.Propagation == propagate.Spectral {
		pcfg = r.cfg.Spectral
	}
	pcfg.Method = row.Propagation
	tag := fmt.Sprintf("%s, %d labels, %s", row.Metric, labels, row.Propagation)
	key, err := artifact.Key("table2-propagate", pcfg, f.key, r.dataKey, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	res, cached, err := stageJSON(r.store, key, "result.json", &r.computed, func(string) (*PropagationResult, error) {
		s, err := propagateScored(f, r.labeled[labels], r.truth, r.train.NumClasses(), pcfg, tagged(r.progress, tag))
		return &s, err
	})
	if err != nil {
		return nil, fmt.Errorf("table 2, %s: %w", tag, err)
	}
	res.key, res.Cached = key, cached
	return res, nil
}

// classify trains the row's classifier with the settings cc at a label count: on the labels
// alone (prop nil) or with the confidence-weighted pseudo labels, and measures it on the test
// split. rate is the pretrainings' images per second, used to size a time-bounded classifier.
func (r *table2Run) classify(cc train.Config, row Table2Row, labels int, prop *PropagationResult, finetune *FeaturesResult, rate, share float64) (*Table2Cell, error) {
	if finetune != nil {
		// The metric's network, so that its weights fit (its description only; the weights are
		// loaded when the stage is computed).
		info, err := readPretrainInfo(filepath.Join(finetune.dir, "metric"))
		if err != nil {
			return nil, err
		}
		cc.Net, cc.Channels, cc.InitFrom = info.Net, info.Channels, finetune.key
	}
	if share > 0 && (cc.Seconds == 0 || share < cc.Seconds) {
		cc.Seconds = share
	}
	cc.Progress, cc.CheckpointDir = nil, ""
	tag := fmt.Sprintf("%s, %d labels, %s", row.Metric, labels, row.Propagation)
	cc.Stage = "classifier (" + tag + ")"
	cc.Steps = classifierSteps(cc, rate)
	input := r.dataKey
	if prop != nil {
		input = prop.key
	}
	key, err := artifact.Key("table2-classifier", cc, row.Metric+"/"+string(row.Propagation), input, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	cell, cached, err := stageJSON(r.store, key, "cell.json", &r.computed, func(string) (*Table2Cell, error) {
		start := time.Now()
		var err error
		if cc.CheckpointDir, err = r.checkpoints(key, fmt.Sprintf("classifier-%s-%s-%d-%s", row.Metric, row.Propagation, labels, netTag(cc.Net, cc.Channels))); err != nil {
			return nil, err
		}
		cc.Progress = tagged(r.progress, tag)
		metricDir := ""
		if finetune != nil {
			metricDir = filepath.Join(finetune.dir, "metric")
		}
		cell, err := classifierCell(r.backend, r.train, r.test, r.pool, r.truth, r.labeled[labels], prop, metricDir, cc)
		if err != nil {
			return nil, err
		}
		cell.Metric, cell.Propagation, cell.Labels = row.Metric, row.Propagation, labels
		cell.Seconds = time.Since(start).Seconds()
		return &cell, nil
	})
	if err != nil {
		return nil, fmt.Errorf("table 2, %s: %w", tag, err)
	}
	cell.Cached = cached
	return cell, nil
}

// rateMeter measures a training's steady step rate from its progress reports: from the first
// report after a step was done (compilation is over by then) to the last.
type rateMeter struct {
	stage  string
	t0, t1 time.Time
	s0, s1 int
}

// wrap returns a progress function that records the reports and passes them on to p.
func (m *rateMeter) wrap(p fit.Progress) fit.Progress {
	return func(stage string, done, total int) {
		if done > 0 && done < total && (m.stage == "" || m.stage == stage) {
			now := time.Now()
			if m.t0.IsZero() {
				m.stage, m.t0, m.s0 = stage, now, done
			}
			m.t1, m.s1 = now, done
		}
		if p != nil {
			p(stage, done, total)
		}
	}
}

// rate returns the steps per second measured, 0 if too few reports came.
func (m *rateMeter) rate() float64 {
	if dt := m.t1.Sub(m.t0).Seconds(); dt > 0 && m.s1 > m.s0 {
		return float64(m.s1-m.s0) / dt
	}
	return 0
}

// classifierSteps is the step count of a classifier: cc.Steps, or with a time budget
// (cc.Seconds) and a measured rate of images per second, the steps of cc.BatchSize images that
// fill three quarters of the budget if fewer (the rest is left for compilation, the batch-norm
// statistics and the evaluation).
func classifierSteps(cc train.Config, rate float64) int {
	if cc.Seconds <= 0 || rate <= 0 {
		return cc.Steps
	}
	fits := int(0.75 * cc.Seconds * rate / float64(cc.BatchSize))
	return max(1, min(cc.Steps, fits))
}

// copyCheckpoint copies the trained network that metric.Pretrain left in src (its final
// checkpoint, verified), with its InfoFile and origin, to dst, where metric.LoadPretrained
// reads it back (a finetuning row starts from it).
func copyCheckpoint(src, dst string) error {
	m, err := checkpoint.CopyNewest(src, dst, metric.InfoFile)
	if err != nil {
		return fmt.Errorf("keeping the metric's checkpoint: %w", err)
	}
	if m.Phase != checkpoint.Final {
		return fmt.Errorf("keeping the metric's checkpoint: the newest in %s is of training (step %d), not the trained network", src, m.Step)
	}
	return nil
}

// readPretrainInfo reads the description of a metric that copyCheckpoint kept in dir.
func readPretrainInfo(dir string) (metric.PretrainInfo, error) {
	var info metric.PretrainInfo
	if err := artifact.ReadJSON(filepath.Join(dir, metric.InfoFile), &info); err != nil {
		return info, fmt.Errorf("the metric kept for finetuning: %w", err)
	}
	return info, nil
}

// classifierCell trains a classifier on the labelled pool positions with their true labels
// and, with prop, on the rest of the pool with its pseudo labels weighted by their confidence
// (Eq. 10); with metricDir, starting from the metric that copyCheckpoint kept there
// (finetuning); and measures it on test. The caller fills in the cell's row, labels and time.
func classifierCell(backend backends.Backend, ds, test *data.Dataset, pool []int, truth []int32, labeled []int,
	prop *PropagationResult, metricDir string, cc train.Config) (Table2Cell, error) {
	var cell Table2Cell
	var examples []train.Example
	for _, p := range labeled {
		examples = append(examples, train.Example{Index: pool[p], Label: truth[p], Weight: 1})
	}
	if prop != nil {
		for _, p := range unlabeledRows(len(pool), labeled) {
			examples = append(examples, train.Example{Index: pool[p], Label: prop.Labels[p], Weight: prop.Confidence[p]})
		}
	}
	if metricDir != "" {
		p, err := metric.LoadPretrained(backend, metricDir)
		if err != nil {
			return cell, err
		}
		b, err := p.Backbone()
		if err != nil {
			return cell, err
		}
		cc.Init = &train.Init{Net: p.Info.Net, Backbone: b, Lightness: p.Info.Method == metric.MethodColor}
	}
	c, err := train.Fit(backend, ds, examples, ds.NumClasses(), cc)
	if err != nil {
		return cell, err
	}
	if cell.Accuracy, err = c.Accuracy(test, cc.Progress); err != nil {
		return cell, err
	}
	cell.Steps = c.Steps
	if cell.Weights, err = c.Digest(); err != nil {
		return cell, err
	}
	for _, e := range examples {
		if float64(e.Weight) >= cc.MinWeight {
			cell.Examples++
		}
	}
	if prop != nil {
		cell.PseudoAccuracy, cell.PseudoMAP, cell.PropagationSeconds = prop.Accuracy, prop.MAP, prop.Seconds
	}
	return cell, nil
}
