package repro

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/data"
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
	Timed
	Name string `json:"name"`
	// Epochs, Steps and ImagesPerSecond are the release's training, on the machine that ran it.
	Epochs          float64 `json:"epochs"`
	Steps           int     `json:"steps"`
	ImagesPerSecond float64 `json:"images_per_second"`
	Net             string  `json:"net"`
	Device          string  `json:"device"`
	// KNNAccuracy is Wu et al.'s weighted kNN test accuracy with the pool as the memory
	// (k = knn, temperature 0.1), as Table 2 measures its own metrics; 0 when not asked.
	KNNAccuracy float64 `json:"knn_accuracy"`
}

// releasedFeatures reads the release in dir, checks that its train split is train (same
// images, same order), and returns its features of the pool rows of train as a cached stage
// keyed by the release's name and the SHA-256 of its features, so that replacing the release
// recomputes what depends on it. With knn > 0 and a test split it also measures the kNN
// accuracy on test.
func releasedFeatures(store *artifact.Store, dir string, train, test *data.Dataset, pool []int, truth []int32, knn int, dataKey string) (*FeaturesResult, *ReleasedMetric, error) {
	r, err := release.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	if err := r.Match("train", train); err != nil {
		return nil, nil, err
	}
	id := struct{ Name, Train, Test string }{r.Info.Name, r.Info.SHA256[release.FeaturesFile("train")], r.Info.SHA256[release.FeaturesFile("test")]}
	key, err := artifact.Key("released-features", id, dataKey, fmt.Sprintf("knn=%d", knn))
	if err != nil {
		return nil, nil, err
	}
	out, cached, err := store.Build(key, func(out string) error {
		start := time.Now()
		x, err := r.Rows("train", pool)
		if err != nil {
			return err
		}
		info := ReleasedMetric{Name: r.Info.Name, Epochs: r.Info.Epochs, Steps: r.Info.Metric.Steps, ImagesPerSecond: r.Info.ImagesPerSecond,
			Net: r.Info.Metric.Net, Device: releaseDevice(r.Info)}
		if knn > 0 && test != nil {
			if err := r.Match("test", test); err != nil {
				return err
			}
			y, labels, err := r.Features("test")
			if err != nil {
				return err
			}
			if info.KNNAccuracy, err = propagate.KNNTestAccuracy(x, truth, y, labels, train.NumClasses(), min(knn, x.N), 0.1); err != nil {
				return err
			}
		}
		info.Seconds = time.Since(start).Seconds()
		if err := writeFeatures(out, x.Data, x.N, x.D, info.Seconds); err != nil {
			return err
		}
		return artifact.WriteJSON(filepath.Join(out, "released.json"), info)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("released metric %s: %w", dir, err)
	}
	f, err := readFeatures(out, key, cached)
	if err != nil {
		return nil, nil, err
	}
	info := &ReleasedMetric{}
	if err := artifact.ReadJSON(filepath.Join(out, "released.json"), info); err != nil {
		return nil, nil, err
	}
	info.Cached = cached
	return f, info, nil
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
