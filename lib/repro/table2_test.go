package repro

import (
	"path/filepath"
	"testing"

	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/train"
)

// TestTable2Smoke runs Table 2 on generated RGB images: every row × label count has a cell
// with a test accuracy, the propagation rows carry their pseudo labels' accuracy, a second run
// computes nothing, and the result publishes.
func TestTable2Smoke(t *testing.T) {
	dataDir, cfg := smallTable2(t, 2)
	env := testEnv(t, dataDir)
	cfg.Labels, cfg.KNN = []int{8, 12}, 5
	var partials int
	first, err := RunTable2(env, cfg, func(*Table2Result) { partials++ })
	if err != nil {
		t.Fatal(err)
	}
	cells := len(Table2Rows) * len(cfg.Labels)
	if len(first.Cells) != cells || partials != cells {
		t.Fatalf("%d cells and %d partial results, want %d of each", len(first.Cells), partials, cells)
	}
	// Bootstrapping per label count, colour and instance once, each a pretraining, its
	// embeddings of the pool and of the test split, and its kNN check; a classifier per cell and
	// a propagation per cell of a row that propagates.
	props := 0
	for _, row := range Table2Rows {
		if row.Transfer.Propagates() {
			props++
		}
	}
	wantStages := 4*(len(cfg.Labels)+2) + (len(Table2Rows)+props)*len(cfg.Labels)
	if first.Computed != wantStages {
		t.Errorf("first run computed %d stages, want %d", first.Computed, wantStages)
	}
	for _, c := range first.Cells {
		if c.Accuracy < 0 || c.Accuracy > 1 || c.Steps != 2 || c.Examples < c.Labels {
			t.Errorf("cell %+v: accuracy, steps or examples out of range", c)
		}
		if !c.Transfer.Propagates() != (c.PseudoAccuracy == 0 && c.Examples == c.Labels) {
			t.Errorf("cell %s/%s at %d labels: %d examples, pseudo-label accuracy %g", c.Metric, c.Transfer, c.Labels, c.Examples, c.PseudoAccuracy)
		}
	}
	for _, p := range first.Pretrained {
		if p.Steps != 2 || p.KNNAccuracy <= 0 {
			t.Errorf("pretraining %+v: want 2 steps and a kNN accuracy", p)
		}
	}
	second, err := RunTable2(env, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cachedRerun(t, first, second)
	published[Table2Result](t, second, "-test", "table2-smoke-test", "table2-smoke-test.png")
	if header, rows := second.BesidePaper(); len(rows) != cells || len(rows[0]) != len(header) {
		t.Errorf("BesidePaper: %d rows of %d columns, want %d of %d", len(rows), len(rows[0]), cells, len(header))
	}
}

// TestClassifierSteps checks the sizing of a time-bounded classifier by hand: 100 s at 1280
// images/s in batches of 128 is 1000 steps, three quarters of which are planned.
func TestClassifierSteps(t *testing.T) {
	for _, c := range []struct {
		steps   int
		seconds float64
		rate    float64
		want    int
	}{
		{200000, 100, 1280, 750},
		{500, 100, 1280, 500},     // the configured steps are fewer
		{200000, 0, 1280, 200000}, // no budget
		{200000, 100, 0, 200000},  // no rate measured
		{200000, 0.01, 1280, 1},   // at least one step
	} {
		cc := train.Config{Steps: c.steps, Seconds: c.seconds, BatchSize: 128}
		if got := pipeline.ClassifierSteps(cc, c.rate); got != c.want {
			t.Errorf("pipeline.ClassifierSteps(steps %d, %g s, %g images/s) = %d, want %d", c.steps, c.seconds, c.rate, got, c.want)
		}
	}
}

// TestTable2Paper checks the paper's numbers are complete where the paper has them.
func TestTable2Paper(t *testing.T) {
	for m, rows := range Table2Paper {
		for p, v := range rows {
			if len(v) != len(Table1PaperLabels) {
				t.Errorf("%s/%s: %d numbers, want %d", m, p, len(v), len(Table1PaperLabels))
			}
		}
	}
	if got, ok := Table2PaperAccuracy(Table2Row{Metric: "instance", Transfer: "spectral"}, 4000); !ok || got != 84.52 {
		t.Errorf("instance + spectral at 4000 labels: %g, %v; want the paper's 84.52", got, ok)
	}
}

// TestReadTable2Result reads the published paper-scale run back: its cells and notes survive.
func TestReadTable2Result(t *testing.T) {
	r, err := pipeline.ReadResult[Table2Result](filepath.Join("..", "..", "figures", "table2-paper-xla-h100.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Config.Scale != pipeline.Paper || len(r.Cells) != 2 || r.Cells[1].Labels != 4000 || r.Provenance.Backend != "xla" {
		t.Errorf("read back %d cells at scale %q from backend %q", len(r.Cells), r.Config.Scale, r.Provenance.Backend)
	}
	if _, rows := r.BesidePaper(); rows[1][3] != "84.52" {
		t.Errorf("the 4000-label row shows the paper's %s, want 84.52", rows[1][3])
	}
	// Written when rows named a propagation method: "none" without a metric is Scratch.
	scratch, err := pipeline.ReadResult[Table2Result](filepath.Join("..", "..", "figures", "table2-paper-xla-h100-scratch.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Table2Row{Metric: pipeline.NoMetric, Transfer: pipeline.Scratch}
	if r.Config.Rows[0] != (Table2Row{Metric: "instance", Transfer: pipeline.Spectral}) || r.Cells[0].Transfer != pipeline.Spectral || scratch.Config.Rows[0] != want ||
		scratch.Cells[0].Transfer != pipeline.Scratch || scratch.Cell(want, 4000) == nil {
		t.Errorf("rows %v and %v, cells %+v and %+v: want the transfers spectral and scratch", r.Config.Rows, scratch.Config.Rows, r.Cells[0], scratch.Cells[0])
	}
	for _, legacy := range []struct {
		metric, propagation string
		want                pipeline.Transfer
	}{{pipeline.NoMetric, "none", pipeline.Scratch}, {"color", "none", pipeline.Finetune}, {"instance", "nn", pipeline.NN}} {
		if got := pipeline.LegacyTransfer(legacy.metric, legacy.propagation); got != legacy.want {
			t.Errorf("pipeline.LegacyTransfer(%s, %s) = %s, want %s", legacy.metric, legacy.propagation, got, legacy.want)
		}
	}
}

// smallTable2 writes generated RGB images (4 classes, 30 training and 10 test images each) to a
// new data folder and returns it with Table 2's smoke settings for them: the whole pool and
// test split, η 20, and every metric and classifier trained for steps steps of 16.
func smallTable2(t *testing.T, steps int) (string, Table2Config) {
	t.Helper()
	dataDir := colourData(t, 30)
	cfg := smokeConfig(t, Table2ConfigFor)
	cfg.Pool, cfg.Test, cfg.Spectral.Eta = 0, 0, 20
	for m, pc := range cfg.Metrics {
		pc.Steps, pc.BatchSize = steps, 16
		cfg.Metrics[m] = pc
	}
	cfg.Classifier.Steps, cfg.Classifier.BatchSize = steps, 16
	return dataDir, cfg
}
