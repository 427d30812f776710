package quickstart

import (
	"fmt"

	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// The quickstart's stages: one per notebook cell.

// Features pretrains the metric by instance discrimination on the pool (Eq. 2) and embeds the
// pool, or reads the pool's features from the released metric of Config.Released: the
// pretraining and embedding stages of the tables, keyed alike.
func (q *Stages) Features() (*pipeline.FeaturesResult, error) {
	if dir := q.Config.Released; dir != "" {
		f, _, err := q.r.Released(dir, q.pool, nil, 0)
		if err != nil {
			return nil, fmt.Errorf("metric: %w", err)
		}
		return f, nil
	}
	net, f, err := q.r.PoolMetric(q.pool, "metric", 0, q.Config.Metric)
	if err != nil {
		return nil, err
	}
	both := *f // timed as the two stages together
	both.Seconds, both.Cached = net.Seconds+f.Seconds, net.Cached && f.Cached
	return &both, nil
}

// Propagate propagates the labeled subset's labels over the pool with the given method, in the
// metric of features. Cached by the method's configuration and the features.
func (q *Stages) Propagate(features *pipeline.FeaturesResult, method propagate.Method) (*pipeline.PropagationResult, error) {
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
	return q.r.Propagate(features, q.pool, q.Config.Labels, cfg, "propagation ("+string(method)+")")
}

// ClassifierResult is a classifier's accuracy on the test split.
type ClassifierResult struct {
	pipeline.Classified
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
func (q *Stages) Classifier(prop *pipeline.PropagationResult) (*ClassifierResult, error) {
	variant := LabelsOnly
	if prop != nil {
		variant = string(prop.Method)
	}
	c, err := q.r.Classify(q.Config.Classifier, q.pool, q.Config.Labels, prop, nil, q.test, variant)
	if err != nil {
		return nil, err
	}
	return &ClassifierResult{Classified: *c, Variant: variant}, nil
}
