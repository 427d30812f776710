package repro

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// writeTransferIDX writes generated 28×28 IDX splits (data.Blocks) for the source "mnist"
// and the target "fashion-mnist" under dataDir, with different seeds, so that data.Load reads
// them by their usual names.
func writeTransferIDX(t *testing.T, dataDir string, train, test int) {
	t.Helper()
	for i, name := range []string{"mnist", "fashion-mnist"} {
		dir := filepath.Join(dataDir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := data.WriteIDX(dir, "train", data.Blocks(train, uint64(10+i))); err != nil {
			t.Fatal(err)
		}
		if err := data.WriteIDX(dir, "t10k", data.Blocks(test, uint64(20+i))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTable6Smoke runs Table 6 on generated IDX files: every row × label count has a cell; the
// finetuning cells trained on the labels alone and the spectral cells on pseudo labels too,
// whose accuracy they carry; each metric trained once on the source and embedded the target; a
// second run computes nothing; the result publishes.
func TestTable6Smoke(t *testing.T) {
	dataDir := t.TempDir()
	writeTransferIDX(t, dataDir, 300, 100)
	cfg := smokeConfig(t, Table6ConfigFor)
	env := testEnv(t, dataDir)
	cfg.SourcePool, cfg.Pool, cfg.Test, cfg.Labels, cfg.KNN = 200, 0, 50, []int{20, 40}, 10
	for m, pc := range cfg.Metrics {
		pc.Steps, pc.BatchSize = 2, 16
		cfg.Metrics[m] = pc
	}
	cfg.Classifier.Steps, cfg.Classifier.BatchSize = 2, 16
	var partials int
	first, err := RunTable6(env, cfg, func(*Table6Result) { partials++ })
	if err != nil {
		t.Fatal(err)
	}
	cells := len(Table6Rows) * len(cfg.Labels)
	if len(first.Cells) != cells || partials != cells {
		t.Fatalf("%d cells and %d partial results, want %d of each", len(first.Cells), partials, cells)
	}
	for _, row := range Table6Rows {
		for _, n := range cfg.Labels {
			if first.Cell(row, n) == nil {
				t.Errorf("no cell for %s/%s at %d labels", row.Metric, row.Transfer, n)
			}
		}
	}
	// Per metric a pretraining, its embeddings of the target pool, the source pool and both
	// test splits, and its two kNN checks; per cell a classifier; per spectral cell a
	// propagation.
	if want := 2*7 + cells + cells/2; first.Computed != want {
		t.Errorf("first run computed %d stages, want %d", first.Computed, want)
	}
	for _, c := range first.Cells {
		if c.Accuracy < 0 || c.Accuracy > 1 || c.Steps != 2 || c.Cached {
			t.Errorf("cell %+v: accuracy or steps out of range, or cached on the first run", c)
		}
		switch c.Transfer {
		case pipeline.Finetune:
			if c.Examples != c.Labels || c.PseudoAccuracy != 0 {
				t.Errorf("finetuning cell %s at %d labels: %d examples, pseudo-label accuracy %g; want the labels only", c.Metric, c.Labels, c.Examples, c.PseudoAccuracy)
			}
		case pipeline.Spectral:
			if c.Examples <= c.Labels || c.PseudoAccuracy <= 0 || c.PropagationSeconds <= 0 {
				t.Errorf("spectral cell %s at %d labels: %d examples, pseudo-label accuracy %g in %g s; want pseudo labels", c.Metric, c.Labels, c.Examples, c.PseudoAccuracy, c.PropagationSeconds)
			}
		}
	}
	if len(first.Pretrained) != 2 {
		t.Fatalf("%d pretrained metrics, want 2 (unsupervised, supervised)", len(first.Pretrained))
	}
	for _, p := range first.Pretrained {
		if p.Steps != 2 || p.N != cfg.SourcePool || p.TargetN != 300 || p.Source != "mnist/train" || p.Target != "fashion-mnist/train" ||
			p.SourceKNNAccuracy <= 0 || p.TargetKNNAccuracy <= 0 {
			t.Errorf("pretraining %+v: want 2 steps on %d source images, 300 target images, kNN accuracies on both", p, cfg.SourcePool)
		}
	}
	second, err := RunTable6(env, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cachedRerun(t, first, second)
	for i, c := range second.Cells {
		if !c.Cached || c.Accuracy != first.Cells[i].Accuracy {
			t.Errorf("second run, cell %s/%s at %d labels: cached %v, accuracy %g (first %g)", c.Metric, c.Transfer, c.Labels, c.Cached, c.Accuracy, first.Cells[i].Accuracy)
		}
	}
	back, _ := published[Table6Result](t, second, "", "table6-smoke", "table6-smoke.png")
	if len(back.Cells) != cells || back.Config.Source != "mnist" || back.Provenance.Scale != pipeline.Smoke {
		t.Errorf("read back %d cells, source %q, scale %q", len(back.Cells), back.Config.Source, back.Provenance.Scale)
	}
	header, rows := second.BesidePaper()
	if len(rows) != cells || len(rows[0]) != len(header) {
		t.Fatalf("BesidePaper: %d rows of %d columns, want %d of %d", len(rows), len(rows[0]), cells, len(header))
	}
	for _, row := range rows {
		if (row[1] == "Spectral") == (row[6] == "—") {
			t.Errorf("row %v: the spectral rows, and only they, show their gain over finetuning", row)
		}
	}
	if note := second.Note(); !strings.Contains(note, "mnist → fashion-mnist") || !strings.Contains(note, "ImageNet32 → CIFAR-10") {
		t.Errorf("the note does not name the stand-in and the paper's pair: %s", note)
	}
}

// TestTable6Errors checks that bad configurations fail before anything trains, naming the fix.
func TestTable6Errors(t *testing.T) {
	dataDir := t.TempDir()
	writeTransferIDX(t, dataDir, 30, 10)
	writeColourFolder(t, dataDir, 4, 3)
	for _, c := range []struct {
		name, want string
		edit       func(*Table6Config)
	}{
		{"no labels", "label counts", func(c *Table6Config) { c.Labels = nil }},
		{"unknown row", "unknown row", func(c *Table6Config) { c.Rows = []Table6Row{{Metric: "color", Transfer: pipeline.Spectral}} }},
		{"unsupervised by labels", "Method", func(c *Table6Config) {
			pc := c.Metrics[Table6Unsupervised]
			pc.Method = "bootstrap"
			c.Metrics[Table6Unsupervised] = pc
		}},
		{"no supervised metric", "no \"supervised\"", func(c *Table6Config) { delete(c.Metrics, Table6Supervised) }},
		{"shapes differ", "one shape", func(c *Table6Config) { c.Source = "cifar10" }},
		{"too many labels", "target 200 labels from a pool of 30", func(c *Table6Config) { c.Labels = []int{200} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := smokeConfig(t, Table6ConfigFor)
			cfg.SourcePool, cfg.Pool, cfg.Test, cfg.Labels = 0, 0, 0, []int{10}
			c.edit(&cfg)
			if _, err := RunTable6(testEnv(t, dataDir), cfg, nil); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := Table6ConfigFor(pipeline.Paper); err == nil {
		t.Error("Table6ConfigFor(paper): no error; Table 6 defines smoke and bench only (no ImageNet32)")
	}
}

// TestTable6Paper checks the paper's numbers are complete (eight label counts per row) and
// spot-checks them against the paper's Table 6.
func TestTable6Paper(t *testing.T) {
	for _, row := range Table6Rows {
		if v := Table6Paper[row.Metric][row.Transfer]; len(v) != len(Table1PaperLabels) {
			t.Errorf("%s/%s: %d numbers, want %d", row.Metric, row.Transfer, len(v), len(Table1PaperLabels))
		}
	}
	for _, c := range []struct {
		row    Table6Row
		labels int
		want   float64
	}{
		{Table6Row{Metric: Table6Supervised, Transfer: pipeline.Spectral}, 250, 86.07},
		{Table6Row{Metric: Table6Unsupervised, Transfer: pipeline.Finetune}, 50, 28.92},
		{Table6Row{Metric: Table6Supervised, Transfer: pipeline.Finetune}, 8000, 93.05},
		{Table6Row{Metric: Table6Unsupervised, Transfer: pipeline.Spectral}, 4000, 84.00},
	} {
		if got, ok := Table6PaperAccuracy(c.row, c.labels); !ok || got != c.want {
			t.Errorf("%s/%s at %d labels: %g, %v; want the paper's %g", c.row.Metric, c.row.Transfer, c.labels, got, ok, c.want)
		}
	}
	if _, ok := Table6PaperAccuracy(Table6Rows[0], 20); ok {
		t.Error("the paper has no 20-label column")
	}
}

// TestTable6ClassSplit runs Table 6 between two halves of one dataset's classes (the CIFAR-10
// 5 → 5 stand-in's path, on generated images): the metrics train on the source classes alone
// and the target's classes are the others; an unknown class is an error naming it.
func TestTable6ClassSplit(t *testing.T) {
	dataDir := colourData(t, 30)
	cfg := smokeConfig(t, Table6ConfigFor)
	env := testEnv(t, dataDir)
	cfg.Source, cfg.Target = "cifar10:class0,class1", "cifar10:class3,class2"
	cfg.SourcePool, cfg.Pool, cfg.Test, cfg.Labels, cfg.KNN = 0, 0, 0, []int{4}, 5
	cfg.Spectral.Eta = 20
	for m, pc := range cfg.Metrics {
		pc.Steps, pc.BatchSize = 2, 16
		cfg.Metrics[m] = pc
	}
	cfg.Classifier.Steps, cfg.Classifier.BatchSize = 2, 16
	res, err := RunTable6(env, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != len(Table6Rows) {
		t.Fatalf("%d cells, want %d", len(res.Cells), len(Table6Rows))
	}
	for _, p := range res.Pretrained {
		if p.Source != "cifar10-jpeg/train[class0,class1]" || p.N != 60 {
			t.Errorf("metric %s trained on %s (%d images), want the 60 images of class0 and class1", p.Metric, p.Source, p.N)
		}
	}
	for _, c := range res.Cells {
		if c.PseudoAccuracy < 0 || c.PseudoAccuracy > 1 || c.Accuracy < 0 || c.Accuracy > 1 {
			t.Errorf("cell %+v out of range", c)
		}
	}
	cfg.Target = "cifar10:class2,zebra"
	if _, err := RunTable6(env, cfg, nil); err == nil || !strings.Contains(err.Error(), `no class "zebra"`) {
		t.Errorf("unknown class: error %v", err)
	}
}
