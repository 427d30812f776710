package metric

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// TestPretrainForeignDirectory: a directory that holds another run's checkpoints (finished or
// not) is refused with the differing settings named, and left as it was; the time budget is
// not a setting.
func TestPretrainForeignDirectory(t *testing.T) {
	gray := stripes(t, 32)
	other := datatest.Synthetic(t, 32, 8, 2, 1)
	other.Name = "mnist/train"
	cfg := resumeConfig(t, MethodInstance)
	dir := t.TempDir()
	cfg.CheckpointDir = dir
	if _, err := Pretrain(testBackend(t), gray, nil, cfg); err != nil {
		t.Fatal(err)
	}
	before := dirContents(t, dir)
	for _, tc := range []struct {
		name string
		edit func(c *PretrainConfig)
		ds   *data.Dataset
		want []string
	}{
		{"method", func(c *PretrainConfig) { c.Method = MethodNCA }, gray, []string{`settings.Config.Method: "instance" → "nca"`}},
		{"net", func(c *PretrainConfig) { c.Net = nets.NetWRN28x2 }, gray, []string{`settings.Config.Net: "conv-4" → "wrn-28-2"`}},
		{"data", func(*PretrainConfig) {}, other, []string{`settings.Data.Data: "synthetic" → "mnist/train"`}},
		{"steps and rate", func(c *PretrainConfig) { c.Steps, c.LearningRate = 5, 0.1 }, gray, []string{
			"settings.Config.LearningRate: 0.003 → 0.1", "settings.Config.Steps: 4 → 5"}},
		{"budget only", func(c *PretrainConfig) { c.Seconds = 100 }, gray, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			tc.edit(&c)
			_, err := Pretrain(testBackend(t), tc.ds, nil, c)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var oe *checkpoint.OriginError
			if !errors.As(err, &oe) || len(oe.Differences) != len(tc.want) {
				t.Fatalf("error %v, want an OriginError with %d differences", err, len(tc.want))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if dirContents(t, dir) != before {
				t.Error("the refused run changed the directory")
			}
		})
	}
}

// TestLoadLegacyPretrained reads a network saved in GoMLX's checkpoint format, as Pretrain
// saved them before: its features are those of the network that was saved.
func TestLoadLegacyPretrained(t *testing.T) {
	gray := stripes(t, 16)
	cfg := resumeConfig(t, MethodNCA)
	p, err := Pretrain(testBackend(t), gray, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h, err := checkpoints.Build(p.ctx).Dir(dir).Keep(2).Done()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.WriteJSON(filepath.Join(dir, InfoFile), p.Info); err != nil {
		t.Fatal(err)
	}
	q, err := LoadPretrained(testBackend(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	sameFeatures(t, q, p, gray, "the GoMLX checkpoint")
}

// sameFeatures fails t unless got computes, bit for bit, the features of ds that want computes;
// what names got's source in the message.
func sameFeatures(t *testing.T, got, want Featurer, ds *data.Dataset, what string) {
	t.Helper()
	w, _, err := want.Features(ds, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := got.Features(ds, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != len(w) {
		t.Fatalf("%d feature values from %s, %d from the trained network", len(g), what, len(w))
	}
	for i := range w {
		if g[i] != w[i] {
			t.Fatalf("feature value %d: %g from %s, %g from the trained network", i, g[i], what, w[i])
		}
	}
}

// TestPretrainDiverges: at a learning rate of 1e30 pretraining fails with an error that names
// the learning rate, and no checkpoint on disk holds a value that is not finite.
func TestPretrainDiverges(t *testing.T) {
	for _, method := range []string{MethodInstance, MethodBootstrap} {
		t.Run(method, func(t *testing.T) {
			cfg := resumeConfig(t, method)
			t.Setenv(fit.EnvCheckpointSteps, "1")
			cfg.LearningRate, cfg.CheckpointDir = 1e30, t.TempDir()
			_, err := Pretrain(testBackend(t), stripes(t, 32), nil, cfg)
			var diverged *fit.DivergedError
			if !errors.As(err, &diverged) || !strings.Contains(err.Error(), "learning rate (1e+30) is likely too high") {
				t.Fatalf("error %v, want a DivergedError naming the learning rate", err)
			}
			c, err := checkpoint.Read(cfg.CheckpointDir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c == nil {
				return
			}
			checkpointtest.Finite(t, c)
			if c.Phase != checkpoint.Training || int(c.Step) >= diverged.Step {
				t.Errorf("checkpoint of step %d (%s) on disk, diverged at step %d", c.Step, c.Phase, diverged.Step)
			}
		})
	}
}
