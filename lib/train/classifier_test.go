package train

import (
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// TestFitLearns trains on synthetic stripes where half the examples carry weight 0 and a wrong
// label: a classifier that honours the weights (Eq. 10, α < MinWeight dropped) still separates
// the classes, one that ignores them sits near chance.
// It runs with each optimiser at its usual learning rate.
func TestFitLearns(t *testing.T) {
	for _, tc := range []struct {
		optimizer string
		lr        float64
	}{{"adam", 1e-2}, {"sgd", 0.05}} {
		t.Run(tc.optimizer, func(t *testing.T) { testFitLearns(t, tc.optimizer, tc.lr) })
	}
}

func testFitLearns(t *testing.T, optimizer string, lr float64) {
	train := datatest.Synthetic(t, 128, 8, 2, 1)
	test := datatest.Synthetic(t, 64, 8, 2, 2)
	var examples []Example
	for i, l := range train.Labels {
		if i%4 < 2 {
			examples = append(examples, Example{Index: i, Label: l, Weight: 1})
		} else {
			examples = append(examples, Example{Index: i, Label: 1 - l, Weight: 0})
		}
	}
	cfg := DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.LearningRate, cfg.Optimizer = 60, 16, 8, lr, optimizer
	cfg.Augment = fit.Augment{}
	c, err := Fit(testBackend(t), train, examples, 2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := c.Accuracy(test, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.9 {
		t.Fatalf("test accuracy %.3f, want ≥ 0.9 on separable stripes", acc)
	}
}

func TestFitErrors(t *testing.T) {
	ds := datatest.Synthetic(t, 8, 8, 2, 1)
	for _, tc := range []struct {
		examples []Example
		want     string
	}{
		{[]Example{{Index: 8, Label: 0, Weight: 1}}, "out of range"},
		{[]Example{{Index: 0, Label: 2, Weight: 1}}, "label"},
		{nil, "example"},
	} {
		cfg := DefaultConfig()
		cfg.Steps, cfg.BatchSize, cfg.Channels = 1, 1, 2
		if _, err := Fit(testBackend(t), ds, tc.examples, 2, cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}
