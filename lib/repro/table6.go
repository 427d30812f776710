package repro

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// Table 6 of the paper is transfer learning (§4.2): the metric is pretrained on a source
// dataset S and transferred to a different, unlabeled target U, by network finetuning or by
// spectral propagation of the target's few labels. The paper's pair is ImageNet32 → CIFAR-10;
// without ImageNet32 here, MNIST → Fashion-MNIST stands in (see DESIGN.md, "Stand-ins").

// Table 6's metric pretrainings: the keys of Table6Config.Metrics and the Metric of its rows.
const (
	// Table6Unsupervised is instance discrimination (Eq. 2) on the source images, their labels
	// unused: the paper's "Unsupervised" rows.
	Table6Unsupervised = metric.MethodInstance
	// Table6Supervised is supervised learning on the source images and labels: the paper's
	// "Supervised" rows (softmax classification on ImageNet).
	Table6Supervised = "supervised"
)

// Table6Finetune is Table 6's "Network finetuning" transfer: the classifier starts from the
// metric's network and trains on the target's labels alone (no propagation, as in Table 2).
const Table6Finetune = NoPropagation

// Table6Row is a row of Table 6: a metric pretraining on the source and a transfer method,
// Table6Finetune or propagate.Spectral; a Table 2 row, whose propagation "none" is finetuning.
type Table6Row = Table2Row

// Table6Rows are the paper's rows, in its order.
var Table6Rows = []Table6Row{
	{Table6Unsupervised, Table6Finetune}, {Table6Unsupervised, propagate.Spectral},
	{Table6Supervised, Table6Finetune}, {Table6Supervised, propagate.Spectral},
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
	// DESIGN's second stand-in).
	Source, Target string
	DataDir        string `json:"-"`
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
	KNN      int
	CacheDir string `json:"-"`
	Command  string `json:"-"`
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
		pc.Net = metric.NetConv4
		switch scale {
		case Smoke:
			pc.Channels, pc.Steps, pc.BatchSize, pc.EmbeddingDim = 4, 4, 32, 32
		case Bench:
			pc.Channels, pc.Steps, pc.BatchSize = 32, 600, 128
			if m == Table6Supervised {
				pc.Steps = 400 // five epochs of 10,000 digits: supervised training converges fast
			}
		}
		cfg.Metrics[m] = pc
	}
	c := &cfg.Classifier
	switch scale {
	case Smoke:
		cfg.SourcePool, cfg.Pool, cfg.Test, cfg.Labels, cfg.KNN = 600, 400, 200, []int{20, 40}, 20
		c.Channels, c.Steps, c.BatchSize = 4, 4, 32
		cfg.Spectral.Eta = 40
	case Bench:
		cfg.SourcePool, cfg.Pool, cfg.Test, cfg.Labels, cfg.KNN = 10000, 10000, 0, []int{50, 250, 1000}, 200
		c.Channels, c.Steps, c.BatchSize = 32, 300, 64
	default:
		return cfg, unknownScale(scale, Smoke, Bench)
	}
	return cfg, nil
}

// table6Run is one call of RunTable6.
type table6Run struct {
	cfg                  Table6Config
	backend              backends.Backend
	progress             fit.Progress
	store                *artifact.Store
	source, sourceTest   *data.Dataset
	target, test         *data.Dataset
	sourcePool, pool     []int
	truth                []int32 // the target pool's labels
	labeled              map[int][]int
	sourceKey, targetKey string
	computed             int
}

// table6Metric is a metric pretrained on the source and its embedding of the target pool.
type table6Metric struct {
	info     Table6Pretrained
	dir, key string // the pretraining stage: its directory holds the network in metric/
	features *FeaturesResult
}

// RunTable6 computes (or reads from the cache) every cell of cfg.Rows × cfg.Labels: each
// metric is pretrained once on the source and embeds the target pool; a spectral row
// propagates the target's labels over the pool and trains a classifier on them plus the
// confidence-weighted pseudo labels (Eq. 10); a finetuning row trains a classifier from the
// metric's network on the labels alone. Both are measured on the target's test split. onCell,
// if not nil, receives the table so far after every cell.
func RunTable6(backend backends.Backend, cfg Table6Config, progress fit.Progress, onCell func(*Table6Result)) (*Table6Result, error) {
	start := time.Now()
	r := &table6Run{cfg: cfg, backend: backend, progress: progress, labeled: map[int][]int{}}
	if err := r.open(); err != nil {
		return nil, err
	}
	res := &Table6Result{Config: cfg}
	finish := func() {
		prov := NewProvenance(backend.Name(), cfg.Scale, 0, cfg.Command)
		for _, p := range res.Pretrained {
			prov.Seconds += p.Seconds + p.EmbedSeconds
		}
		for _, c := range res.Cells {
			prov.Seconds += c.Seconds + c.PropagationSeconds
		}
		res.Provenance, res.Computed, res.Wall = prov, r.computed, time.Since(start).Seconds()
	}
	metrics := map[string]*table6Metric{}
	for _, row := range cfg.Rows {
		if metrics[row.Metric] != nil {
			continue
		}
		m, err := r.metric(row.Metric)
		if err != nil {
			return nil, err
		}
		metrics[row.Metric] = m
		res.Pretrained = append(res.Pretrained, m.info)
	}
	for _, n := range cfg.Labels {
		for _, row := range cfg.Rows {
			m := metrics[row.Metric]
			var prop *PropagationResult
			if row.Propagation == propagate.Spectral {
				var err error
				if prop, err = r.propagate(m, row, n); err != nil {
					return nil, err
				}
			}
			cell, err := r.classify(row, n, m, prop)
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

// open checks the configuration, loads both datasets' splits and draws the source pool, the
// target pool, the test subsets and every label subset.
func (r *table6Run) open() error {
	cfg := r.cfg
	if len(cfg.Labels) == 0 || len(cfg.Rows) == 0 {
		return fmt.Errorf("table 6: Table6Config needs label counts and rows")
	}
	for _, row := range cfg.Rows {
		if !slices.Contains(Table6Rows, row) {
			return fmt.Errorf("table 6: unknown row %s/%s (want one of %v)", row.Metric, row.Propagation, Table6Rows)
		}
		pc, ok := cfg.Metrics[row.Metric]
		if !ok {
			return fmt.Errorf("table 6: Table6Config.Metrics has no %q pretraining; start from Table6ConfigFor", row.Metric)
		}
		want := []string{metric.MethodInstance}
		if row.Metric == Table6Supervised {
			want = []string{metric.MethodBootstrap, metric.MethodNCA}
		}
		if !slices.Contains(want, pc.Method) {
			return fmt.Errorf("table 6: the %q pretraining has Method %q, want one of %q", row.Metric, pc.Method, want)
		}
	}
	var err error
	if r.store, err = artifact.Open(cfg.CacheDir); err != nil {
		return err
	}
	load := func(name, split string, n int) (*data.Dataset, error) {
		base, classes, _ := strings.Cut(name, ":")
		ds, err := data.Load(cfg.DataDir, base, split)
		if err == nil && classes != "" {
			names := strings.Split(classes, ",")
			if ds, err = classSubset(ds, names, 0, cfg.Seed); err == nil {
				ds.Name += "[" + classes + "]"
			}
		}
		if err != nil || n <= 0 || n >= ds.N {
			return ds, err
		}
		idx, err := data.SampleSubset(ds.Labels, ds.NumClasses(), n, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("table 6: %d images of %s: %w", n, ds.Name, err)
		}
		return ds.Subset(idx)
	}
	if r.source, err = load(cfg.Source, "train", 0); err != nil {
		return err
	}
	if r.target, err = load(cfg.Target, "train", 0); err != nil {
		return err
	}
	if r.source.H != r.target.H || r.source.W != r.target.W || r.source.C != r.target.C {
		return fmt.Errorf("table 6: source %s has %d×%d×%d images, target %s %d×%d×%d; the metric's network needs one shape (pick a source and target of the same size)",
			r.source.Name, r.source.H, r.source.W, r.source.C, r.target.Name, r.target.H, r.target.W, r.target.C)
	}
	if r.test, err = load(cfg.Target, "test", cfg.Test); err != nil {
		return err
	}
	if cfg.KNN > 0 {
		if r.sourceTest, err = load(cfg.Source, "test", cfg.Test); err != nil {
			return err
		}
	}
	if r.sourcePool, err = data.SampleSubset(r.source.Labels, r.source.NumClasses(), cfg.SourcePool, cfg.Seed); err != nil {
		return fmt.Errorf("table 6: source pool of %d: %w", cfg.SourcePool, err)
	}
	k := r.target.NumClasses()
	if r.pool, err = data.SampleSubset(r.target.Labels, k, cfg.Pool, cfg.Seed); err != nil {
		return fmt.Errorf("table 6: target pool of %d: %w", cfg.Pool, err)
	}
	r.truth = pick(r.target.Labels, r.pool)
	for _, n := range cfg.Labels {
		if r.labeled[n], err = data.SampleLabeled(r.truth, k, n, cfg.Seed); err != nil {
			return fmt.Errorf("table 6: %d labels from a target pool of %d: %w", n, len(r.pool), err)
		}
	}
	shape := fmt.Sprintf("%dx%dx%d", r.source.H, r.source.W, r.source.C)
	r.sourceKey = fmt.Sprintf("source=%s/%d/%s/pool=%d/seed=%d", r.source.Name, r.source.N, shape, len(r.sourcePool), cfg.Seed)
	if r.sourceTest != nil {
		r.sourceKey += fmt.Sprintf("/test=%d", r.sourceTest.N)
	}
	r.targetKey = fmt.Sprintf("target=%s/%d/%s/pool=%d/test=%d/seed=%d", r.target.Name, r.target.N, shape, len(r.pool), r.test.N, cfg.Seed)
	return nil
}

// metric pretrains metric m on the source pool (one stage, keeping the network), then embeds
// the target pool with it (a second stage, so that a change of target reuses the network),
// measuring the metric by weighted kNN on both test splits.
func (r *table6Run) metric(m string) (*table6Metric, error) {
	pc := r.cfg.Metrics[m]
	pc.Progress, pc.CheckpointDir = nil, ""
	tag := fmt.Sprintf("%s (%s on %s)", m, pc.Method, r.cfg.Source)
	key, err := artifact.Key("table6-pretrain", pc, r.sourceKey, fmt.Sprintf("knn=%d", r.cfg.KNN))
	if err != nil {
		return nil, err
	}
	info, dir, cached, err := stageJSONDir(r.store, key, "pretrained.json", &r.computed, func(dir string) (*Table6Pretrained, error) {
		start := time.Now()
		p, rate, err := pretrainKept(r.backend, r.store, key, dir, r.source, r.sourcePool, pc, tagged(r.progress, tag))
		if err != nil {
			return nil, err
		}
		info := &Table6Pretrained{Metric: m, Method: pc.Method, Source: r.source.Name, N: len(r.sourcePool), Steps: p.Info.Steps,
			Epochs: float64(p.Info.Steps*pc.BatchSize) / float64(len(r.sourcePool)), ImagesPerSecond: rate}
		if r.cfg.KNN > 0 {
			if info.SourceKNNAccuracy, err = r.knn(p, r.source, r.sourcePool, r.sourceTest, tag+", source"); err != nil {
				return nil, err
			}
		}
		info.Seconds = time.Since(start).Seconds()
		return info, nil
	})
	if err != nil {
		return nil, fmt.Errorf("table 6, metric %s: %w", tag, err)
	}
	res := &table6Metric{dir: dir, key: key, info: *info}
	if res.features, err = r.embed(res, tag); err != nil {
		return nil, err
	}
	res.info.Cached = cached && res.features.Cached
	return res, nil
}

// embed computes the features of the target pool in the pretrained metric m and fills in m's
// target fields.
func (r *table6Run) embed(m *table6Metric, tag string) (*FeaturesResult, error) {
	key, err := artifact.Key("table6-embed", m.key, r.targetKey, fmt.Sprintf("knn=%d", r.cfg.KNN))
	if err != nil {
		return nil, err
	}
	var knn func(*metric.Pretrained, propagate.Matrix) (float64, error)
	if r.cfg.KNN > 0 {
		knn = func(p *metric.Pretrained, _ propagate.Matrix) (float64, error) {
			return r.knn(p, r.target, r.pool, r.test, tag+", target")
		}
	}
	f, e, err := embedKept(r.backend, r.store, key, filepath.Join(m.dir, "metric"), r.target, r.pool, tagged(r.progress, tag+", target"), knn, &r.computed)
	if err != nil {
		return nil, fmt.Errorf("table 6, metric %s, embedding %s: %w", tag, r.cfg.Target, err)
	}
	m.info.Target, m.info.TargetN, m.info.D, m.info.TargetKNNAccuracy, m.info.EmbedSeconds = r.target.Name, f.N, e.D, e.KNNAccuracy, f.Seconds
	return f, nil
}

// knn is the weighted kNN test accuracy of metric p with the images pool of ds as the labelled
// set and test as the queries (Wu et al.'s monitor, temperature 0.1).
func (r *table6Run) knn(p *metric.Pretrained, ds *data.Dataset, pool []int, test *data.Dataset, tag string) (float64, error) {
	f, d, err := p.Features(ds, pool, tagged(r.progress, tag))
	if err != nil {
		return 0, err
	}
	q, _, err := p.Features(test, nil, tagged(r.progress, tag+" test"))
	if err != nil {
		return 0, err
	}
	x, y := propagate.Matrix{N: len(pool), D: d, Data: f}, propagate.Matrix{N: test.N, D: d, Data: q}
	return propagate.KNNTestAccuracy(x, pick(ds.Labels, pool), y, test.Labels, ds.NumClasses(), min(r.cfg.KNN, len(pool)), 0.1)
}

// propagate spreads a label count's target labels over the target pool in metric m (Eq. 6).
func (r *table6Run) propagate(m *table6Metric, row Table6Row, labels int) (*PropagationResult, error) {
	pcfg := r.cfg.Spectral
	pcfg.Method = row.Propagation
	tag := fmt.Sprintf("%s, %d labels, %s", row.Metric, labels, row.Propagation)
	key, err := artifact.Key("table6-propagate", pcfg, m.features.key, r.targetKey, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	dir, cached, err := r.store.Build(key, func(dir string) error {
		r.computed++
		s, err := propagateScored(m.features, r.labeled[labels], r.truth, r.target.NumClasses(), pcfg, tagged(r.progress, tag))
		if err != nil {
			return err
		}
		return artifact.WriteJSON(filepath.Join(dir, "result.json"), s)
	})
	if err != nil {
		return nil, fmt.Errorf("table 6, %s: %w", tag, err)
	}
	res := &PropagationResult{key: key}
	if err := artifact.ReadJSON(filepath.Join(dir, "result.json"), res); err != nil {
		return nil, err
	}
	res.Cached = cached
	return res, nil
}

// classify trains the row's classifier on the target at a label count and measures it on the
// target's test split: from the metric's network on the labels alone (finetuning), or from
// scratch on the labels and the confidence-weighted pseudo labels prop (spectral).
func (r *table6Run) classify(row Table6Row, labels int, m *table6Metric, prop *PropagationResult) (*Table6Cell, error) {
	cc := r.cfg.Classifier
	finetune := row.Propagation == Table6Finetune
	if finetune {
		// The metric's network, so that its weights fit; loaded only if the stage is computed.
		info, err := readPretrainInfo(filepath.Join(m.dir, "metric"))
		if err != nil {
			return nil, err
		}
		cc.Net, cc.Channels, cc.InitFrom = info.Net, info.Channels, m.key
	}
	cc.Progress, cc.CheckpointDir = nil, ""
	tag := fmt.Sprintf("%s, %d labels, %s", row.Metric, labels, table6TransferName(row.Propagation))
	cc.Stage = "classifier (" + tag + ")"
	input := r.targetKey
	if prop != nil {
		input = prop.key
	}
	key, err := artifact.Key("table6-classifier", cc, row.Metric+"/"+string(row.Propagation), input, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	cell, cached, err := stageJSON(r.store, key, "cell.json", &r.computed, func(string) (*Table6Cell, error) {
		start := time.Now()
		scratch, err := r.store.Scratch(key)
		if err != nil {
			return nil, err
		}
		cc.CheckpointDir, cc.Progress = filepath.Join(scratch, "checkpoints"), tagged(r.progress, tag)
		metricDir := ""
		if finetune {
			metricDir = filepath.Join(m.dir, "metric")
		}
		cell, err := classifierCell(r.backend, r.target, r.test, r.pool, r.truth, r.labeled[labels], prop, metricDir, cc)
		if err != nil {
			return nil, err
		}
		cell.Metric, cell.Propagation, cell.Labels = row.Metric, row.Propagation, labels
		cell.Seconds = time.Since(start).Seconds()
		return &cell, nil
	})
	if err != nil {
		return nil, fmt.Errorf("table 6, %s: %w", tag, err)
	}
	cell.Cached = cached
	return cell, nil
}
