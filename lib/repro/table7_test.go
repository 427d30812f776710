package repro

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// table7SmokeConfig is Table 7's smoke configuration on writeColourFolder's 8 classes of
// perClass images under dataDir: classes 0–3 train the metrics, 4–7 are the test classes,
// 4-way episodes.
func table7SmokeConfig(t *testing.T, dataDir string) Table7Config {
	t.Helper()
	cfg := smokeConfig(t, Table7ConfigFor)
	cfg.TrainClasses, cfg.TestClasses = nil, nil
	for c := range 8 {
		if c < 4 {
			cfg.TrainClasses = append(cfg.TrainClasses, fmt.Sprintf("class%d", c))
		} else {
			cfg.TestClasses = append(cfg.TestClasses, fmt.Sprintf("class%d", c))
		}
	}
	cfg.TrainPerClass, cfg.TestPerClass, cfg.Ways, cfg.Episodes, cfg.KNN = 0, 0, 4, 4, 5
	for m, pc := range cfg.Metrics {
		pc.Steps, pc.BatchSize = 2, 16
		cfg.Metrics[m] = pc
	}
	return cfg
}

// TestTable7Smoke runs Table 7 on generated images: every method × shots has a cell with one
// accuracy per episode and its interval; ours carries its pseudo labels' accuracy and
// examples, SNCA none; each metric trained once and embedded the test classes; a second run
// computes nothing; the result publishes and reads back; the table beside the paper's has
// every paper row.
func TestTable7Smoke(t *testing.T) {
	dataDir := t.TempDir()
	writeColourFolder(t, dataDir, 8, 40)
	cfg := table7SmokeConfig(t, dataDir)
	env := testEnv(t, dataDir)
	var partials int
	first, err := RunTable7(env, cfg, func(*Table7Result) { partials++ })
	if err != nil {
		t.Fatal(err)
	}
	cells := len(Table7Methods) * len(cfg.Shots)
	if len(first.Cells) != cells || partials != cells {
		t.Fatalf("%d cells and %d partial results, want %d of each", len(first.Cells), partials, cells)
	}
	if want := 2*3 + cells; first.Computed != want {
		t.Errorf("first run computed %d stages, want %d (2 pretrainings, 2 embeddings, 2 kNN checks, %d cells)", first.Computed, want, cells)
	}
	for _, c := range first.Cells {
		if len(c.Accuracy) != cfg.Episodes || c.Mean < 0 || c.Mean > 1 || c.N != cfg.Episodes || c.Cached {
			t.Errorf("cell %s, %d-shot: %d accuracies, mean %g over %d; want %d in [0, 1], computed", c.Method, c.Shots, len(c.Accuracy), c.Mean, c.N, cfg.Episodes)
		}
		support := float64(cfg.Ways * c.Shots)
		if ours := c.Method != Table7SNCA; ours != (c.PseudoAccuracy > 0 && c.Examples > support) {
			t.Errorf("cell %s, %d-shot: pseudo-label accuracy %g, %g examples; want both for ours only", c.Method, c.Shots, c.PseudoAccuracy, c.Examples)
		}
	}
	if len(first.Pretrained) != 2 {
		t.Fatalf("%d metrics, want 2", len(first.Pretrained))
	}
	for _, p := range first.Pretrained {
		// 4 classes × 40 images, 40 % labeled: 64 training images; 160 test images.
		if p.Steps != 2 || p.N != 64 || p.Classes != 4 || p.TestN != 160 || p.D != 32 || p.KNNAccuracy <= 0 {
			t.Errorf("metric %+v: want 2 steps on 64 images of 4 classes, 160 test images of width 32, a kNN accuracy", p)
		}
	}
	second, err := RunTable7(env, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cachedRerun(t, first, second)
	for i, c := range second.Cells {
		if !c.Cached || !slices.Equal(c.Accuracy, first.Cells[i].Accuracy) {
			t.Errorf("second run, %s %d-shot: cached %v, accuracies %v (first %v)", c.Method, c.Shots, c.Cached, c.Accuracy, first.Cells[i].Accuracy)
		}
	}
	back, _ := published[Table7Result](t, second, "", "table7-smoke", "table7-smoke.png")
	if len(back.Cells) != cells || back.Cells[0].Mean != second.Cells[0].Mean || back.Provenance.Scale != pipeline.Smoke {
		t.Errorf("read back %d cells, first mean %g (want %g), scale %q", len(back.Cells), back.Cells[0].Mean, second.Cells[0].Mean, back.Provenance.Scale)
	}
	header, rows := back.BesidePaper()
	if len(rows) != len(Table7Paper) {
		t.Fatalf("BesidePaper: %d rows, want the paper's %d", len(rows), len(Table7Paper))
	}
	for i, row := range rows {
		if len(row) != len(header) {
			t.Fatalf("row %v has %d columns, header %d", row, len(row), len(header))
		}
		// Ours is shown exactly on the rows we compute (SNCA, our supervised, our unsupervised).
		if computed := Table7Paper[i].Ours != ""; computed == (row[4] == "—") {
			t.Errorf("row %q: ours 1-shot %q", row[0], row[4])
		}
	}
	if note := back.Note(); !strings.Contains(note, "Stand-in") || !strings.Contains(note, "no distractor") {
		t.Errorf("the note does not name the stand-in and the missing distractors: %s", note)
	}
}

// TestTable7NetFinetune runs ours with the whole network finetuned per episode (train.Fit from
// the metric's network), on two tiny episodes.
func TestTable7NetFinetune(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network per episode")
	}
	dataDir := t.TempDir()
	writeColourFolder(t, dataDir, 8, 20)
	cfg := table7SmokeConfig(t, dataDir)
	env := testEnv(t, dataDir)
	cfg.Methods, cfg.Shots, cfg.Episodes, cfg.Queries, cfg.Finetune = []string{Table7OursUnsupervised}, []int{1}, 2, 3, Table7Net
	cfg.Net.BatchSize, cfg.NetEpochs, cfg.KNN = 16, 1, 0
	res, err := RunTable7(env, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 1 || len(res.Cells[0].Accuracy) != 2 || res.Cells[0].Examples <= 4 {
		t.Errorf("cells %+v: want one cell of 2 episodes trained on pseudo labels", res.Cells)
	}
	if !strings.Contains(res.Note(), "whole network") {
		t.Errorf("the note does not say the network was finetuned: %s", res.Note())
	}
}

// TestTable7Errors checks that bad configurations fail before anything trains, naming the fix.
func TestTable7Errors(t *testing.T) {
	dataDir := t.TempDir()
	writeColourFolder(t, dataDir, 8, 20)
	for _, c := range []struct {
		name, want string
		edit       func(*Table7Config)
	}{
		{"no shots", "methods and shots", func(c *Table7Config) { c.Shots = nil }},
		{"unknown method", "unknown method", func(c *Table7Config) { c.Methods = []string{"maml"} }},
		{"supervised by instance", "Method", func(c *Table7Config) {
			pc := c.Metrics[Table7Supervised]
			pc.Method = "instance"
			c.Metrics[Table7Supervised] = pc
		}},
		{"no unsupervised metric", `no "unsupervised"`, func(c *Table7Config) { delete(c.Metrics, Table7Unsupervised) }},
		{"finetune mode", "Finetune", func(c *Table7Config) { c.Finetune = "all" }},
		{"seen test class", "unseen", func(c *Table7Config) { c.TestClasses[0] = c.TrainClasses[0] }},
		{"unknown class", `no class "dog"`, func(c *Table7Config) { c.TestClasses[0] = "dog" }},
		{"too many ways", "test classes", func(c *Table7Config) { c.Ways = 5 }},
		{"too many queries", "lower Queries", func(c *Table7Config) { c.Queries = 8 }},
		{"no mini-imagenet", "mini-imagenet", func(c *Table7Config) { c.Dataset = "mini-imagenet" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := table7SmokeConfig(t, dataDir)
			env := testEnv(t, dataDir)
			c.edit(&cfg)
			if _, err := RunTable7(env, cfg, nil); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := Table7ConfigFor("huge"); err == nil {
		t.Error("Table7ConfigFor(huge): no error")
	}
}

// TestTable7Paper spot-checks the paper's numbers and the rows that map to ours.
func TestTable7Paper(t *testing.T) {
	for _, c := range []struct {
		method    string
		shots     int
		want, pm  float64
		wantFound bool
	}{
		{Table7SNCA, 1, 50.3, 0.7, true},
		{Table7SNCA, 5, 64.1, 0.8, true},
		{Table7OursSupervised, 1, 56.1, 0.6, true},
		{Table7OursSupervised, 5, 70.7, 0.5, true},
		{Table7OursUnsupervised, 1, 50.8, 0.6, true},
		{Table7OursUnsupervised, 5, 66.0, 0.5, true},
		{Table7OursUnsupervised, 10, 0, 0, false},
		{"", 1, 0, 0, false},
	} {
		got, pm, ok := Table7PaperAccuracy(c.method, c.shots)
		if ok != c.wantFound || got != c.want || pm != c.pm {
			t.Errorf("%q at %d shots: %g ± %g (%v), want %g ± %g (%v)", c.method, c.shots, got, pm, ok, c.want, c.pm, c.wantFound)
		}
	}
	if len(Table7Paper) != 9 || Table7Paper[1].Method != "MAML [8]" || Table7Paper[1].FiveShot != 63.2 || Table7Paper[6].OneShotPM != 0.3 {
		t.Errorf("the paper's rows differ from Table 7: %+v", Table7Paper)
	}
}
