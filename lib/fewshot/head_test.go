package fewshot

import (
	"math"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// clustered returns unit rows of well-separated clusters and their classes.
func clustered(t testing.TB, n, d, classes int, noise float64, seed uint64) (propagate.Matrix, []int32) {
	t.Helper()
	x, y := propagate.Clustered(n, d, classes, noise, seed)
	xn, err := propagate.Normalize(x)
	if err != nil {
		t.Fatal(err)
	}
	return xn, y
}

// TestTrainHeadSeparable trains the head on half of separable clusters and checks it classifies
// the other half (almost) perfectly.
func TestTrainHeadSeparable(t *testing.T) {
	x, y := clustered(t, 400, 32, 5, 0.1, 3)
	var train []Example
	var test []int
	for i := range x.N {
		if i%2 == 0 {
			train = append(train, Example{Row: i, Label: y[i], Weight: 1})
		} else {
			test = append(test, i)
		}
	}
	h, err := TrainHead(x, train, 5, DefaultHeadConfig())
	if err != nil {
		t.Fatal(err)
	}
	pred, err := h.Predict(x, test)
	if err != nil {
		t.Fatal(err)
	}
	truth := make([]int32, len(test))
	for i, r := range test {
		truth[i] = y[r]
	}
	if acc := Accuracy(pred, truth); acc < 0.99 {
		t.Errorf("held-out accuracy %.3f on separable clusters, want ≥ 0.99", acc)
	}
	if loss, err := h.Loss(x, train); err != nil || loss > 0.25 {
		t.Errorf("training loss %g (%v), want < 0.25 (log 5 = 1.61 from zero weights)", loss, err)
	}
}

// TestHeadLoss checks Eq. 10 against a hand computation. Head: W = [[1, 0], [0, 2]], b = [0, 1];
// x0 = (1, 0) has logits (1, 1), so p = (½, ½); x1 = (0, 1) has logits (0, 3). Examples:
// (x0, label 0, α 0.5), (x1, label 1, α 1), (x1, label 0, α 0):
// L = −(0.5·log ½ + 1·log(e³/(1+e³)) + 0)/3.
func TestHeadLoss(t *testing.T) {
	x := propagate.Matrix{N: 2, D: 2, Data: []float32{1, 0, 0, 1}}
	h := &Head{Classes: 2, D: 2, W: []float64{1, 0, 0, 2}, B: []float64{0, 1}}
	ex := []Example{{0, 0, 0.5}, {1, 1, 1}, {1, 0, 0}}
	want := -(0.5*math.Log(0.5) + math.Log(math.Exp(3)/(1+math.Exp(3)))) / 3
	got, err := h.Loss(x, ex)
	if err != nil || math.Abs(got-want) > 1e-12 {
		t.Errorf("loss %v (%v), want %v", got, err, want)
	}
	if _, err := h.Loss(x, []Example{{5, 0, 1}}); err == nil || !strings.Contains(err.Error(), "row 5") {
		t.Errorf("an example outside the features: error %v", err)
	}
}

// TestTrainHeadGradient checks the training step against the loss: one full-batch step without
// momentum or decay from W = 0 moves the head by −lr·∇L, ∇L estimated by central differences
// of Head.Loss (Eq. 10). Weights α matter: a zero-weight example does not move it.
func TestTrainHeadGradient(t *testing.T) {
	x, y := clustered(t, 12, 4, 3, 0.5, 5)
	ex := make([]Example, x.N)
	for i := range ex {
		ex[i] = Example{Row: i, Label: y[i], Weight: float32(i%4) / 3}
	}
	const lr = 0.1
	cfg := HeadConfig{Epochs: 1, DecayEpoch: 0, Decay: 1, LearningRate: lr, BatchSize: len(ex), Seed: 1}
	h, err := TrainHead(x, ex, 3, cfg)
	if err != nil {
		t.Fatal(err)
	}
	zero := &Head{Classes: 3, D: x.D, W: make([]float64, 3*x.D), B: make([]float64, 3)}
	const eps = 1e-5
	for _, p := range []struct {
		name string
		v    []float64
		got  []float64
	}{{"W", zero.W, h.W}, {"b", zero.B, h.B}} {
		for j := range p.v {
			p.v[j] = eps
			up, _ := zero.Loss(x, ex)
			p.v[j] = -eps
			down, _ := zero.Loss(x, ex)
			p.v[j] = 0
			if want := -lr * (up - down) / (2 * eps); math.Abs(p.got[j]-want) > 1e-7 {
				t.Errorf("%s[%d] after one step: %.9f, want −lr·∂L = %.9f", p.name, j, p.got[j], want)
			}
		}
	}
	for i := range ex {
		ex[i].Weight = 0
	}
	if h, err = TrainHead(x, ex, 3, cfg); err != nil {
		t.Fatal(err)
	}
	for _, w := range h.W {
		if w != 0 {
			t.Fatalf("zero-weight examples moved the head: W = %v", h.W)
		}
	}
}

// TestTrainHeadErrors checks that bad input is an error naming the problem.
func TestTrainHeadErrors(t *testing.T) {
	x, _ := clustered(t, 10, 4, 2, 0.1, 1)
	ok := []Example{{0, 0, 1}, {1, 1, 1}}
	for _, c := range []struct {
		name    string
		ex      []Example
		classes int
		cfg     func(*HeadConfig)
		want    string
	}{
		{"no examples", nil, 2, nil, "no training examples"},
		{"label out of range", []Example{{0, 2, 1}}, 2, nil, "label 2"},
		{"NaN weight", []Example{{0, 0, float32(math.NaN())}}, 2, nil, "weight"},
		{"one class", ok, 1, nil, "two"},
		{"no epochs", ok, 2, func(c *HeadConfig) { c.Epochs = 0 }, "DefaultHeadConfig"},
	} {
		cfg := DefaultHeadConfig()
		if c.cfg != nil {
			c.cfg(&cfg)
		}
		if _, err := TrainHead(x, c.ex, c.classes, cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
