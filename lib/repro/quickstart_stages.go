package repro

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// The quickstart's stages: one per notebook cell.

// Features pretrains the metric by instance discrimination on the pool (Eq. 2) and embeds the
// pool, or reads the pool's features from the released metric of Config.Released. Cached by
// the metric's configuration (or the release) and the pool.
func (q *Quickstart) Features() (*FeaturesResult, error) {
	r := q.r
	if dir := q.Config.Released; dir != "" {
		f, _, err := r.released(dir, q.pool, nil, 0)
		if err != nil {
			return nil, fmt.Errorf("metric: %w", err)
		}
		return f, nil
	}
	mc := q.Config.Metric
	mc.Progress, mc.CheckpointDir = nil, ""
	key, err := artifact.Key("features", mc, q.pool.key)
	if err != nil {
		return nil, err
	}
	var f *FeaturesResult
	_, err = r.build(key, func(dir string) error {
		start := time.Now()
		scratch, err := r.store.Scratch(key)
		if err != nil {
			return err
		}
		mc.CheckpointDir = filepath.Join(scratch, "checkpoints")
		mc.Progress = r.Progress
		model, err := metric.TrainInstance(r.Backend, q.Train, q.Pool, mc)
		if err != nil {
			return err
		}
		x, d, err := model.Features(q.Train, q.Pool, r.Progress)
		if err != nil {
			return err
		}
		return writeFeatures(dir, x, len(q.Pool), d, time.Since(start).Seconds())
	}, func(dir string, cached bool) (err error) {
		f, err = r.readFeatures(dir, key, cached)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("metric: %w", err)
	}
	return f, nil
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
	return q.r.propagate(features, q.pool, q.Config.Labels, cfg, "propagation ("+string(method)+")")
}

// ClassifierResult is a classifier's accuracy on the test split.
type ClassifierResult struct {
	Classified
	// Variant is "labels" (the labeled subset only) or the propagation method that supplied
	// the pseudo labels.
	Variant string `json:"variant"`
}

// LabelsOnly is the classifier variant trained on the labeled subset alone.
const LabelsOnly = "labels"

// Classifier trains a classifier from scratch and measures it on the test split. With
// prop == nil it learns from the labeled subset only; otherwise from the labeled subset plus
// every pseudo-labeled pool image weighted by its confidence (Eq. 10). Cached by the
// classifier's configuration and its training labels.
func (q *Quickstart) Classifier(prop *PropagationResult) (*ClassifierResult, error) {
	variant := LabelsOnly
	if prop != nil {
		variant = string(prop.Method)
	}
	c, err := q.r.classify(q.Config.Classifier, q.pool, q.Config.Labels, prop, nil, q.test, variant)
	if err != nil {
		return nil, err
	}
	return &ClassifierResult{Classified: *c, Variant: variant}, nil
}
