package repro

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeBlocksIDX writes n 28×28 images in IDX format to dir/<prefix>-images-idx3-ubyte and
// their labels to dir/<prefix>-labels-idx1-ubyte: class c is a bright 7×7 block at one of ten
// places on a noisy background, so even a few training steps separate the classes.
func writeBlocksIDX(t *testing.T, dir, prefix string, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	images := make([]byte, n*28*28)
	labels := make([]byte, n)
	for i := range n {
		c := i % 10
		labels[i] = byte(c)
		img := images[i*784 : (i+1)*784]
		for p := range img {
			img[p] = byte(rng.IntN(60))
		}
		y0, x0 := 2+7*(c/5)*2, 1+5*(c%5)
		for y := y0; y < y0+7; y++ {
			for x := x0; x < x0+7 && x < 28; x++ {
				img[y*28+x] = byte(200 + rng.IntN(55))
			}
		}
	}
	write := func(name string, dims []uint32, payload []byte) {
		var buf bytes.Buffer
		buf.Write([]byte{0, 0, 8, byte(len(dims))})
		for _, d := range dims {
			_ = binary.Write(&buf, binary.BigEndian, d)
		}
		buf.Write(payload)
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(prefix+"-images-idx3-ubyte", []uint32{uint32(n), 28, 28}, images)
	write(prefix+"-labels-idx1-ubyte", []uint32{uint32(n)}, labels)
}

// TestQuickstartSmoke runs the whole quickstart at smoke scale on generated IDX files, then
// again to check that every stage comes back from the cache unchanged, then publishes.
func TestQuickstartSmoke(t *testing.T) {
	dataDir := t.TempDir()
	fm := filepath.Join(dataDir, "fashion-mnist")
	if err := os.MkdirAll(fm, 0o755); err != nil {
		t.Fatal(err)
	}
	writeBlocksIDX(t, fm, "train", 600, 1)
	writeBlocksIDX(t, fm, "t10k", 300, 2)
	cfg, err := QuickstartConfigFor(Smoke)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, dataDir)
	run := func() *QuickstartResult {
		q, err := NewQuickstart(env, cfg)
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
	if second.Provenance.Seconds != first.Provenance.Seconds {
		t.Errorf("compute seconds differ between a run and its cached rerun: %v vs %v", first.Provenance.Seconds, second.Provenance.Seconds)
	}

	out := t.TempDir()
	path, err := second.Publish(out, "")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pub QuickstartResult
	if err := json.Unmarshal(raw, &pub); err != nil {
		t.Fatal(err)
	}
	if pub.Provenance.Scale != Smoke || pub.Provenance.Backend == "" || pub.Provenance.Date == "" || pub.Provenance.Command != "test" {
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

func TestPercentiles(t *testing.T) {
	curve := []float64{1, 0.5, 2.0 / 3, 0.75}
	got := Percentiles(curve)
	if len(got) != 101 {
		t.Fatalf("%d points, want 101", len(got))
	}
	// p % takes the first max(1, ⌈4p/100⌉) elements.
	for _, tc := range []struct {
		p    int
		want float64
	}{{0, 1}, {1, 1}, {25, 1}, {26, 0.5}, {50, 0.5}, {51, 2.0 / 3}, {75, 2.0 / 3}, {76, 0.75}, {100, 0.75}} {
		if math.Abs(got[tc.p]-tc.want) > 1e-12 {
			t.Errorf("Percentiles[%d] = %v, want %v", tc.p, got[tc.p], tc.want)
		}
	}
	if Percentiles(nil) != nil {
		t.Error("Percentiles(nil) should be nil")
	}
}

func TestQuickstartConfigFor(t *testing.T) {
	if _, err := QuickstartConfigFor("huge"); err == nil {
		t.Error("unknown scale: no error")
	}
	small, err := QuickstartConfigFor(Small)
	if err != nil {
		t.Fatal(err)
	}
	if small.Labels != 100 || small.Dataset != "fashion-mnist" || small.Spectral.Eta != 200 {
		t.Errorf("small scale is not the quickstart's setting (100 Fashion-MNIST labels, η = 200): %+v", small)
	}
	// The bench scale of the paper's tables runs the quickstart at small, with the same cache keys.
	bench, err := QuickstartConfigFor(Bench)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bench, small) {
		t.Errorf("bench scale %+v, want the small scale's settings %+v", bench, small)
	}
}

func TestFindings(t *testing.T) {
	mk := func(labels, nn, spectral float64) *QuickstartResult {
		return &QuickstartResult{
			Config:  QuickstartConfig{Labels: 100},
			Quality: &QualityResult{K: 200, Learned: 0.70, Pixels: 0.80},
			Propagation: map[string]*PropagationResult{
				"nn":       {Accuracy: 0.40, MAP: 0.5},
				"spectral": {Accuracy: 0.52, MAP: 0.6},
			},
			Classifiers: []*ClassifierResult{
				{Variant: LabelsOnly, Classified: Classified{Accuracy: labels}}, {Variant: "nn", Classified: Classified{Accuracy: nn}},
				{Variant: "spectral", Classified: Classified{Accuracy: spectral}},
			},
		}
	}
	for _, tc := range []struct {
		name    string
		r       *QuickstartResult
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
