package main

import (
	"fmt"
	"io"
	"time"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
)

// knnMonitor measures a metric by weighted kNN on a dataset's test split, with its train split
// as the memory, and records it in a history.
type knnMonitor struct {
	train, test *data.Dataset
	curve       *release.Curve
	epochSteps  int
	seconds     float64 // spent measuring
	log         io.Writer
	// save is called after every measurement, so that a point outlives a kill.
	save func() error
}

// measure records the kNN accuracy of f at step.
func (m *knnMonitor) measure(step int, f metric.Featurer, final bool) error {
	start := time.Now()
	acc, err := knnTestAccuracy(f, m.train, m.test, m.curve.K, m.curve.Temperature, nil)
	if err != nil {
		return fmt.Errorf("kNN monitor at step %d: %w", step, err)
	}
	took := time.Since(start).Seconds()
	m.seconds += took
	epoch := float64(step) / float64(max(1, m.epochSteps))
	m.curve.Add(release.Point{Step: step, Epoch: epoch, Accuracy: acc, Final: final, Seconds: took})
	what := "cycle end"
	if final {
		what = "final network"
	}
	fmt.Fprintf(m.log, "\n%d-NN accuracy on %s's test split (its train split as memory) at step %d (epoch %.4g, %s): %.2f %% (measured in %.1f s)\n",
		m.curve.K, m.test.Name, step, epoch, what, 100*acc, took)
	return m.save()
}

// knnTestAccuracy is Wu et al.'s evaluation of the metric f (propagate.KNNTestAccuracy): the
// test images classified by their k nearest train images.
func knnTestAccuracy(f metric.Featurer, train, test *data.Dataset, k int, temperature float64, progress fit.Progress) (float64, error) {
	var feats [2]propagate.Matrix
	for s, ds := range []*data.Dataset{train, test} {
		x, d, err := f.Features(ds, nil, progress)
		if err != nil {
			return 0, err
		}
		feats[s] = propagate.Matrix{N: ds.N, D: d, Data: x}
	}
	classes := max(train.NumClasses(), test.NumClasses())
	return propagate.KNNTestAccuracy(feats[0], train.Labels, feats[1], test.Labels, classes, k, temperature)
}

// newSlice starts the record of this call in h: its provenance and the step it begins at.
func newSlice(backend, command string, from int) release.Slice {
	p := pipeline.NewProvenance(backend, "", 0, command)
	return release.Slice{Commit: p.Commit, Backend: p.Backend, Device: p.Device, Date: p.Date, Command: command,
		FromStep: from, ToStep: from, Outcome: "running"}
}
