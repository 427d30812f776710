package quickstart

import (
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// TestQuickstartSmoke runs the whole quickstart at smoke scale on generated IDX files, then
// again to check that every stage comes back from the cache unchanged, then publishes.
func TestQuickstartSmoke(t *testing.T) {
	dataDir := t.TempDir()
	fm := filepath.Join(dataDir, "fashion-mnist")
	if err := os.MkdirAll(fm, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, split := range []struct {
		prefix string
		n      int
		seed   uint64
	}{{"train", 600, 1}, {"t10k", 300, 2}} {
		if err := data.WriteIDX(fm, split.prefix, data.Blocks(split.n, split.seed)); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := ConfigFor(pipeline.Smoke)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pipeline.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	env := pipeline.Env{Backend: b, DataDir: dataDir, CacheDir: t.TempDir(), Command: "test"}
	run := func() *Result {
		q, err := New(env, cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := q.Run()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := run()
	unlabeled := cfg.Pool - cfg.Labels
	var variants []string
	for _, c := range first.Classifiers {
		variants = append(variants, c.Variant)
		if c.Cached || c.Accuracy < 0 || c.Accuracy > 1 {
			t.Errorf("classifier %s: cached %v, accuracy %v", c.Variant, c.Cached, c.Accuracy)
		}
	}
	if want := []string{LabelsOnly, "nn", "spectral"}; !reflect.DeepEqual(variants, want) {
		t.Fatalf("classifier variants %v, want %v", variants, want)
	}
	if n := first.Classifiers[0].Examples; n != cfg.Labels {
		t.Errorf("labels-only classifier kept %d examples, want the %d labels", n, cfg.Labels)
	}
	for m, p := range first.Propagation {
		if len(p.Labels) != cfg.Pool || len(p.Accumulated) != unlabeled {
			t.Fatalf("%s: %d labels, %d curve points; want %d and %d", m, len(p.Labels), len(p.Accumulated), cfg.Pool, unlabeled)
		}
		if p.Accuracy != p.Accumulated[unlabeled-1] {
			t.Errorf("%s: accuracy %v is not the curve's last point %v", m, p.Accuracy, p.Accumulated[unlabeled-1])
		}
		// The blocks are trivially separable: even an 8-step metric propagates far above chance.
		if p.Accuracy < 0.3 {
			t.Errorf("%s: pseudo-label accuracy %.3f, want well above chance (0.1)", m, p.Accuracy)
		}
	}

	second := run()
	if !second.Metric.Cached {
		t.Error("second run recomputed the metric")
	}
	for i, c := range second.Classifiers {
		if !c.Cached || c.Accuracy != first.Classifiers[i].Accuracy {
			t.Errorf("second run, classifier %s: cached %v accuracy %v (first %v)", c.Variant, c.Cached, c.Accuracy, first.Classifiers[i].Accuracy)
		}
	}
	if second.Computed != 0 || second.Provenance.Seconds != first.Provenance.Seconds {
		t.Errorf("the rerun computed %d stages resting on %v s, want none, on the first run's %v s", second.Computed, second.Provenance.Seconds, first.Provenance.Seconds)
	}
	out := t.TempDir()
	path, err := second.Publish(out, "")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := pipeline.ReadResult[Result](path)
	if err != nil || path != filepath.Join(out, "quickstart-smoke.json") {
		t.Fatalf("published %s: %v", path, err)
	}
	if pub.Provenance.Scale != pipeline.Smoke || pub.Provenance.Backend == "" || pub.Provenance.Date == "" || pub.Provenance.Command != "test" {
		t.Errorf("published provenance incomplete: %+v", pub.Provenance)
	}
	if p := pub.Propagation["spectral"]; p == nil || len(p.Accumulated) != 101 || p.Labels != nil {
		t.Errorf("published spectral result should hold a 101-point curve and no labels: %+v", p)
	}
	f, err := os.Open(filepath.Join(out, "quickstart-smoke-figure3.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("published figure is not a PNG: %v", err)
	}
}

func TestQuickstartConfigFor(t *testing.T) {
	if _, err := ConfigFor("huge"); err == nil {
		t.Error("unknown scale: no error")
	}
	small, err := ConfigFor(pipeline.Small)
	if err != nil {
		t.Fatal(err)
	}
	if small.Labels != 100 || small.Dataset != "fashion-mnist" || small.Spectral.Eta != 200 {
		t.Errorf("small scale is not the quickstart's setting (100 Fashion-MNIST labels, η = 200): %+v", small)
	}
	// The bench scale of the paper's tables runs the quickstart at small, with the same cache keys.
	bench, err := ConfigFor(pipeline.Bench)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bench, small) {
		t.Errorf("bench scale %+v, want the small scale's settings %+v", bench, small)
	}
}

func TestFindings(t *testing.T) {
	mk := func(labels, nn, spectral float64) *Result {
		return &Result{
			Config:  Config{Labels: 100},
			Quality: &QualityResult{K: 200, Learned: 0.70, Pixels: 0.80},
			Propagation: map[string]*pipeline.PropagationResult{
				"nn":       {Accuracy: 0.40, MAP: 0.5},
				"spectral": {Accuracy: 0.52, MAP: 0.6},
			},
			Classifiers: []*ClassifierResult{
				{Variant: LabelsOnly, Classified: pipeline.Classified{Accuracy: labels}}, {Variant: "nn", Classified: pipeline.Classified{Accuracy: nn}},
				{Variant: "spectral", Classified: pipeline.Classified{Accuracy: spectral}},
			},
		}
	}
	for _, tc := range []struct {
		name    string
		r       *Result
		want    []string
		notWant string
	}{
		{"pseudo labels hurt", mk(0.67, 0.40, 0.55), []string{"12.00 points more accurate", "27.00 points less", "12.00 points less", "below the 80.00 %", "too noisy"}, ""},
		{"pseudo labels help", mk(0.50, 0.55, 0.60), []string{"5.00 points more and the spectral ones 10.00 points more"}, "too noisy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.r.Findings()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("findings %q lack %q", got, w)
				}
			}
			if tc.notWant != "" && strings.Contains(got, tc.notWant) {
				t.Errorf("findings %q should not say %q", got, tc.notWant)
			}
		})
	}
}
