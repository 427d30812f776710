package repro

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
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
func paperAt(table map[string]map[propagate.Method][]float64, metricName string, method propagate.Method, labels int) (float64, bool) {
	i := slices.Index(Table1PaperLabels, labels)
	row := table[metricName][method]
	if i < 0 || i >= len(row) {
		return 0, false
	}
	return row[i], true
}

// Table1Config is every knob of Table 1; Table1ConfigFor gives the defaults of a scale.
type Table1Config struct {
	Scale   string
	Dataset string // a name data.Load knows; "cifar10" (the JPEG copy here).
	DataDir string `json:"-"` // "" means data.DataDir().
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
	Rows     []string `json:",omitempty"`
	CacheDir string   `json:"-"` // "" means artifact.DefaultDir().
	// Command is how to reproduce the run, recorded in the provenance.
	Command string `json:"-"`
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
		pc.Net = metric.NetConv4
		switch scale {
		case Smoke:
			pc.Channels, pc.Steps, pc.BatchSize = 4, 4, 32
			pc.EmbeddingDim, pc.ColorHeadChannels = 32, 16
		case Bench:
			pc.Channels, pc.Steps, pc.BatchSize = 16, 600, 128
			if m == metric.MethodBootstrap {
				pc.Steps = 150 // eight networks, one per label count
			}
		}
		cfg.Metrics[m] = pc
	}
	switch scale {
	case Smoke:
		cfg.Pool, cfg.Labels = 1000, []int{50, 100}
		cfg.Spectral.Eta = 40
	case Bench:
		cfg.Pool, cfg.Labels = 20000, slices.Clone(Table1PaperLabels)
		if dir := release.Find(CIFAR10Release); dir != "" {
			cfg.Released = map[string]string{metric.MethodInstance: dir}
		}
	case Paper:
		dir := release.Find(CIFAR10Release)
		if dir == "" {
			return cfg, fmt.Errorf("table 1 at the paper's scale propagates in the released metric %s/%s, which is not there (nor in $%s): "+
				"it is trained on a GPU by lib/gpu/metric.sh (see the README); until then use the bench scale",
				release.MetricsDir, CIFAR10Release, release.EnvMetricsDir)
		}
		cfg.Pool, cfg.Labels, cfg.Rows = 0, slices.Clone(Table1PaperLabels), []string{metric.MethodInstance}
		cfg.Released = map[string]string{metric.MethodInstance: dir}
	default:
		return cfg, unknownScale(scale, Smoke, Bench, Paper)
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

// table1Run is one call of RunTable1: the data, the store and the stages computed so far.
type table1Run struct {
	cfg      Table1Config
	backend  backends.Backend
	progress fit.Progress
	store    *artifact.Store
	train    *data.Dataset
	pool     []int   // indices in train
	truth    []int32 // true labels of the pool
	labeled  map[int][]int
	dataKey  string
	computed int
	// released names the release each released metric's features came from.
	released map[string]string
}

// RunTable1 runs (or reads from the cache) every stage of Table 1 and returns the grid. For
// each metric, a stage pretrains it and embeds the pool (bootstrapping: one per label count);
// for each metric, label count and propagation method, a stage propagates the seeded,
// class-balanced labels (propagate.Run) and measures the pseudo labels' accuracy and mAP on
// the rest of the pool. progress, which may be nil, receives every stage's progress, its name
// prefixed by the cell it belongs to.
func RunTable1(backend backends.Backend, cfg Table1Config, progress fit.Progress) (*Table1Result, error) {
	start := time.Now()
	prov := NewProvenance(backend.Name(), cfg.Scale, 0, cfg.Command)
	r := &table1Run{cfg: cfg, backend: backend, progress: progress, labeled: map[int][]int{}}
	if err := r.open(); err != nil {
		return nil, err
	}
	res := &Table1Result{Config: cfg}
	for _, m := range cfg.metrics() {
		pretrainings := []int{0}
		if m == metric.MethodBootstrap {
			pretrainings = cfg.Labels
		}
		features := map[int]*FeaturesResult{}
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
				c, err := r.propagate(f, m, method, n)
				if err != nil {
					return nil, err
				}
				res.Cells = append(res.Cells, *c)
			}
		}
	}
	for _, p := range res.Pretrained {
		prov.Seconds += p.Seconds
	}
	for _, c := range res.Cells {
		prov.Seconds += c.Seconds
	}
	res.Provenance, res.Computed, res.Wall = prov, r.computed, time.Since(start).Seconds()
	return res, nil
}

// open checks the configuration, loads the training split and draws the pool and every
// label subset.
func (r *table1Run) open() error {
	cfg := r.cfg
	if len(cfg.Labels) == 0 {
		return fmt.Errorf("table 1: no label counts in Table1Config.Labels")
	}
	for _, m := range cfg.Rows {
		if !slices.Contains(Table1Metrics, m) {
			return fmt.Errorf("table 1: row %q is not one of %v", m, Table1Metrics)
		}
	}
	for _, m := range cfg.metrics() {
		if _, ok := cfg.Metrics[m]; !ok && cfg.Released[m] == "" {
			return fmt.Errorf("table 1: Table1Config.Metrics has no %q pretraining; start from Table1ConfigFor", m)
		}
	}
	var err error
	if r.store, err = artifact.Open(cfg.CacheDir); err != nil {
		return err
	}
	if r.train, err = data.Load(cfg.DataDir, cfg.Dataset, "train"); err != nil {
		return err
	}
	if r.train.C != 3 {
		return fmt.Errorf("table 1: %s has %d channel(s); colorization needs RGB images (cifar10 is RGB)", r.train.Name, r.train.C)
	}
	k := r.train.NumClasses()
	if r.pool, err = data.SampleSubset(r.train.Labels, k, cfg.Pool, cfg.Seed); err != nil {
		return fmt.Errorf("table 1: unlabeled pool of %d: %w", cfg.Pool, err)
	}
	r.truth = pick(r.train.Labels, r.pool)
	for _, n := range cfg.Labels {
		if r.labeled[n], err = data.SampleLabeled(r.truth, k, n, cfg.Seed); err != nil {
			return fmt.Errorf("table 1: %d labels from a pool of %d: %w", n, len(r.pool), err)
		}
	}
	r.dataKey = fmt.Sprintf("%s/%d/%dx%dx%d/pool=%d/seed=%d", r.train.Name, r.train.N, r.train.H, r.train.W, r.train.C, len(r.pool), cfg.Seed)
	return nil
}

// features pretrains metric m and embeds the pool; labels is the label count bootstrapping
// trains on (0 for the unsupervised metrics, which train on the whole pool).
func (r *table1Run) features(m string, labels int) (*FeaturesResult, error) {
	if dir := r.cfg.Released[m]; dir != "" && m != metric.MethodBootstrap {
		f, info, err := releasedFeatures(r.store, dir, r.train, nil, r.pool, r.truth, 0, r.dataKey)
		if err != nil {
			return nil, fmt.Errorf("table 1, metric %s: %w", m, err)
		}
		if r.released == nil {
			r.released = map[string]string{}
		}
		r.released[m] = info.Name
		return f, nil
	}
	pc := r.cfg.Metrics[m]
	pc.Method, pc.Progress, pc.CheckpointDir = m, nil, ""
	subset, tag := r.pool, m
	if m == metric.MethodBootstrap {
		subset, tag = pick(r.pool, r.labeled[labels]), fmt.Sprintf("%s on %d labels", m, labels)
		pc.BatchSize = min(pc.BatchSize, labels)
	}
	key, err := artifact.Key("table1-features", pc, r.dataKey, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	dir, cached, err := r.store.Build(key, func(dir string) error {
		r.computed++
		start := time.Now()
		scratch, err := r.store.Scratch(key)
		if err != nil {
			return err
		}
		pc.CheckpointDir, pc.Progress = filepath.Join(scratch, "checkpoints"), tagged(r.progress, tag)
		p, err := metric.Pretrain(r.backend, r.train, subset, pc)
		if err != nil {
			return err
		}
		f, d, err := p.Features(r.train, r.pool, tagged(r.progress, tag))
		if err != nil {
			return err
		}
		return writeFeatures(dir, f, len(r.pool), d, time.Since(start).Seconds())
	})
	if err != nil {
		return nil, fmt.Errorf("table 1, metric %s: %w", tag, err)
	}
	return readFeatures(dir, key, cached)
}

// propagate spreads the labels-count subset over the pool in the metric f by method and
// measures the pseudo labels on the rest of the pool.
func (r *table1Run) propagate(f *FeaturesResult, m string, method propagate.Method, labels int) (*Table1Cell, error) {
	pcfg := r.cfg.NN
	if method == propagate.Spectral {
		pcfg = r.cfg.Spectral
	}
	pcfg.Method = method
	tag := fmt.Sprintf("%s, %d labels, %s", m, labels, method)
	key, err := artifact.Key("table1-propagate", pcfg, f.key, r.dataKey, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	dir, cached, err := r.store.Build(key, func(dir string) error {
		r.computed++
		s, err := propagateScored(f, r.labeled[labels], r.truth, r.train.NumClasses(), pcfg, tagged(r.progress, tag))
		if err != nil {
			return err
		}
		c := Table1Cell{Metric: m, Propagation: method, Labels: labels, Accuracy: s.Accuracy, MAP: s.MAP,
			Accumulated: Percentiles(s.Accumulated)}
		c.Seconds = s.Seconds
		return artifact.WriteJSON(filepath.Join(dir, "cell.json"), c)
	})
	if err != nil {
		return nil, fmt.Errorf("table 1, %s: %w", tag, err)
	}
	c := &Table1Cell{}
	if err := artifact.ReadJSON(filepath.Join(dir, "cell.json"), c); err != nil {
		return nil, err
	}
	c.Cached = cached
	return c, nil
}
