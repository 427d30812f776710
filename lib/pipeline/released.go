package pipeline

import (
	"fmt"
	"time"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
)

// ReleasedMetric is what a released metric gives a table: its features of the pool, cached as a
// stage, and what it is.
type ReleasedMetric struct {
	// Trained is the release's training, on the machine that ran it (Trained.N unset), and
	// Timed this stage's reading of it.
	Trained
	Name   string `json:"name"`
	Net    string `json:"net"`
	Device string `json:"device"`
	// KNNAccuracy is Wu et al.'s weighted kNN test accuracy with the pool as the memory
	// (k = knn, temperature 0.1), as Table 2 measures its own metrics; 0 when not asked.
	KNNAccuracy float64 `json:"knn_accuracy"`
}

// Released reads the release in dir, checks that its train split is the pool's dataset (same
// images, same order), and returns its features of the pool as a stage keyed by the release's
// name and the SHA-256 of its features, so that replacing the release recomputes what depends
// on it. With knn > 0 and a test split it also measures the kNN accuracy on test.
func (r *Run) Released(dir string, p *Pool, test *Split, knn int) (*FeaturesResult, *ReleasedMetric, error) {
	rel, err := release.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	if err := rel.Match("train", p.Split.Dataset); err != nil {
		return nil, nil, err
	}
	id := struct{ Name, Train, Test string }{rel.Info.Name, rel.Info.SHA256[release.FeaturesFile("train")], rel.Info.SHA256[release.FeaturesFile("test")]}
	testKey := ""
	if knn > 0 && test != nil {
		testKey = test.Key
	}
	key, err := artifact.Key("released", id, p.Key, testKey, fmt.Sprintf("knn=%d", knn))
	if err != nil {
		return nil, nil, err
	}
	info, out, err := Stage(r, key, "released.json", func(out string) (*ReleasedMetric, error) {
		start := time.Now()
		x, err := rel.Rows("train", p.Rows)
		if err != nil {
			return nil, err
		}
		info := &ReleasedMetric{Trained: Trained{Epochs: rel.Info.Epochs, Steps: rel.Info.Metric.Steps, ImagesPerSecond: rel.Info.ImagesPerSecond},
			Name: rel.Info.Name, Net: rel.Info.Metric.Net, Device: rel.Info.TrainingDevice()}
		if testKey != "" {
			if err := rel.Match("test", test.Dataset); err != nil {
				return nil, err
			}
			y, labels, err := rel.Features("test")
			if err != nil {
				return nil, err
			}
			if info.KNNAccuracy, err = propagate.KNNTestAccuracy(x, p.Truth, y, labels, p.Split.NumClasses(), min(knn, x.N), 0.1); err != nil {
				return nil, err
			}
		}
		info.Seconds = time.Since(start).Seconds()
		return info, writeFeatures(out, x.Data, x.N, x.D, info.Seconds)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("released metric %s: %w", dir, err)
	}
	f, err := r.readFeatures(out, key, info.Cached)
	return f, info, err
}
