package train

import (
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// stopInStatistics is a progress function that stops a run (by a panic, which the pass turns
// into its error) in the middle of its batch-norm pass, as a kill there would.
func stopInStatistics(stage string, done, _ int) {
	if strings.HasSuffix(stage, "batch-norm statistics") && done == 1 {
		panic(errKilled)
	}
}

// TestFitResumeAfterTraining stops classifiers (from scratch, finetuned, and a semi-supervised
// baseline) during the batch-norm pass that follows training, and reruns them on their
// checkpoint directory; it also reruns a finished one. Every variable must end bit for bit
// where the uninterrupted run's does.
func TestFitResumeAfterTraining(t *testing.T) {
	ds := datatest.Synthetic(t, 24, 8, 2, 1)
	examples := make([]Example, ds.N)
	for i, y := range ds.Labels {
		examples[i] = Example{Index: i, Label: y, Weight: 1}
	}
	backend := testBackend(t)
	cfg := DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.Augment = 3, 8, 4, fit.Augment{Pad: 1, Flip: true}
	base, err := Fit(backend, ds, examples, 2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	backbone, err := base.Backbone()
	if err != nil {
		t.Fatal(err)
	}
	finetune := cfg
	finetune.Init, finetune.InitFrom = &Init{Net: nets.NetConv4, Backbone: backbone}, "the classifier trained first"
	ssl := tinySSLConfig(MethodMeanTeacher)
	ssl.Steps, ssl.Channels, ssl.BatchSize = 3, 4, 4
	unlabeled := make([]int, ds.N)
	for i := range unlabeled {
		unlabeled[i] = i
	}
	for _, tc := range []struct {
		name string
		fit  func(dir string, progress fit.Progress) (*Classifier, error)
	}{
		{"from scratch", func(dir string, progress fit.Progress) (*Classifier, error) {
			c := cfg
			c.CheckpointDir, c.Progress = dir, progress
			return Fit(backend, ds, examples, 2, c)
		}},
		{"finetuned", func(dir string, progress fit.Progress) (*Classifier, error) {
			c := finetune
			c.CheckpointDir, c.Progress = dir, progress
			return Fit(backend, ds, examples, 2, c)
		}},
		{"mean teacher", func(dir string, progress fit.Progress) (*Classifier, error) {
			c := ssl
			c.CheckpointDir, c.Progress = dir, progress
			return FitSSL(backend, ds, examples[:4], unlabeled, 2, c)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := t.TempDir()
			c, err := tc.fit(ref, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := checkpointtest.Values(t, c.ctx)
			if c, err = tc.fit(ref, nil); err != nil {
				t.Fatal(err)
			}
			checkpointtest.Same(t, want, checkpointtest.Values(t, c.ctx))

			dir := t.TempDir()
			if _, err := tc.fit(dir, stopInStatistics); err == nil || !strings.Contains(err.Error(), errKilled.Error()) {
				t.Fatalf("the run stopped in its batch-norm pass returned %v", err)
			}
			c, err = tc.fit(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkpointtest.Same(t, want, checkpointtest.Values(t, c.ctx))
		})
	}
}
