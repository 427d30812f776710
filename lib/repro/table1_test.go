package repro

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// writeColourFolder writes perClass 32×32 RGB PNGs per class as
// dir/cifar10-jpeg/train/<class>/<i>.png, the layout of the CIFAR-10 JPEG copy: class c is a
// noisy image of one dominant hue, so colour and shape both separate the classes.
func writeColourFolder(t *testing.T, dir string, classes, perClass int) {
	t.Helper()
	writeColourSplit(t, dir, "train", classes, perClass, 7)
}

// colourData returns a new data folder with writeColourFolder's images of 4 classes, perClass
// of each for training and 10 for testing.
func colourData(t *testing.T, perClass int) string {
	t.Helper()
	dir := t.TempDir()
	writeColourFolder(t, dir, 4, perClass)
	writeColourSplit(t, dir, "test", 4, 10, 8)
	return dir
}

// writeColourSplit writes one split (train or test) of writeColourFolder's images, seeded.
func writeColourSplit(t *testing.T, dir, split string, classes, perClass int, seed uint64) {
	t.Helper()
	hues := []color.RGBA{{200, 40, 40, 255}, {40, 200, 40, 255}, {40, 40, 200, 255}, {200, 200, 40, 255}}
	rng := rand.New(rand.NewPCG(seed, 1))
	for c := range classes {
		cdir := filepath.Join(dir, "cifar10-jpeg", split, fmt.Sprintf("class%d", c))
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perClass {
			img := image.NewRGBA(image.Rect(0, 0, 32, 32))
			h := hues[c%len(hues)]
			for y := range 32 {
				for x := range 32 {
					n := uint8(rng.IntN(50))
					img.SetRGBA(x, y, color.RGBA{h.R/2 + n, h.G/2 + n, h.B/2 + n, 255})
				}
			}
			f, err := os.Create(filepath.Join(cdir, fmt.Sprintf("%03d.png", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestTable1Smoke runs Table 1 on generated RGB images: the grid has every cell, a second run
// computes nothing, and the result publishes.
func TestTable1Smoke(t *testing.T) {
	dataDir := t.TempDir()
	writeColourFolder(t, dataDir, 4, 30)
	cfg := smokeConfig(t, Table1ConfigFor)
	env := testEnv(t, dataDir)
	cfg.Pool, cfg.Labels = 0, []int{8, 12}
	cfg.Spectral.Eta = 20
	for m, pc := range cfg.Metrics {
		pc.Steps, pc.BatchSize = 2, 16
		cfg.Metrics[m] = pc
	}
	first, err := RunTable1(env, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Bootstrapping once per label count, colorization and instance once, each a pretraining
	// and its embedding of the pool; then every cell.
	wantStages := 2*(len(cfg.Labels)+2) + len(Table1Metrics)*len(Table1Propagations)*len(cfg.Labels)
	if first.Computed != wantStages {
		t.Errorf("first run computed %d stages, want %d", first.Computed, wantStages)
	}
	if len(first.Pretrained) != len(cfg.Labels)+2 {
		t.Errorf("%d pretrainings, want %d", len(first.Pretrained), len(cfg.Labels)+2)
	}
	for _, m := range Table1Metrics {
		for _, p := range Table1Propagations {
			for _, n := range cfg.Labels {
				c := first.Cell(m, p, n)
				if c == nil {
					t.Errorf("no cell for %s, %s, %d labels", m, p, n)
					continue
				}
				if c.Cached || c.MAP < 0 || c.MAP > 1 || c.Accuracy < 0 || c.Accuracy > 1 || len(c.Accumulated) != 101 {
					t.Errorf("cell %s, %s, %d: %+v", m, p, n, c)
				}
			}
		}
	}
	if got, want := len(first.Cells), len(Table1Metrics)*len(Table1Propagations)*len(cfg.Labels); got != want {
		t.Errorf("%d cells, want %d", got, want)
	}
	_, rows := first.BesidePaper()
	if len(rows) != len(first.Cells) {
		t.Errorf("BesidePaper has %d rows for %d cells", len(rows), len(first.Cells))
	}

	second, err := RunTable1(env, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cachedRerun(t, first, second)
	for i, c := range second.Cells {
		if !c.Cached || c.MAP != first.Cells[i].MAP {
			t.Errorf("second run, cell %d: cached %v, mAP %v (first %v)", i, c.Cached, c.MAP, first.Cells[i].MAP)
		}
	}
	pub, _ := published[Table1Result](t, second, "", "table1-smoke", "table1-smoke-nn.png", "table1-smoke-spectral.png")
	if pub.Provenance.Scale != pipeline.Smoke || pub.Provenance.Command != "test" || len(pub.Cells) != len(first.Cells) {
		t.Errorf("published result incomplete: provenance %+v, %d cells", pub.Provenance, len(pub.Cells))
	}

	// A run publishes after every cell: after the first, one method's figure has nothing to
	// draw yet, and is left out rather than failing the run.
	partial := *second
	partial.Cells = second.Cells[:1]
	early := t.TempDir()
	if _, err := partial.Publish(early, ""); err != nil {
		t.Fatalf("publishing after the first cell: %v", err)
	}
	for _, m := range Table1Propagations {
		_, err := os.Stat(filepath.Join(early, "table1-smoke-"+string(m)+".png"))
		if drawn := m == partial.Cells[0].Propagation; drawn != (err == nil) {
			t.Errorf("after the first cell (%s), the %s figure: %v", partial.Cells[0].Propagation, m, err)
		}
	}
}

func TestTable1Paper(t *testing.T) {
	for _, m := range Table1Metrics {
		for _, p := range Table1Propagations {
			if n := len(Table1Paper[m][p]); n != len(Table1PaperLabels) {
				t.Errorf("paper row %s/%s has %d numbers, want %d", m, p, n, len(Table1PaperLabels))
			}
		}
	}
	if v, ok := Table1PaperMAP("instance", propagate.Spectral, 100); !ok || v != 79.21 {
		t.Errorf("paper's instance/spectral at 100 labels = %v, %v; want 79.21", v, ok)
	}
	if _, ok := Table1PaperMAP("instance", propagate.Spectral, 12); ok {
		t.Error("paper has no column for 12 labels")
	}
	r := &Table1Result{Cells: []Table1Cell{{Metric: "bootstrap", Propagation: propagate.NearestNeighbour, Labels: 50, MAP: 0.25}}}
	if _, rows := r.BesidePaper(); rows[0][3] != "22.03" || rows[0][4] != "25.00" || rows[0][5] != "+2.97" {
		t.Errorf("BesidePaper row %v; want paper 22.03, ours 25.00, Δ +2.97", rows[0])
	}
	for _, s := range []string{pipeline.Smoke, pipeline.Bench} {
		if _, err := Table1ConfigFor(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := Table1ConfigFor(pipeline.Small); err == nil {
		t.Error("Table 1 has no small scale, want an error")
	}
}
