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

// Timed says how long a stage took when it was computed and whether this call read it from
// the cache instead.
type Timed struct {
	Seconds float64 `json:"seconds"`
	Cached  bool    `json:"cached"`
}

// FeaturesResult is the metric's embedding of the pool: a row-major N×D matrix of unit rows.
type FeaturesResult struct {
	Timed
	Features []float32
	N, D     int
	key      string
	dir      string // the stage's directory
}

// Features pretrains the metric by instance discrimination on the pool (Eq. 2) and embeds the
// pool, or reads the pool's features from the released metric of Config.Released. Cached by
// the metric's configuration (or the release) and the data.
func (q *Quickstart) Features() (*FeaturesResult, error) {
	if dir := q.Config.Released; dir != "" {
		f, _, err := releasedFeatures(q.store, dir, q.Train, nil, q.Pool, nil, 0, q.dataKey)
		if err != nil {
			return nil, fmt.Errorf("metric: %w", err)
		}
		return f, nil
	}
	mc := q.Config.Metric
	mc.Progress, mc.CheckpointDir = nil, ""
	key, err := artifact.Key("features", mc, q.dataKey)
	if err != nil {
		return nil, err
	}
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
		return writeFeatures(dir, f, len(q.Pool), d, time.Since(start).Seconds())
	})
	if err != nil {
		return nil, fmt.Errorf("metric: %w", err)
	}
	return readFeatures(dir, key, cached)
}

// writeFeatures stores an n×d feature matrix and the seconds it took in a stage's directory.
func writeFeatures(dir string, f []float32, n, d int, seconds float64) error {
	if err := artifact.WriteFloat32s(filepath.Join(dir, "features.bin"), f, n, d); err != nil {
		return err
	}
	return artifact.WriteJSON(filepath.Join(dir, "timing.json"), Timed{Seconds: seconds})
}

// readFeatures reads what writeFeatures stored under the stage key.
func readFeatures(dir, key string, cached bool) (*FeaturesResult, error) {
	res := &FeaturesResult{key: key, dir: dir}
	var err error
	if res.Features, res.N, res.D, err = artifact.ReadFloat32s(filepath.Join(dir, "features.bin")); err != nil {
		return nil, err
	}
	if err := artifact.ReadJSON(filepath.Join(dir, "timing.json"), &res.Timed); err != nil {
		return nil, err
	}
	res.Cached = cached
	return res, nil
}

// PropagationResult is a propagation method's pseudo labels for the pool, with their quality
// measured against the pool's true labels on the unlabeled part.
type PropagationResult struct {
	Timed
	Method     propagate.Method `json:"method"`
	Labels     []int32          `json:"labels,omitempty"`
	Confidence []float32        `json:"confidence,omitempty"`
	// Accuracy is the fraction of unlabeled pool images whose pseudo label is right.
	Accuracy float64 `json:"accuracy"`
	// MAP is the mean average precision of the pseudo labels sorted by confidence (Table 1).
	MAP float64 `json:"map"`
	// Accumulated is the accuracy of the i+1 most confident unlabeled pseudo labels (Figure 3).
	Accumulated []float64 `json:"accumulated"`
	key         string
}

// Propagate propagates the labeled subset's labels over the pool with the given method, in the
// metric of features. Cached by the method's configuration and the features.
func (q *Quickstart) Propagate(features *FeaturesResult, method propagate.Method) (*PropagationResult, error) {
	var cfg propagate.Config
	switch method {
	case propagate.NearestNeighbour:
		cfg = q.Config.NN
	case propagate.Spectral:
		cfg = q.Config.Spectral
	default:
		return nil, fmt.Errorf("propagation: unknown method %q (want %q or %q)", method, propagate.NearestNeighbour, propagate.Spectral)
	}
	cfg.Method = method
	key, err := artifact.Key("propagate", cfg, features.key, q.dataKey)
	if err != nil {
		return nil, err
	}
	dir, cached, err := q.store.Build(key, func(dir string) error {
		start := time.Now()
		truth := q.PoolLabels()
		given := make([]int32, len(q.Labeled))
		for i, p := range q.Labeled {
			given[i] = truth[p]
		}
		x := propagate.Matrix{N: features.N, D: features.D, Data: features.Features}
		r, err := propagate.Run(x, q.Labeled, given, q.NumClasses(), cfg, q.Progress)
		if err != nil {
			return err
		}
		res := scorePropagation(method, r, truth, q.Labeled)
		res.Seconds = time.Since(start).Seconds()
		return artifact.WriteJSON(filepath.Join(dir, "result.json"), res)
	})
	if err != nil {
		return nil, fmt.Errorf("propagation (%s): %w", method, err)
	}
	res := &PropagationResult{key: key}
	if err := artifact.ReadJSON(filepath.Join(dir, "result.json"), res); err != nil {
		return nil, err
	}
	res.Cached = cached
	return res, nil
}

// unlabeled returns the positions in the pool that are not in the labeled subset.
func (q *Quickstart) unlabeled() []int { return unlabeledRows(len(q.Pool), q.Labeled) }

// unlabeledRows returns 0…n−1 without the rows in labeled, in order.
func unlabeledRows(n int, labeled []int) []int {
	isLabeled := make(map[int]bool, len(labeled))
	for _, p := range labeled {
		isLabeled[p] = true
	}
	out := make([]int, 0, n-len(labeled))
	for p := range n {
		if !isLabeled[p] {
			out = append(out, p)
		}
	}
	return out
}

// scorePropagation measures the pseudo labels r against the true labels truth on the rows
// not in labeled, as the paper and the authors' notebooks do: the accuracy, the accumulated
// accuracy by confidence (Figure 3) and its mean, the mAP of Table 1. Rows are ranked by
// r.Score, which orders like the confidence without its ties at 1.
func scorePropagation(method propagate.Method, r *propagate.Result, truth []int32, labeled []int) PropagationResult {
	res := PropagationResult{Method: method, Labels: r.Labels, Confidence: r.Confidence}
	unlabeled := unlabeledRows(len(truth), labeled)
	pred, want, conf := pick(r.Labels, unlabeled), pick(truth, unlabeled), pick(r.Score, unlabeled)
	res.Accumulated = propagate.AccumulatedAccuracy(pred, want, conf)
	if len(res.Accumulated) > 0 {
		res.Accuracy = res.Accumulated[len(res.Accumulated)-1]
	}
	res.MAP = propagate.MeanAveragePrecision(pred, want, conf)
	return res
}

// propagateScored propagates the labels of the pool positions labeled (their true labels taken
// from truth) in the metric f by cfg.Method and scores the pseudo labels of the rest of the
// pool, timing both.
func propagateScored(f *FeaturesResult, labeled []int, truth []int32, numClasses int, cfg propagate.Config, progress fit.Progress) (PropagationResult, error) {
	start := time.Now()
	x := propagate.Matrix{N: f.N, D: f.D, Data: f.Features}
	p, err := propagate.Run(x, labeled, pick(truth, labeled), numClasses, cfg, progress)
	if err != nil {
		return PropagationResult{}, err
	}
	s := scorePropagation(cfg.Method, p, truth, labeled)
	s.Seconds = time.Since(start).Seconds()
	return s, nil
}

// pick returns v at the positions idx.
func pick[T any](v []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

// ClassifierResult is a classifier's accuracy on the test split.
type ClassifierResult struct {
	Timed
	// Variant is "labels" (the labeled subset only) or the propagation method that supplied
	// the pseudo labels.
	Variant string `json:"variant"`
	// Examples is the number of training examples kept (weight ≥ MinWeight).
	Examples int     `json:"examples"`
	Accuracy float64 `json:"accuracy"`
	// Weights is the trained network's train.Classifier.Digest.
	Weights string `json:"weights_sha256"`
}

// LabelsOnly is the classifier variant trained on the labeled subset alone.
const LabelsOnly = "labels"

// Classifier trains a classifier from scratch and measures it on the test split. With
// prop == nil it learns from the labeled subset only; otherwise from the labeled subset plus
// every pseudo-labeled pool image weighted by its confidence (Eq. 10). Cached by the
// classifier's configuration and its training labels.
func (q *Quickstart) Classifier(prop *PropagationResult) (*ClassifierResult, error) {
	cc := q.Config.Classifier
	cc.Progress, cc.CheckpointDir = nil, ""
	variant, input := LabelsOnly, q.dataKey
	if prop != nil {
		variant, input = string(prop.Method), prop.key
	}
	cc.Stage = "classifier (" + variant + ")"
	key, err := artifact.Key("classifier", cc, variant, input)
	if err != nil {
		return nil, err
	}
	dir, cached, err := q.store.Build(key, func(dir string) error {
		start := time.Now()
		examples := q.examples(prop)
		scratch, err := q.store.Scratch(key)
		if err != nil {
			return err
		}
		cc.CheckpointDir = filepath.Join(scratch, "checkpoints")
		cc.Progress = q.Progress
		c, err := train.Fit(q.backend, q.Train, examples, q.NumClasses(), cc)
		if err != nil {
			return err
		}
		acc, err := c.Accuracy(q.Test, q.Progress)
		if err != nil {
			return err
		}
		kept := 0
		for _, e := range examples {
			if float64(e.Weight) >= cc.MinWeight {
				kept++
			}
		}
		res := ClassifierResult{Variant: variant, Examples: kept, Accuracy: acc}
		if res.Weights, err = c.Digest(); err != nil {
			return err
		}
		res.Seconds = time.Since(start).Seconds()
		return artifact.WriteJSON(filepath.Join(dir, "result.json"), res)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cc.Stage, err)
	}
	res := &ClassifierResult{}
	if err := artifact.ReadJSON(filepath.Join(dir, "result.json"), res); err != nil {
		return nil, err
	}
	res.Cached = cached
	return res, nil
}

// examples lists the classifier's training examples as indices into Train: the labeled
// subset with weight 1, and with prop the unlabeled pool with pseudo labels weighted by their
// confidence α (Eq. 9–10).
func (q *Quickstart) examples(prop *PropagationResult) []train.Example {
	truth := q.PoolLabels()
	var out []train.Example
	for _, p := range q.Labeled {
		out = append(out, train.Example{Index: q.Pool[p], Label: truth[p], Weight: 1})
	}
	if prop == nil {
		return out
	}
	for _, p := range q.unlabeled() {
		out = append(out, train.Example{Index: q.Pool[p], Label: prop.Labels[p], Weight: prop.Confidence[p]})
	}
	return out
}

// pretrainKept pretrains a metric for a stage, from inside the stage's Build: its checkpoints go
// to the stage's scratch space (which the store removes once the entry is built), the final one
// is kept in dir/metric (metric.LoadPretrained reads it back). It returns the metric and its
// steady training rate in images per second.
func pretrainKept(backend backends.Backend, store *artifact.Store, key, dir string, ds *data.Dataset, subset []int,
	pc metric.PretrainConfig, progress fit.Progress) (*metric.Pretrained, float64, error) {
	scratch, err := store.Scratch(key)
	if err != nil {
		return nil, 0, err
	}
	meter := &rateMeter{}
	pc.CheckpointDir, pc.Progress = filepath.Join(scratch, "checkpoints"), meter.wrap(progress)
	p, err := metric.Pretrain(backend, ds, subset, pc)
	if err != nil {
		return nil, 0, err
	}
	if err := copyCheckpoint(pc.CheckpointDir, filepath.Join(dir, "metric")); err != nil {
		return nil, 0, err
	}
	return p, meter.rate() * float64(pc.BatchSize), nil
}

// embedding is what an embedding stage records beside the features: their dimension and the
// metric's kNN accuracy measured with them (0 when not measured).
type embedding struct {
	D           int     `json:"d"`
	KNNAccuracy float64 `json:"knn_accuracy"`
}

// embedKept computes, or reads from the cache under key, the features of the images rows of ds
// (nil: all) in the metric kept in metricDir (pretrainKept), and measures them with knn unless
// it is nil. computed counts the stages run.
func embedKept(backend backends.Backend, store *artifact.Store, key, metricDir string, ds *data.Dataset, rows []int, progress fit.Progress,
	knn func(p *metric.Pretrained, x propagate.Matrix) (float64, error), computed *int) (*FeaturesResult, embedding, error) {
	var e embedding
	dir, cached, err := store.Build(key, func(dir string) error {
		*computed++
		start := time.Now()
		p, err := metric.LoadPretrained(backend, metricDir)
		if err != nil {
			return err
		}
		f, d, err := p.Features(ds, rows, progress)
		if err != nil {
			return err
		}
		n := len(f) / d
		e := embedding{D: d}
		if knn != nil {
			if e.KNNAccuracy, err = knn(p, propagate.Matrix{N: n, D: d, Data: f}); err != nil {
				return err
			}
		}
		if err := writeFeatures(dir, f, n, d, time.Since(start).Seconds()); err != nil {
			return err
		}
		return artifact.WriteJSON(filepath.Join(dir, "embedding.json"), e)
	})
	if err != nil {
		return nil, e, err
	}
	f, err := readFeatures(dir, key, cached)
	if err != nil {
		return nil, e, err
	}
	return f, e, artifact.ReadJSON(filepath.Join(dir, "embedding.json"), &e)
}

// stageJSON returns a stage's result: computed by compute (which may use dir for files of its
// own) and kept as dir/file unless the cache has it under key, then read back from there, with
// whether it came from the cache. computed counts the stages run.
func stageJSON[T any](store *artifact.Store, key, file string, computed *int, compute func(dir string) (*T, error)) (*T, bool, error) {
	v, _, cached, err := stageJSONDir(store, key, file, computed, compute)
	return v, cached, err
}

// stageJSONDir is stageJSON that also returns the stage's folder, for stages that keep files
// there beside the JSON (a metric's network).
func stageJSONDir[T any](store *artifact.Store, key, file string, computed *int, compute func(dir string) (*T, error)) (*T, string, bool, error) {
	dir, cached, err := store.Build(key, func(dir string) error {
		*computed++
		v, err := compute(dir)
		if err != nil {
			return err
		}
		return artifact.WriteJSON(filepath.Join(dir, file), v)
	})
	if err != nil {
		return nil, "", false, err
	}
	v := new(T)
	if err := artifact.ReadJSON(filepath.Join(dir, file), v); err != nil {
		return nil, "", false, err
	}
	return v, dir, cached, nil
}

// tagged returns progress with tag prefixed to the stage names it receives, nil for nil.
func tagged(progress fit.Progress, tag string) fit.Progress {
	if progress == nil {
		return nil
	}
	return func(stage string, done, total int) { progress(tag+": "+stage, done, total) }
}
