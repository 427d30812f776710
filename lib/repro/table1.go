package repro

import (
	"fmt"
	"slices"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
)

// Table 1 of the paper is an ablation of the pseudo labels alone: their mAP sorted by
// confidence (propagate.MeanAveragePrecision) on CIFAR-10's unlabeled training images, for
// three metrics × two propagation methods × eight label counts.

// Table1Metrics are Table 1's metric pretrainings, in the paper's row order.
var Table1Metrics = []string{metric.MethodBootstrap, metric.MethodColor, metric.MethodInstance}

// Table1Propagations are Table 1's propagation methods: Eq. 5 and Eq. 6.
var Table1Propagations = []propagate.Method{propagate.NearestNeighbour, propagate.Spectral}

// Table1PaperLabels are the label counts of Table 1's columns.
var Table1PaperLabels = []int{50, 100, 250, 500, 1000, 2000, 4000, 8000}

// Table1Paper holds THE PAPER'S numbers, not ours: Table 1 of Liu et al. (2019), pseudo-label
// mAP (%) on CIFAR-10 with WRN-28-2 metrics trained on GPUs, by metric (Table1Metrics), then
// propagation, then label count in Table1PaperLabels order. The OCR of the paper mangled the
// first row's label; it is "Bootstrapping".
var Table1Paper = map[string]map[propagate.Method][]float64{
	metric.MethodBootstrap: {
		propagate.NearestNeighbour: {22.03, 25.74, 48.35, 68.03, 77.57, 77.28, 87.77, 90.88},
		propagate.Spectral:         {23.49, 28.88, 54.46, 70.02, 80.94, 87.77, 93.94, 96.23},
	},
	metric.MethodColor: {
		propagate.NearestNeighbour: {57.32, 67.61, 75.48, 79.34, 80.70, 82.14, 83.66, 84.79},
		propagate.Spectral:         {60.85, 67.34, 76.31, 80.04, 81.78, 81.89, 82.93, 82.03},
	},
	metric.MethodInstance: {
		propagate.NearestNeighbour: {54.82, 62.99, 77.08, 84.90, 88.68, 91.34, 92.72, 93.67},
		propagate.Spectral:         {72.59, 79.21, 86.64, 90.01, 91.04, 91.57, 91.77, 91.94},
	},
}

// Table1PaperMAP returns the paper's mAP (%) of a cell, and false where the paper has none.
func Table1PaperMAP(metricName string, method propagate.Method, labels int) (float64, bool) {
	return paperAt(Table1Paper, metricName, method, labels)
}

// paperAt returns a paper table's number for a metric, a method and a label count (one of
// Table1PaperLabels), and false where the table has none.
func paperAt[K comparable](table map[string]map[K][]float64, metricName string, method K, labels int) (float64, bool) {
	i := slices.Index(Table1PaperLabels, labels)
	row := table[metricName][method]
	if i < 0 || i >= len(row) {
		return 0, false
	}
	return row[i], true
}

// CIFAR10Release is the released metric (package release) that the CPU scales transfer when the
// repository holds it (release.Find): instance discrimination on WRN-28-2 with the authors'
// schedule (1270 epochs), whose features replace the pretraining of a small network here, as
// the paper transfers a metric learned elsewhere. Tables 1 and 2 and Figures 2, 3 and 5 use it
// at the bench scale.
const CIFAR10Release = "instance-wrn-28-2"

// Table1Config is every knob of Table 1; Table1ConfigFor gives the defaults of a scale.
type Table1Config struct {
	Scale   string
	Dataset string // a name data.Load knows; "cifar10" (the JPEG copy here).
	// Pool is the number of training images (class-balanced, seeded) that form the unlabeled
	// set and the metric's training set; 0 means the whole training split, as in the paper.
	Pool int
	// Labels are the label counts of the columns; each is drawn class-balanced from the pool
	// with Seed (nested: the 100-label set contains the 50-label set).
	Labels []int
	Seed   int64
	// Metrics is the pretraining of each of Table1Metrics. Instance and colorization train on
	// the whole pool, without labels, once. Bootstrapping is cross-entropy on the labels, so,
	// as in the paper, the bootstrapping metric at n labels is trained on those n labels only:
	// one network per label count, with BatchSize capped at n.
	Metrics map[string]metric.PretrainConfig
	// NN and Spectral configure the two propagation methods (Eq. 5 and Eq. 6).
	NN, Spectral propagate.Config
	// Released maps a metric of Table1Metrics to the folder of a released metric (package
	// release) whose features of the pool replace that metric's pretraining; the bench scale
	// sets instance discrimination to CIFAR10Release when the repository holds it. Bootstrapping,
	// trained on each column's labels, is never released.
	Released map[string]string `json:",omitempty"`
	// Rows are the metrics computed, a subset of Table1Metrics (all when empty); the paper
	// scale computes the released instance metric alone.
	Rows []string `json:",omitempty"`
}

// Table1ConfigFor returns Table 1's settings at a scale:
//   - Smoke: 1000 CIFAR-10 training images, Conv-4 with 4 channels, a few steps per metric,
//     50 and 100 labels; seconds.
//   - Bench: a 20,000-image pool of the training split, Conv-4 with 16 channels, 600 steps of
//     128 for instance discrimination and colorization (the budget of make bench-metric),
//     150 steps for each of the eight bootstrapping networks, all eight label counts; sized to
//     finish within an hour on a 2-core CPU (the paper: all 50,000 images, WRN-28-2).
//   - Paper: all 50,000 training images and all eight label counts, in the released
//     instance-discrimination metric (CIFAR10Release: WRN-28-2, the authors' 1270 epochs) alone,
//     whose features the CPU propagates; an error when the repository does not hold it.
func Table1ConfigFor(scale string) (Table1Config, error) {
	cfg := Table1Config{
		Scale:    scale,
		Dataset:  "cifar10",
		Seed:     0,
		Metrics:  map[string]metric.PretrainConfig{},
		NN:       propagate.DefaultConfig(propagate.NearestNeighbour),
		Spectral: propagate.DefaultConfig(propagate.Spectral),
	}
	for _, m := range Table1Metrics {
		pc := metric.DefaultPretrainConfig(m)
		pc.Net = nets.NetConv4
		switch scale {
		case pipeline.Smoke:
			pc.Channels, pc.Steps, pc.BatchSize = 4, 4, 32
			pc.EmbeddingDim, pc.ColorHeadChannels = 32, 16
		case pipeline.Bench:
			pc.Channels, pc.Steps, pc.BatchSize = 16, 600, 128
			if m == metric.MethodBootstrap {
				pc.Steps = 150 // eight networks, one per label count
			}
		}
		cfg.Metrics[m] = pc
	}
	switch scale {
	case pipeline.Smoke:
		cfg.Pool, cfg.Labels = 1000, []int{50, 100}
		cfg.Spectral.Eta = 40
	case pipeline.Bench:
		cfg.Pool, cfg.Labels = 20000, slices.Clone(Table1PaperLabels)
		if dir := release.Find(CIFAR10Release); dir != "" {
			cfg.Released = map[string]string{metric.MethodInstance: dir}
		}
	case pipeline.Paper:
		dir := release.Find(CIFAR10Release)
		if dir == "" {
			return cfg, fmt.Errorf("table 1 at the paper's scale propagates in the released metric %s/%s, which is not there (nor in $%s): "+
				"it is trained on a GPU by lib/gpu/metric.sh (see the README); until then use the bench scale",
				release.MetricsDir, CIFAR10Release, release.EnvMetricsDir)
		}
		cfg.Pool, cfg.Labels, cfg.Rows = 0, slices.Clone(Table1PaperLabels), []string{metric.MethodInstance}
		cfg.Released = map[string]string{metric.MethodInstance: dir}
	default:
		return cfg, pipeline.UnknownScale(scale, pipeline.Smoke, pipeline.Bench, pipeline.Paper)
	}
	return cfg, nil
}

// metrics returns the metrics the configuration computes, in the paper's order.
func (c Table1Config) metrics() []string {
	if len(c.Rows) == 0 {
		return Table1Metrics
	}
	var out []string
	for _, m := range Table1Metrics {
		if slices.Contains(c.Rows, m) {
			out = append(out, m)
		}
	}
	return out
}

// table1Run is one call of RunTable1 (or of Figures 2 and 5, which use its stages).
type table1Run struct {
	*pipeline.Run
	cfg  Table1Config
	pool *pipeline.Pool
	// released names the release each released metric's features came from.
	released map[string]string
}

// RunTable1 runs (or reads from the cache) every stage of Table 1 and returns the grid. For
// each metric, a stage pretrains it and embeds the pool (bootstrapping: one per label count);
// for each metric, label count and propagation method, a stage propagates the seeded,
// class-balanced labels (propagate.Run) and measures the pseudo labels' accuracy and mAP on
// the rest of the pool. onCell, if not nil, receives the table so far after every cell.
func RunTable1(env pipeline.Env, cfg Table1Config, onCell func(*Table1Result)) (*Table1Result, error) {
	r, err := openTable1(env, "table 1", cfg)
	if err != nil {
		return nil, err
	}
	res := &Table1Result{Config: cfg}
	for _, m := range cfg.metrics() {
		pretrainings := []int{0}
		if m == metric.MethodBootstrap {
			pretrainings = cfg.Labels
		}
		features := map[int]*pipeline.FeaturesResult{}
		for _, n := range pretrainings {
			f, err := r.features(m, n)
			if err != nil {
				return nil, err
			}
			features[n] = f
			res.Pretrained = append(res.Pretrained, Table1Pretrained{Metric: m, Labels: n, N: f.N, D: f.D, Timed: f.Timed, Released: r.released[m]})
		}
		for _, n := range cfg.Labels {
			f := features[0]
			if m == metric.MethodBootstrap {
				f = features[n]
			}
			for _, method := range Table1Propagations {
				pc := cfg.NN
				if method == propagate.Spectral {
					pc = cfg.Spectral
				}
				pc.Method = method
				s, err := r.Propagate(f, r.pool, n, pc, fmt.Sprintf("%s, %d labels, %s", m, n, method))
				if err != nil {
					return nil, err
				}
				res.Cells = append(res.Cells, Table1Cell{Timed: s.Timed, Metric: m, Propagation: method, Labels: n, Accuracy: s.Accuracy,
					MAP: s.MAP, Accumulated: propagate.Percentiles(s.Accumulated)})
				res.RunInfo = r.Info()
				if onCell != nil {
					onCell(res)
				}
			}
		}
	}
	return res, nil
}

// openTable1 checks the configuration, loads the training split and draws the pool and every
// label subset, for what (Table 1 or a figure on its stages).
func openTable1(env pipeline.Env, what string, cfg Table1Config) (*table1Run, error) {
	if len(cfg.Labels) == 0 {
		return nil, fmt.Errorf("%s: no label counts in Table1Config.Labels", what)
	}
	for _, m := range cfg.Rows {
		if !slices.Contains(Table1Metrics, m) {
			return nil, fmt.Errorf("%s: row %q is not one of %v", what, m, Table1Metrics)
		}
	}
	for _, m := range cfg.metrics() {
		if _, ok := cfg.Metrics[m]; !ok && cfg.Released[m] == "" {
			return nil, fmt.Errorf("%s: Table1Config.Metrics has no %q pretraining; start from Table1ConfigFor", what, m)
		}
	}
	run, err := env.Open(what, cfg.Scale)
	if err != nil {
		return nil, err
	}
	r := &table1Run{Run: run, cfg: cfg, released: map[string]string{}}
	train, err := r.Load(cfg.Dataset, "train", 0, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if train.C != 3 {
		return nil, fmt.Errorf("%s: %s has %d channel(s); colorization needs RGB images (cifar10 is RGB)", what, train.Name, train.C)
	}
	if r.pool, err = pipeline.DrawPool(train, cfg.Pool, cfg.Seed, cfg.Labels); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return r, nil
}

// features returns the pool's features in metric m: a released metric's, or pretrained here
// on the pool (bootstrapping: on the labels of a column, labels of them).
func (r *table1Run) features(m string, labels int) (*pipeline.FeaturesResult, error) {
	if dir := r.cfg.Released[m]; dir != "" && m != metric.MethodBootstrap {
		f, info, err := r.Run.Released(dir, r.pool, nil, 0)
		if err != nil {
			return nil, r.Errorf("metric "+m, err)
		}
		r.released[m] = info.Name
		return f, nil
	}
	pc := r.cfg.Metrics[m]
	pc.Method = m
	if m != metric.MethodBootstrap {
		labels = 0
	}
	_, f, err := r.PoolMetric(r.pool, m, labels, pc)
	return f, err
}

// table1 applies the options to Table 1's settings.
func (o Options) table1(cfg *Table1Config) error {
	if err := o.only("table 1", "metric"); err != nil {
		return err
	}
	cfg.Released = o.released(cfg.Released)
	return nil
}
