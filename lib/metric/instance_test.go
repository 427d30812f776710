package metric

import (
	"math"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
)

// stripes makes n 8×8 images of two synthetic classes.
func stripes(t *testing.T, n int) *data.Dataset {
	t.Helper()
	d := datatest.Synthetic(t, n, 8, 2, 1)
	return d
}

func TestTrainInstanceFeatures(t *testing.T) {
	ds := stripes(t, 64)
	for _, objective := range []string{Softmax, NCE} {
		cfg := DefaultInstanceConfig()
		cfg.Objective, cfg.Negatives = objective, 16
		cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.EmbeddingDim = 4, 16, 4, 8
		cfg.CheckpointDir = t.TempDir()
		m, err := TrainInstance(testBackend(t), ds, nil, cfg)
		if err != nil {
			t.Fatalf("%s: %v", objective, err)
		}
		f, d, err := m.Features(ds, []int{0, 1, 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d != 8 || len(f) != 24 {
			t.Fatalf("%s: features %d values of dimension %d, want 3×8", objective, len(f), d)
		}
		for i := range 3 {
			s := 0.0
			for _, v := range f[i*d : (i+1)*d] {
				s += float64(v) * float64(v)
			}
			if math.Abs(s-1) > 1e-4 {
				t.Fatalf("%s: feature %d has squared norm %g, want 1", objective, i, s)
			}
		}
	}
}

func TestTrainInstanceErrors(t *testing.T) {
	ds := stripes(t, 8)
	for _, tc := range []struct {
		edit func(*InstanceConfig)
		want string
	}{
		{func(c *InstanceConfig) { c.Objective = "x" }, "unknown objective"},
		{func(c *InstanceConfig) { c.BatchSize = 9 }, "batch size"},
		{func(c *InstanceConfig) { c.Objective, c.Negatives = NCE, 8 }, "negatives"},
		{func(c *InstanceConfig) { c.Temperature = 0 }, "temperature"},
		{func(c *InstanceConfig) { c.Steps = 0 }, "steps"},
	} {
		cfg := DefaultInstanceConfig()
		cfg.BatchSize, cfg.Channels, cfg.EmbeddingDim = 4, 2, 4
		tc.edit(&cfg)
		if _, err := TrainInstance(testBackend(t), ds, nil, cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}
