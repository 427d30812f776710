package repro

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// QuickstartConfig is every knob of the quickstart; QuickstartConfigFor gives the defaults of a scale.
type QuickstartConfig struct {
	Scale   string
	Dataset string // a name data.Load knows, e.g. "fashion-mnist".
	DataDir string // "" means data.DataDir().
	// Pool is the number of training images (class-balanced, seeded) that form the unlabeled
	// set U, which is also the metric's source domain S (S = U, as in the paper's §4.1).
	Pool int
	// Labels is the number of labeled examples in total, drawn class-balanced from the pool.
	Labels int
	// Test is the number of test images used for accuracy (0 = the whole test split).
	Test        int
	Seed        int64
	Metric      metric.InstanceConfig
	Propagation propagate.Config
	Classifier  train.Config
	// CacheDir holds the stage outputs ("" means artifact.DefaultDir()).
	CacheDir string
}

// QuickstartConfigFor returns the quickstart's settings at a scale: Smoke (seconds) or Small
// (Fashion-MNIST, 10,000 unlabeled images, 100 labels; minutes on a 2-core CPU).
func QuickstartConfigFor(scale string) (QuickstartConfig, error) {
	cfg := QuickstartConfig{
		Scale:       scale,
		Dataset:     "fashion-mnist",
		Seed:        0,
		Metric:      metric.DefaultInstanceConfig(),
		Propagation: propagate.DefaultConfig(),
		Classifier:  train.DefaultConfig(),
	}
	switch scale {
	case Small:
		cfg.Pool, cfg.Labels, cfg.Test = 10000, 100, 0
		cfg.Metric.Channels, cfg.Metric.Steps, cfg.Metric.BatchSize = 32, 400, 128
		cfg.Classifier.Channels, cfg.Classifier.Steps, cfg.Classifier.BatchSize = 32, 300, 64
	case Smoke:
		cfg.Pool, cfg.Labels, cfg.Test = 400, 20, 200
		cfg.Metric.Channels, cfg.Metric.Steps, cfg.Metric.BatchSize = 8, 8, 32
		cfg.Metric.EmbeddingDim = 32
		cfg.Classifier.Channels, cfg.Classifier.Steps, cfg.Classifier.BatchSize = 8, 8, 32
		cfg.Propagation.Eta = 40
	default:
		return cfg, unknownScale(scale)
	}
	return cfg, nil
}

// Quickstart runs the pipeline's stages, each cached on disk, so that a notebook can show one
// stage per cell and a rerun recomputes only what a changed knob affects.
type Quickstart struct {
	Config QuickstartConfig
	// Progress, if set, receives progress reports of the long stages.
	Progress fit.Progress

	backend     backends.Backend
	store       *artifact.Store
	Train, Test *data.Dataset
	// Pool are the indices in Train of the unlabeled set; Labeled are positions in Pool.
	Pool, Labeled []int
	dataKey       string
}

// NewQuickstart loads the data and draws the pool, the labeled subset and the test subset.
func NewQuickstart(backend backends.Backend, cfg QuickstartConfig) (*Quickstart, error) {
	q := &Quickstart{Config: cfg, backend: backend}
	var err error
	if q.store, err = artifact.Open(cfg.CacheDir); err != nil {
		return nil, err
	}
	if q.Train, err = data.Load(cfg.DataDir, cfg.Dataset, "train"); err != nil {
		return nil, err
	}
	if q.Test, err = data.Load(cfg.DataDir, cfg.Dataset, "test"); err != nil {
		return nil, err
	}
	k := q.Train.NumClasses()
	if q.Pool, err = data.SampleSubset(q.Train.Labels, k, cfg.Pool, cfg.Seed); err != nil {
		return nil, fmt.Errorf("quickstart: unlabeled pool: %w", err)
	}
	poolLabels := make([]int32, len(q.Pool))
	for i, p := range q.Pool {
		poolLabels[i] = q.Train.Labels[p]
	}
	if q.Labeled, err = data.SampleLabeled(poolLabels, k, cfg.Labels, cfg.Seed); err != nil {
		return nil, fmt.Errorf("quickstart: labeled subset: %w", err)
	}
	if cfg.Test > 0 && cfg.Test < q.Test.N {
		idx, err := data.SampleSubset(q.Test.Labels, k, cfg.Test, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("quickstart: test subset: %w", err)
		}
		if q.Test, err = q.Test.Subset(idx); err != nil {
			return nil, err
		}
	}
	q.dataKey = fmt.Sprintf("%s/%d/%d/%d/%d", cfg.Dataset, cfg.Pool, cfg.Labels, cfg.Test, cfg.Seed)
	return q, nil
}

// NumClasses is the number of classes of the dataset.
func (q *Quickstart) NumClasses() int { return q.Train.NumClasses() }

// PoolLabels returns the true labels of the pool (used only to measure pseudo-label accuracy).
func (q *Quickstart) PoolLabels() []int32 {
	y := make([]int32, len(q.Pool))
	for i, p := range q.Pool {
		y[i] = q.Train.Labels[p]
	}
	return y
}

// Timed is a stage's output with the seconds it took to compute and whether it came from the cache.
type Timed struct {
	Seconds float64 `json:"seconds"`
	Cached  bool    `json:"cached"`
}

// FeaturesResult is the metric's embedding of the pool.
type FeaturesResult struct {
	Timed
	Features []float32 `json:"-"`
	N, D     int
}

// Features pretrains the metric by instance discrimination on the pool and embeds the pool.
func (q *Quickstart) Features() (*FeaturesResult, error) {
	mc := q.Config.Metric
	mc.Progress = nil
	key, err := artifact.Key("features", mc, q.dataKey)
	if err != nil {
		return nil, err
	}
	res := &FeaturesResult{}
	dir, cached, err := q.store.Build(key, func(dir string) error {
		start := time.Now()
		scratch, err := q.store.Scratch(key)
		if err != nil {
			return err
		}
		mc.CheckpointDir = filepath.Join(scratch, "checkpoints")
		mc.Progress = q.Progress
		model, err := metric.TrainInstance(q.backend, q.Train, q.Pool, mc)
		if err != nil {
			return err
		}
		f, d, err := model.Features(q.Train, q.Pool, q.Progress)
		if err != nil {
			return err
		}
		if err := artifact.WriteFloat32s(filepath.Join(dir, "features.bin"), f, len(q.Pool), d); err != nil {
			return err
		}
		return artifact.WriteJSON(filepath.Join(dir, "timing.json"), Timed{Seconds: time.Since(start).Seconds()})
	})
	if err != nil {
		return nil, err
	}
	if res.Features, res.N, res.D, err = artifact.ReadFloat32s(filepath.Join(dir, "features.bin")); err != nil {
		return nil, err
	}
	if err := artifact.ReadJSON(filepath.Join(dir, "timing.json"), &res.Timed); err != nil {
		return nil, err
	}
	res.Cached = cached
	return res, nil
}
