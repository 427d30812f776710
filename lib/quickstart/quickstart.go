package quickstart

import (
	"fmt"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
	"github.com/metric-transfer/mtlp/lib/train"
)

// FashionMNISTRelease is the quickstart's metric as released (package release): instance
// discrimination on Conv-4, trained long, which the small scale transfers when the repository
// holds it.
const FashionMNISTRelease = "instance-conv4-fashion-mnist"

// Config is every knob of the quickstart; ConfigFor gives the defaults of a scale.
type Config struct {
	Scale   string
	Dataset string // a name data.Load knows, e.g. "fashion-mnist".
	// Pool is the number of training images (class-balanced, seeded) that form the unlabeled
	// set U, which is also the metric's source domain S (S = U, as in the paper's §4.1).
	Pool int
	// Labels is the number of labeled examples in total, drawn class-balanced from the pool.
	Labels int
	// Test is the number of test images used for accuracy (0 = the whole test split).
	Test int
	Seed int64
	// Metric is the instance-discrimination pretraining (Method metric.MethodInstance) on the
	// pool.
	Metric metric.PretrainConfig
	// Released, if set, is the folder of a released metric (package release) of the dataset,
	// whose features of the pool replace the metric's pretraining (Metric); the small scale
	// sets it to FashionMNISTRelease when the repository holds it; "" trains the metric here.
	Released string `json:",omitempty"`
	// NN and Spectral configure the two propagation methods (Eq. 5 and Eq. 6).
	NN, Spectral propagate.Config
	Classifier   train.Config
}

// ConfigFor returns the quickstart's settings at a scale: Smoke (seconds) or Small
// (Fashion-MNIST, 10,000 unlabeled images, 100 labels; minutes on a 2-core CPU). Bench, the
// scale the paper's tables use on a CPU, is Small here, so one scale runs every notebook.
func ConfigFor(scale string) (Config, error) {
	if scale == pipeline.Bench {
		scale = pipeline.Small
	}
	cfg := Config{
		Scale:      scale,
		Dataset:    "fashion-mnist",
		Seed:       0,
		Metric:     metric.DefaultPretrainConfig(metric.MethodInstance),
		NN:         propagate.DefaultConfig(propagate.NearestNeighbour),
		Spectral:   propagate.DefaultConfig(propagate.Spectral),
		Classifier: train.DefaultConfig(),
	}
	switch scale {
	case pipeline.Small:
		cfg.Pool, cfg.Labels, cfg.Test = 10000, 100, 0
		// A narrower metric network trained longer: on this pool, 16 channels × 1000 steps
		// reached a leave-one-out 20-NN accuracy of 0.79 in 6.7 minutes on 2 cores, against 0.75
		// for 32 channels × 400 steps in 4.4 (2-core development machine, 2026-11-26); instance
		// discrimination gains more from epochs than from width.
		cfg.Metric.Channels, cfg.Metric.Steps, cfg.Metric.BatchSize = 16, 1000, 128
		cfg.Classifier.Channels, cfg.Classifier.Steps, cfg.Classifier.BatchSize = 32, 300, 64
		cfg.Released = release.Find(FashionMNISTRelease)
	case pipeline.Smoke:
		cfg.Pool, cfg.Labels, cfg.Test = 400, 20, 200
		cfg.Metric.Channels, cfg.Metric.Steps, cfg.Metric.BatchSize = 8, 8, 32
		cfg.Metric.EmbeddingDim = 32
		cfg.Classifier.Channels, cfg.Classifier.Steps, cfg.Classifier.BatchSize = 8, 8, 32
		cfg.Spectral.Eta = 40
	default:
		return cfg, pipeline.UnknownScale(scale, pipeline.Smoke, pipeline.Small)
	}
	return cfg, nil
}

// Stages runs the quickstart's stages, each cached on disk, so that a notebook can show one
// stage per cell and a rerun recomputes only what a changed knob affects.
type Stages struct {
	Config Config
	// Train and Test are the dataset's splits (Test sampled to Config.Test images).
	Train, Test *data.Dataset
	// Pool are the indices in Train of the unlabeled set; Labeled are positions in Pool.
	Pool, Labeled []int

	r    *pipeline.Run
	pool *pipeline.Pool
	test *pipeline.Split
}

// New loads the data and draws the pool, the labeled subset and the test subset.
func New(env pipeline.Env, cfg Config) (*Stages, error) {
	r, err := env.Open("quickstart", cfg.Scale)
	if err != nil {
		return nil, err
	}
	train, err := r.Load(cfg.Dataset, "train", 0, cfg.Seed)
	if err != nil {
		return nil, err
	}
	q := &Stages{Config: cfg, r: r, Train: train.Dataset}
	if q.test, err = r.Load(cfg.Dataset, "test", cfg.Test, cfg.Seed); err != nil {
		return nil, fmt.Errorf("quickstart: test subset: %w", err)
	}
	if q.pool, err = pipeline.DrawPool(train, cfg.Pool, cfg.Seed, []int{cfg.Labels}); err != nil {
		return nil, fmt.Errorf("quickstart: %w", err)
	}
	q.Test, q.Pool, q.Labeled = q.test.Dataset, q.pool.Rows, q.pool.Labeled[cfg.Labels]
	return q, nil
}

// NumClasses is the number of classes of the dataset.
func (q *Stages) NumClasses() int { return q.Train.NumClasses() }

// PoolLabels returns the true labels of the pool (used only to measure pseudo-label accuracy).
func (q *Stages) PoolLabels() []int32 { return q.pool.Truth }
