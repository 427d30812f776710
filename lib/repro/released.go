package repro

import (
	"fmt"
	"time"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
)

// Released metrics (package release) that the CPU scales transfer when the repository holds
// them (release.Find): their features replace the pretraining of a small network here, as the
// paper transfers a metric learned elsewhere.
const (
	// CIFAR10Release is instance discrimination on WRN-28-2 with the authors' schedule (1270
	// epochs), which Tables 1 and 2 and Figures 2, 3 and 5 use at the bench scale.
	CIFAR10Release = "instance-wrn-28-2"
	// FashionMNISTRelease is the quickstart's instance discrimination on Conv-4, trained long,
	// which the quickstart uses at its small scale.
	FashionMNISTRelease = "instance-conv4-fashion-mnist"
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

// released reads the release in dir, checks that its train split is the pool's dataset (same
// images, same order), and returns its features of the pool as a stage keyed by the release's
// name and the SHA-256 of its features, so that replacing the release recomputes what depends
// on it. With knn > 0 and a test split it also measures the kNN accuracy on test.
func (r *run) released(dir string, p *pool, test *split, knn int) (*FeaturesResult, *ReleasedMetric, error) {
	rel, err := release.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	if err := rel.Match("train", p.ds.Dataset); err != nil {
		return nil, nil, err
	}
	id := struct{ Name, Train, Test string }{rel.Info.Name, rel.Info.SHA256[release.FeaturesFile("train")], rel.Info.SHA256[release.FeaturesFile("test")]}
	testKey := ""
	if knn > 0 && test != nil {
		testKey = test.key
	}
	key, err := artifact.Key("released", id, p.key, testKey, fmt.Sprintf("knn=%d", knn))
	if err != nil {
		return nil, nil, err
	}
	info, out, err := stage(r, key, "released.json", func(out string) (*ReleasedMetric, error) {
		start := time.Now()
		x, err := rel.Rows("train", p.rows)
		if err != nil {
			return nil, err
		}
		info := &ReleasedMetric{Trained: Trained{Epochs: rel.Info.Epochs, Steps: rel.Info.Metric.Steps, ImagesPerSecond: rel.Info.ImagesPerSecond},
			Name: rel.Info.Name, Net: rel.Info.Metric.Net, Device: releaseDevice(rel.Info)}
		if testKey != "" {
			if err := rel.Match("test", test.Dataset); err != nil {
				return nil, err
			}
			y, labels, err := rel.Features("test")
			if err != nil {
				return nil, err
			}
			if info.KNNAccuracy, err = propagate.KNNTestAccuracy(x, p.truth, y, labels, p.ds.NumClasses(), min(knn, x.N), 0.1); err != nil {
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

// releaseDevice is the device of the release's training slices, the first one's when they
// differ.
func releaseDevice(info release.Info) string {
	for _, s := range info.Slices {
		if s.Device != "" {
			return s.Device
		}
	}
	return info.Provenance.Device
}
