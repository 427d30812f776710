package quickstart

import (
	"fmt"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// Wu et al. (2018) measure a metric by weighted kNN with k = 200 and temperature 0.07.
const (
	qualityK           = 200
	qualityTemperature = 0.07
)

// QualityResult measures the metric on the pool before any label is propagated: the
// leave-one-out weighted kNN accuracy (k = 200, exp(cos/0.07), as Wu et al. 2018) of the learned
// features and, as the baseline every learned metric should beat, of the raw pixels (centred by
// the pool's mean image, so that cosine compares deviations from it).
type QualityResult struct {
	pipeline.Timed
	K       int     `json:"k"`
	Learned float64 `json:"learned"`
	Pixels  float64 `json:"pixels"`
}

// Quality computes (or reads from the cache) the QualityResult of features.
func (q *Stages) Quality(features *pipeline.FeaturesResult) (*QualityResult, error) {
	key, err := artifact.Key("quality", map[string]any{"k": qualityK, "t": qualityTemperature}, features.Key, q.pool.Key)
	if err != nil {
		return nil, err
	}
	res, _, err := pipeline.Stage(q.r, key, "result.json", func(string) (*QualityResult, error) {
		truth := q.PoolLabels()
		k := min(qualityK, len(truth)-2)
		learned, err := propagate.KNNAccuracy(features.Matrix(), truth, q.NumClasses(), k, qualityTemperature)
		if err != nil {
			return nil, fmt.Errorf("learned metric: %w", err)
		}
		pixels, err := propagate.KNNAccuracy(centredPixels(q), truth, q.NumClasses(), k, qualityTemperature)
		if err != nil {
			return nil, fmt.Errorf("pixel baseline: %w", err)
		}
		return &QualityResult{K: k, Learned: learned, Pixels: pixels}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("metric quality: %w", err)
	}
	return res, nil
}

// centredPixels returns the pool's images as rows of pixels in [0, 1] minus the pool's mean
// image.
func centredPixels(q *Stages) propagate.Matrix {
	ds := q.Train
	d := ds.H * ds.W * ds.C
	x := propagate.Matrix{N: len(q.Pool), D: d, Data: ds.Float32(q.Pool)}
	mean := make([]float64, d)
	for i := 0; i < x.N; i++ {
		for j, v := range x.Row(i) {
			mean[j] += float64(v)
		}
	}
	for i := 0; i < x.N; i++ {
		row := x.Row(i)
		for j := range row {
			row[j] -= float32(mean[j] / float64(x.N))
		}
	}
	return x
}
