package repro

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/errtest"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// TestTable5LabelCounts checks the columns' label counts against hand-computed shares of the
// pool, and the configuration errors.
func TestTable5LabelCounts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pool     int
		percents []float64
		want     []int
		err      string
	}{
		{"paper shares of CIFAR-10", 50000, []float64{1, 2, 4}, []int{500, 1000, 2000}, ""},
		{"bench pool", 20000, []float64{1, 2, 4}, []int{200, 400, 800}, ""},
		{"rounded", 1234, []float64{0.5, 10}, []int{6, 123}, ""},
		{"no pool size", 0, []float64{1}, nil, "Pool must be"},
		{"no shares", 1000, nil, nil, "Percents is empty"},
		{"share above 100", 1000, []float64{120}, nil, "want (0, 100]"},
		{"zero share", 1000, []float64{0}, nil, "want (0, 100]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Table5Config{Percents: tc.percents}
			cfg.Pool = tc.pool
			got, err := cfg.labelCounts()
			if errtest.Want(t, err, tc.err) {
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("labelCounts() = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestTable5Config checks each scale's settings: the paper's rows and shares, 10 chunks, and
// ResNet-50 for both networks at the paper scale.
func TestTable5Config(t *testing.T) {
	for _, scale := range []string{pipeline.Smoke, pipeline.Bench, pipeline.Paper} {
		cfg, err := Table5ConfigFor(scale)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cfg.Rows, Table5Rows) || !slices.Equal(cfg.Percents, Table5PaperPercents) || cfg.Spectral.Chunks != 10 || cfg.Pool <= 0 {
			t.Errorf("%s: rows %v, shares %v, %d chunks, pool %d", scale, cfg.Rows, cfg.Percents, cfg.Spectral.Chunks, cfg.Pool)
		}
		if _, ok := cfg.Metrics[metric.MethodInstance]; !ok || len(cfg.Metrics) != 1 {
			t.Errorf("%s: metrics %v, want instance discrimination alone", scale, cfg.Metrics)
		}
	}
	cfg, _ := Table5ConfigFor(pipeline.Paper)
	if cfg.Metrics[metric.MethodInstance].Net != nets.NetResNet50 || cfg.Classifier.Net != nets.NetResNet50 || cfg.Pool != 50000 {
		t.Errorf("paper scale: metric %s, classifier %s, pool %d; want ResNet-50 twice on 50,000 images",
			cfg.Metrics[metric.MethodInstance].Net, cfg.Classifier.Net, cfg.Pool)
	}
	if _, err := Table5ConfigFor("huge"); err == nil {
		t.Error("unknown scale accepted")
	}
	if p, ok := Table5PaperAccuracy(Table5Rows[2], 1); !ok || p != 58.6 {
		t.Errorf("paper's Ours at 1 %% = %v, %v; want 58.6", p, ok)
	}
	if _, ok := Table5PaperAccuracy(Table5Rows[0], 3); ok {
		t.Error("the paper has no 3 % column")
	}
}

// TestTable5Smoke runs Table 5 on generated images with a chunked spectral propagation: a cell
// per row and share at the shares' label counts, the chunks as configured, the gains over
// Scratch as computed by hand from the cells, and a publishable result that reads back.
func TestTable5Smoke(t *testing.T) {
	dataDir := colourData(t, 40)
	cfg := smokeConfig(t, Table5ConfigFor)
	env := testEnv(t, dataDir)
	cfg.Pool, cfg.Test, cfg.Percents, cfg.KNN = 160, 0, []float64{5, 10}, 5
	cfg.Spectral.Eta, cfg.Spectral.Chunks = 10, 3
	pc := cfg.Metrics[metric.MethodInstance]
	pc.Steps, pc.BatchSize = 2, 16
	cfg.Metrics[metric.MethodInstance] = pc
	cfg.Classifier.Steps, cfg.Classifier.BatchSize = 2, 16
	partials := 0
	res, err := RunTable5(env, cfg, func(*Table5Result) { partials++ })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Config.Labels, []int{8, 16}) {
		t.Fatalf("label counts %v, want 8 and 16 (5 and 10 %% of 160)", res.Config.Labels)
	}
	if len(res.Cells) != 6 || partials != 6 {
		t.Fatalf("%d cells, %d partial results; want 6 of each", len(res.Cells), partials)
	}
	for _, row := range Table5Rows {
		for _, pct := range cfg.Percents {
			c := res.Cell(row, pct)
			if c == nil {
				t.Fatalf("no cell for %s at %g %%", Table5RowName(row), pct)
			}
			if (row.Transfer == pipeline.Spectral) != (c.PseudoAccuracy > 0) {
				t.Errorf("%s at %g %%: pseudo-label accuracy %g", Table5RowName(row), pct, c.PseudoAccuracy)
			}
		}
	}
	if res.Config.Spectral.Chunks != 3 {
		t.Errorf("result's configuration has %d chunks, want 3", res.Config.Spectral.Chunks)
	}
	_, gains := res.Gains()
	if len(gains) != 4 {
		t.Fatalf("%d gain rows, want 4 (two rows × two shares)", len(gains))
	}
	ft, scratch := res.Cell(Table5Rows[1], 5), res.Cell(Table5Rows[0], 5)
	if want := fmt.Sprintf("%+.2f", 100*(ft.Accuracy-scratch.Accuracy)); gains[0][3] != want {
		t.Errorf("finetune's gain at 5 %% = %s, want %s", gains[0][3], want)
	}
	if header, rows := res.BesidePaper(); len(rows) != 6 || len(header) != len(rows[0]) {
		t.Errorf("BesidePaper: %d columns, %d rows", len(header), len(rows))
	}
	if !strings.Contains(res.Note(), "Stand-in") || !strings.Contains(res.Note(), "3 chunks") {
		t.Errorf("note lacks the stand-in or the chunks: %s", res.Note())
	}
	back, _ := published[Table5Result](t, res, "", "table5-smoke", "table5-smoke.png")
	if back.Cell(Table5Rows[2], 10).Accuracy != res.Cell(Table5Rows[2], 10).Accuracy || !slices.Equal(back.Config.Percents, cfg.Percents) {
		t.Error("the published result reads back different")
	}
}
