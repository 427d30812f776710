package main

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/featio"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// syntheticLoad stands in for data.Load: 48 8×8 stripe images of 4 classes for any name.
func syntheticLoad(t *testing.T) loadFunc {
	return func(dir, name, split string) (*data.Dataset, error) {
		if name != "synthetic" {
			return nil, errors.New("no such dataset")
		}
		return data.Synthetic(48, 8, 4, 3)
	}
}

func TestPretrainThenFeaturesThenPropagate(t *testing.T) {
	dir := t.TempDir()
	backend := backendtest.New(t, "go")
	for _, method := range []string{metric.MethodNCA, metric.MethodInstance} {
		o := pretrainOptions{Method: method, Net: nets.NetConv4, Data: "synthetic", Split: "train",
			Out: filepath.Join(dir, method), Steps: 3, Batch: 8, Channels: 8, LearningRate: 3e-3, Seed: 1}
		if method == metric.MethodNCA {
			o.Labels = 16
		}
		cfg, err := o.config()
		if err != nil {
			t.Fatal(err)
		}
		cfg.EmbeddingDim = 8
		var log strings.Builder
		if err := runPretrain(o, cfg, backend, syntheticLoad(t), &log); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if !strings.Contains(log.String(), "ETA") || !strings.Contains(log.String(), "wrote") {
			t.Errorf("%s: progress log %q lacks an ETA or the final line", method, log.String())
		}
		out := filepath.Join(dir, method+".npy")
		fo := featuresOptions{Checkpoint: o.Out, Data: "synthetic", Split: "test", Out: out}
		if err := runFeatures(fo, backend, syntheticLoad(t), io.Discard); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		x, err := featio.ReadNPYFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if x.N != 48 || x.D != 8 {
			t.Fatalf("%s: features %d×%d, want 48×8", method, x.N, x.D)
		}
		for i := range x.N {
			s := 0.0
			for _, v := range x.Row(i) {
				s += float64(v) * float64(v)
			}
			if math.Abs(s-1) > 1e-4 {
				t.Fatalf("%s: row %d has squared norm %g, want 1", method, i, s)
			}
		}
		// mt evaluate scores the test split against the train split and records the budget.
		eo := evaluateOptions{Checkpoint: o.Out, Data: "synthetic", K: 5, Temperature: 0.07, JSON: filepath.Join(dir, method+".json")}
		ev, err := runEvaluate(eo, backend, syntheticLoad(t), "mt evaluate", io.Discard, io.Discard)
		if err != nil {
			t.Fatalf("%s: evaluate: %v", method, err)
		}
		raw, err := os.ReadFile(eo.JSON)
		if err != nil {
			t.Fatal(err)
		}
		var saved Evaluation
		if err := json.Unmarshal(raw, &saved); err != nil {
			t.Fatal(err)
		}
		if saved.Accuracy != ev.Accuracy || !(ev.Accuracy >= 0 && ev.Accuracy <= 1) || saved.TestImages != 48 ||
			saved.Metric.Method != method || saved.Metric.Steps != 3 || saved.Metric.BatchSize != 8 || !(saved.PretrainSeconds > 0) {
			t.Errorf("%s: evaluation %+v, saved as %+v", method, ev, saved)
		}
		// The file is what mt propagate reads.
		labels := filepath.Join(dir, "labels.csv")
		if err := os.WriteFile(labels, []byte("index,label\n0,0\n1,1\n2,2\n3,3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		po := propagateOptions{Features: out, Labels: labels, Method: "nn", Out: filepath.Join(dir, "p.csv"), K: 5, Eta: 4, VoteK: 2, Sigma: 40, Chunks: 1}
		if err := runPropagate(po, io.Discard); err != nil {
			t.Fatalf("%s: propagate on the features: %v", method, err)
		}
	}
}

func TestPretrainOptionErrors(t *testing.T) {
	good := pretrainOptions{Method: "nca", Net: "conv-4", Data: "synthetic", Out: "o", Steps: 1, Batch: 4, Channels: 2, LearningRate: 1e-3}
	for _, tc := range []struct {
		edit func(*pretrainOptions)
		want string
	}{
		{func(o *pretrainOptions) { o.Optimizer = "lbfgs" }, "--optimizer"},
		{func(o *pretrainOptions) { o.Method = "simclr" }, "--method"},
		{func(o *pretrainOptions) { o.Net = "vgg-16" }, "--net"},
		{func(o *pretrainOptions) { o.Out = "" }, "--out is required"},
		{func(o *pretrainOptions) { o.Data = "" }, "--data is required"},
		{func(o *pretrainOptions) { o.Steps = 0 }, "--steps"},
		{func(o *pretrainOptions) { o.Method, o.Labels = "instance", 10 }, "--labels"},
		{func(o *pretrainOptions) { o.Epochs, o.StepsSet = 10, true }, "give one"},
		{func(o *pretrainOptions) { o.Epochs = -1 }, "--epochs -1"},
		{func(o *pretrainOptions) { o.RestartEpochs = -2 }, "--restart-epochs -2"},
		{func(o *pretrainOptions) { o.Method, o.Bank16 = "bootstrap", true }, "--bank16"},
		{func(o *pretrainOptions) { o.Pause = -time.Second }, "--pause-after"},
		{func(o *pretrainOptions) { o.StepsPerCall = -1 }, "--steps-per-call"},
		{func(o *pretrainOptions) { o.KNN = -1 }, "--knn -1"},
		{func(o *pretrainOptions) { o.Precision = "float16" }, "--precision"},
		{func(o *pretrainOptions) { o.Method, o.DeviceAugment = "color", true }, "--device-augment"},
		{func(o *pretrainOptions) { o.KNN, o.KNNTemperature = 200, 0 }, "--knn-temperature"},
	} {
		o := good
		tc.edit(&o)
		if _, err := o.config(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
	backend := backendtest.New(t, "go")
	o := good
	o.Data = "missing"
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	if err := runPretrain(o, cfg, backend, syntheticLoad(t), io.Discard); err == nil || !strings.Contains(err.Error(), "--data missing") {
		t.Errorf("unreadable data: error %v, want one naming --data", err)
	}
	if err := runPretrain(o, cfg, backend, data.Load, io.Discard); err == nil || !strings.Contains(err.Error(), "--data") {
		t.Errorf("unknown dataset: error %v, want one naming --data", err)
	}
	o.Method, o.Data, o.Labels = "color", "synthetic", 0
	if cfg, err = o.config(); err != nil {
		t.Fatal(err)
	}
	if err := runPretrain(o, cfg, backend, syntheticLoad(t), io.Discard); err == nil || !strings.Contains(err.Error(), "--method color needs RGB") {
		t.Errorf("colour on grayscale: error %v, want one naming --method color", err)
	}
}

func TestFeaturesErrors(t *testing.T) {
	backend := backendtest.New(t, "go")
	missing := featuresOptions{Checkpoint: filepath.Join(t.TempDir(), "none"), Data: "synthetic", Split: "train", Out: filepath.Join(t.TempDir(), "x.npy")}
	if err := runFeatures(missing, backend, syntheticLoad(t), io.Discard); err == nil || !strings.Contains(err.Error(), "--checkpoint") {
		t.Errorf("missing checkpoint: error %v, want one naming --checkpoint", err)
	}
	if _, err := os.Stat(missing.Out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind", missing.Out)
	}
	if err := runFeatures(featuresOptions{}, backend, syntheticLoad(t), io.Discard); err == nil || !strings.Contains(err.Error(), "--checkpoint is required") {
		t.Errorf("no flags: error %v, want the required ones named", err)
	}
}

// TestTiming checks the progress line's times by hand: 10 s for a quarter leaves 30 s.
func TestTiming(t *testing.T) {
	for _, c := range []struct {
		elapsed     time.Duration
		done, total int
		want        string
	}{
		{10 * time.Second, 25, 100, "10s, ETA 30s"},
		{10 * time.Second, 0, 100, "10s"},
		{10 * time.Second, 100, 100, "10s"},
	} {
		if got := timing(c.elapsed, c.done, c.total); got != c.want {
			t.Errorf("timing(%v, %d, %d) = %q, want %q", c.elapsed, c.done, c.total, got, c.want)
		}
	}
}
