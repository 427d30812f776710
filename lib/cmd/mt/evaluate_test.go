package main

import (
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// namedLoad stands in for data.Load: synthetic images for any name of data.Names, named as
// Load names the JPEG copy of CIFAR-10 for cifar10 and as Load names the others, so that a
// checkpoint records the same name as it would on the real data.
func namedLoad(t *testing.T) loadFunc {
	return func(dir, name, split string) (*data.Dataset, error) {
		if !slices.Contains(data.Names, name) {
			t.Errorf("load asked for %q, not a dataset name", name)
			return data.Synthetic(48, 8, 4, 3)
		}
		ds, err := data.Synthetic(48, 8, 4, 3)
		source := name
		if name == "cifar10" {
			source = "cifar10-jpeg"
		}
		ds.Name = source + "/" + split
		return ds, err
	}
}

// TestEvaluateDefaultData checks that mt evaluate without --data scores the dataset that the
// checkpoint's metric was trained on, and asks for --data when that is not a dataset mt reads.
func TestEvaluateDefaultData(t *testing.T) {
	backend := backendtest.New(t, "go")
	for _, tc := range []struct {
		trainedOn string // the --data of the pretraining
		load      loadFunc
		want      string // the evaluation's dataset, or a substring of the error
		fails     bool
	}{
		{"fashion-mnist", namedLoad(t), "fashion-mnist", false},
		{"cifar10", namedLoad(t), "cifar10", false},
		{"synthetic", syntheticLoad(t), `--data is required for this checkpoint: its metric was trained on "synthetic"`, true},
	} {
		t.Run(tc.trainedOn, func(t *testing.T) {
			po := pretrainOptions{Method: metric.MethodInstance, Net: nets.NetConv4, Data: tc.trainedOn, Split: "train",
				Out: filepath.Join(t.TempDir(), "ckpt"), Steps: 1, Batch: 8, Channels: 4, LearningRate: 3e-3, Seed: 1}
			cfg, err := po.config()
			if err != nil {
				t.Fatal(err)
			}
			cfg.EmbeddingDim = 8
			if err := runPretrain(po, cfg, backend, tc.load, io.Discard); err != nil {
				t.Fatal(err)
			}
			eo := evaluateOptions{Checkpoint: po.Out, K: 5, Temperature: 0.07}
			ev, err := runEvaluate(eo, backend, tc.load, "mt evaluate", io.Discard, io.Discard)
			if tc.fails {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil || ev.Data != tc.want {
				t.Errorf("evaluated %+v, %v; want the data %s", ev, err, tc.want)
			}
		})
	}
}
