package fewshot

import (
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// toyTask is 8 clustered test classes of 60 images each, split 40/60.
func toyTask(t testing.TB, noise float64) (propagate.Matrix, *Split) {
	t.Helper()
	x, y := clustered(t, 480, 32, 8, noise, 11)
	s, err := NewSplit(y, 8, 0.4, 1)
	if err != nil {
		t.Fatal(err)
	}
	return x, s
}

// smallSpectral is the paper's spectral propagation with η sized for a few hundred rows.
func smallSpectral() propagate.Config {
	c := propagate.DefaultConfig(propagate.Spectral)
	c.Eta = 50
	return c
}

// TestPropagatorEpisode propagates a 5-way episode over a pool with three distractor classes:
// the pool is every unlabeled row with an episode label each, the pseudo labels of the
// episode's classes are right, and the examples are the support with weight 1 followed by the
// confident pseudo labels. (Distractors need not get a lower confidence: on these clusters, as
// with σ = 40 generally, α is close to 1 almost everywhere.)
func TestPropagatorEpisode(t *testing.T) {
	x, s := toyTask(t, 0.15)
	cfg := EpisodeConfig{Ways: 5, Shots: 1, Queries: 5, Episodes: 1, Seed: 3}
	ep, err := Sample(s, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPropagator(x, s.Pool(), 5, smallSpectral())
	if err != nil {
		t.Fatal(err)
	}
	ps, err := p.Propagate(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ps.Rows, s.Pool()) || len(ps.Labels) != len(ps.Rows) {
		t.Fatalf("%d pseudo labels for rows %d…, want one per pool row", len(ps.Labels), len(ps.Rows))
	}
	if acc := ps.Accuracy(ep, s.Labels); acc < 0.95 {
		t.Errorf("pseudo-label accuracy %.3f on the episode's classes, want ≥ 0.95", acc)
	}
	for i, r := range ps.Rows {
		if ps.Labels[i] < 0 || int(ps.Labels[i]) >= len(ep.Classes) {
			t.Fatalf("pool row %d has pseudo label %d outside the %d ways", r, ps.Labels[i], len(ep.Classes))
		}
	}
	ex := ps.Examples(ep, 0.01)
	for t2, r := range ep.Support {
		if ex[t2] != (Example{r, ep.SupportLabels[t2], 1}) {
			t.Errorf("example %d is %+v, want support row %d with weight 1", t2, ex[t2], r)
		}
	}
	for _, e := range ex[len(ep.Support):] {
		if e.Weight < 0.01 {
			t.Errorf("example %+v kept below the minimum weight", e)
		}
	}
	if all := ps.Examples(ep, 0); len(all) != len(ep.Support)+len(ps.Rows) {
		t.Errorf("minimum weight 0 keeps %d examples, want %d", len(all), len(ep.Support)+len(ps.Rows))
	}
	ep.Support = ep.Support[:3]
	if _, err := p.Propagate(ep, nil); err == nil || !strings.Contains(err.Error(), "made for") {
		t.Errorf("an episode of another size: error %v", err)
	}
}

// TestEvaluate runs both methods over episodes of the toy task: accuracies in range and high,
// one per episode, the interval of Summarize, propagation's diagnostics filled in, and the
// same numbers on a second run.
func TestEvaluate(t *testing.T) {
	x, s := toyTask(t, 0.25)
	for _, shots := range []int{1, 5} {
		cfg := EpisodeConfig{Ways: 5, Shots: shots, Queries: 5, Episodes: 6, Seed: 9}
		var reports int
		nn, err := EvaluateNN(x, s, cfg, DefaultNNTemperature, func(string, int, int) { reports++ })
		if err != nil {
			t.Fatal(err)
		}
		head := func(xn propagate.Matrix) Finetuner { return HeadFinetuner(xn, DefaultHeadConfig()) }
		ours, err := EvaluatePropagation(x, s, cfg, smallSpectral(), 0.01, head, nil)
		if err != nil {
			t.Fatal(err)
		}
		again, err := EvaluatePropagation(x, s, cfg, smallSpectral(), 0.01, head, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*Result{nn, ours} {
			if len(r.Accuracy) != cfg.Episodes || r.Interval != Summarize(r.Accuracy) || r.Mean < 0.8 {
				t.Errorf("%d-shot: %d accuracies, mean %.3f ± %.3f; want %d, mean ≥ 0.8", shots, len(r.Accuracy), r.Mean, r.HalfWidth, cfg.Episodes)
			}
		}
		if reports != cfg.Episodes {
			t.Errorf("%d progress reports, want one per episode (%d)", reports, cfg.Episodes)
		}
		if ours.PseudoAccuracy < 0.8 || ours.Examples <= float64(5*shots) || nn.PseudoAccuracy != 0 {
			t.Errorf("%d-shot: pseudo-label accuracy %.3f and %.0f examples (NN: %.3f); want pseudo labels for ours only", shots, ours.PseudoAccuracy, ours.Examples, nn.PseudoAccuracy)
		}
		if !slices.Equal(ours.Accuracy, again.Accuracy) {
			t.Errorf("%d-shot: two runs differ: %v and %v", shots, ours.Accuracy, again.Accuracy)
		}
	}
	bad := propagate.NewMatrix(x.N-1, x.D)
	if _, err := EvaluateNN(bad, s, EpisodeConfig{Ways: 5, Shots: 1, Queries: 5, Episodes: 1}, 0.05, nil); err == nil || !strings.Contains(err.Error(), "rows") {
		t.Errorf("features of another size: error %v", err)
	}
}

// BenchmarkEpisode is the hot path of Table 7 per episode and method: propagation over a pool
// of mini-ImageNet's per-class size (5 test classes × 360 unlabeled, 128-d) and the head's
// training, 5-way 5-shot.
func BenchmarkEpisode(b *testing.B) {
	x, y := clustered(b, 3000, 128, 5, 0.6, 1)
	s, err := NewSplit(y, 5, 0.4, 1)
	if err != nil {
		b.Fatal(err)
	}
	cfg := EpisodeConfig{Ways: 5, Shots: 5, Queries: 15, Episodes: 1}
	p, err := NewPropagator(x, s.Pool(), 25, propagate.DefaultConfig(propagate.Spectral))
	if err != nil {
		b.Fatal(err)
	}
	finetune := HeadFinetuner(x, DefaultHeadConfig())
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ep, err := Sample(s, cfg, i)
		if err != nil {
			b.Fatal(err)
		}
		ps, err := p.Propagate(ep, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := finetune(ep, ps.Examples(ep, 0.01)); err != nil {
			b.Fatal(err)
		}
	}
}
