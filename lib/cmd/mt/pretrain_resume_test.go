package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// pretrainIn runs mt pretrain in process on the synthetic data with small settings, edited by
// edit, into out.
func pretrainIn(t *testing.T, out string, edit func(*pretrainOptions)) (string, error) {
	t.Helper()
	o := pretrainOptions{Method: metric.MethodInstance, Net: nets.NetConv4, Data: "synthetic", Split: "train",
		Out: out, Steps: 4, Batch: 8, Channels: 4, LearningRate: 3e-3, Seed: 1}
	edit(&o)
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.EmbeddingDim = 8
	var log strings.Builder
	err = runPretrain(o, cfg, backendtest.New(t, "go"), syntheticLoad(t), &log)
	return log.String(), err
}

// TestPretrainForeignAndRestart: a directory holding another method's finished network is
// refused, naming the setting and --restart, and left as it was; with --restart the earlier
// checkpoints are moved aside and the new method trains from step 0.
func TestPretrainForeignAndRestart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "metric")
	if _, err := pretrainIn(t, out, func(*pretrainOptions) {}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	nca := func(o *pretrainOptions) { o.Method, o.Labels = metric.MethodNCA, 16 }
	_, err = pretrainIn(t, out, nca)
	if err == nil || !strings.Contains(err.Error(), `settings.Config.Method: "instance" → "nca"`) || !strings.Contains(err.Error(), "--restart") {
		t.Fatalf("error %v, want one naming the method and --restart", err)
	}
	if after, _ := os.ReadDir(out); len(after) != len(before) {
		t.Errorf("the refused run changed %s: %d entries, then %d", out, len(before), len(after))
	}
	log, err := pretrainIn(t, out, func(o *pretrainOptions) { nca(o); o.Restart = true })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, "restart: moved the earlier checkpoints") || !strings.Contains(log, "nca") {
		t.Errorf("log %q does not say what --restart moved", log)
	}
	p, err := metric.LoadPretrained(backendtest.New(t, "go"), out)
	if err != nil {
		t.Fatal(err)
	}
	if p.Info.Method != metric.MethodNCA || p.Info.Steps != 4 {
		t.Errorf("after --restart the directory holds %s trained %d steps, want nca, 4", p.Info.Method, p.Info.Steps)
	}
	aside, _ := filepath.Glob(filepath.Join(out, "replaced-*", metric.InfoFile))
	if len(aside) != 1 {
		t.Errorf("the earlier network's %s was not moved aside: %v", metric.InfoFile, aside)
	}
}

// TestPretrainDivergesCommand: mt pretrain at a learning rate of 1e30 fails naming the
// learning rate, and leaves no checkpoint that holds a non-finite value.
func TestPretrainDivergesCommand(t *testing.T) {
	t.Setenv(fit.EnvCheckpointSteps, "1")
	out := filepath.Join(t.TempDir(), "metric")
	_, err := pretrainIn(t, out, func(o *pretrainOptions) { o.LearningRate = 1e30 })
	if err == nil || !strings.Contains(err.Error(), "learning rate (1e+30) is likely too high") {
		t.Fatalf("error %v, want one naming the learning rate", err)
	}
	c, err := checkpoint.Read(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkpointtest.Finite(t, c)
	if c != nil && c.Phase != checkpoint.Training {
		t.Errorf("a diverged run saved its network")
	}
	if _, err := os.Stat(filepath.Join(out, metric.InfoFile)); err == nil {
		t.Errorf("a diverged run wrote %s", metric.InfoFile)
	}
}
