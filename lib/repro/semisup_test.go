package repro

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/train"
)

// TestSSLPaper checks the paper's lookups of Tables 3 and 4 against numbers read off the paper.
func TestSSLPaper(t *testing.T) {
	for _, tc := range []struct {
		table  int
		row    SSLRow
		labels int
		want   float64
		ok     bool
	}{
		{3, SSLRow{Method: "mean-teacher", Net: nets.NetWRN28x2}, 50, 29.66, true},
		{3, SSLRow{Method: OursMethod, PaperNet: nets.NetWRN28x10, Channels: 48}, 50, 73.13, true},
		{3, SSLRow{Method: OursMethod, Net: nets.NetWRN28x10}, 8000, 91.01, true},
		{3, SSLRow{Method: "vat", Net: nets.NetWRN28x2}, 250, 0, false},
		{3, SSLRow{Method: OursMethod, Net: nets.NetWRN28x2}, 300, 0, false},
		{4, SSLRow{Method: OursMethod}, 250, 71.26, true},
		{4, SSLRow{Method: "vat-em", Ours: true}, 4000, 87.20, true},
		{4, SSLRow{Method: "pi", Channels: 16}, 250, 47.07, true},
		{4, SSLRow{Method: "pi"}, 1000, 0, false},
	} {
		r := &SSLResult{Table: tc.table}
		got, ok := r.paper(tc.row, tc.labels)
		if got != tc.want || ok != tc.ok {
			t.Errorf("table %d, %+v at %d labels: %v, %v; want %v, %v", tc.table, tc.row, tc.labels, got, ok, tc.want, tc.ok)
		}
	}
}

// TestSSLGiven checks the labels a "+ Ours" baseline gets against a hand-made propagation: the
// labels, then the most confident share of the unlabeled pool with its pseudo labels.
func TestSSLGiven(t *testing.T) {
	r := &sslRun{TransferRun: &pipeline.TransferRun[Table2Pretrained]{Pool: &pipeline.Pool{
		Rows:    []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19},
		Truth:   []int32{0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
		Labeled: map[int][]int{2: {0, 1}},
	}}}
	r.cfg.PseudoShare = 0.3 // 3 of 10
	prop := &pipeline.PropagationResult{
		Labels:     []int32{0, 1, 1, 1, 0, 0, 0, 1, 1, 1},
		Confidence: []float32{1, 1, 0.9, 0.2, 0.8, 0.95, 0.1, 0.3, 0.5, 0.7},
	}
	plain, acc := r.given(2, prop, false)
	if len(plain) != 2 || acc != 0 || plain[1] != (train.Example{Index: 11, Label: 1, Weight: 1}) {
		t.Errorf("labels alone: %+v, %g", plain, acc)
	}
	withOurs, acc := r.given(2, prop, true)
	// The unlabeled rows by confidence: 5 (0.95, label 0, truth 1), 2 (0.9, label 1, truth 0),
	// 4 (0.8, label 0, truth 0).
	want := []train.Example{{Index: 10, Label: 0, Weight: 1}, {Index: 11, Label: 1, Weight: 1}, {Index: 15, Label: 0, Weight: 1}, {Index: 12, Label: 1, Weight: 1}, {Index: 14, Label: 0, Weight: 1}}
	if !slices.Equal(withOurs, want) || acc != 1.0/3 {
		t.Errorf("with ours: %+v, accuracy %g; want %+v, 1/3", withOurs, acc, want)
	}
}

// TestSSLErrors checks that bad configurations fail with a message naming the problem.
func TestSSLErrors(t *testing.T) {
	base := smokeConfig(t, Table4ConfigFor)
	for _, tc := range []struct {
		name string
		edit func(*SSLConfig)
		want string
	}{
		{"no rows", func(c *SSLConfig) { c.Methods = nil }, "Methods is empty"},
		{"unknown method", func(c *SSLConfig) { c.Methods = []SSLRow{{Method: "fixmatch"}} }, "unknown method"},
		{"ours + ours", func(c *SSLConfig) { c.Methods = []SSLRow{{Method: OursMethod, Ours: true}} }, "already uses"},
		{"no share", func(c *SSLConfig) { c.PseudoShare = 0 }, "PseudoShare > 0"},
		{"share above 1", func(c *SSLConfig) { c.PseudoShare = 2 }, "in [0, 1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.Methods = slices.Clone(base.Methods)
			tc.edit(&cfg)
			_, err := RunTable4(testEnv(t, t.TempDir()), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// tinySSL is cfg (a smoke configuration of Table 3 or 4) at 8 labels on the whole generated
// pool, with two steps of each training: the smallest run that still has every stage.
func tinySSL(cfg SSLConfig) SSLConfig {
	cfg.Pool, cfg.Test, cfg.Labels, cfg.KNN = 0, 0, []int{8}, 5
	cfg.Spectral.Eta = 20
	pc := cfg.Metrics[metric.MethodInstance]
	pc.Steps, pc.BatchSize = 2, 16
	cfg.Metrics[metric.MethodInstance] = pc
	cfg.Classifier.Steps, cfg.Classifier.BatchSize = 2, 8
	return cfg
}

// TestSSLSmoke runs Tables 3 and 4 on generated images: a cell per row and label count, "+ Ours"
// rows trained on the labels plus the given share of pseudo labels, the rows' networks as
// configured, our cells shared with Table 2's stages, a second run from the cache, and a
// result that publishes and reads back.
func TestSSLSmoke(t *testing.T) {
	dataDir := colourData(t, 30)
	env := testEnv(t, dataDir)
	t4 := tinySSL(smokeConfig(t, Table4ConfigFor))
	partials := 0
	res, err := RunTable4(env, t4, func(*SSLResult) { partials++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != len(Table4Rows) || partials != len(Table4Rows) {
		t.Fatalf("%d cells, %d partial results; want %d", len(res.Cells), partials, len(Table4Rows))
	}
	poolShare := int(0.2 * 120) // writeColourFolder: 4 classes × 30
	for _, c := range res.Cells {
		if c.Accuracy < 0 || c.Accuracy > 1 || c.Steps != 2 {
			t.Errorf("%s: accuracy %g, %d steps", SSLMethodName(c.SSLRow), c.Accuracy, c.Steps)
		}
		switch {
		case c.Method == OursMethod:
			if c.PseudoAccuracy <= 0 || c.Examples < 8 {
				t.Errorf("ours: %d examples, pseudo-label accuracy %g", c.Examples, c.PseudoAccuracy)
			}
		case c.Ours:
			if c.Examples != 8+poolShare || c.PseudoAccuracy <= 0 {
				t.Errorf("%s: %d examples (want %d), pseudo-label accuracy %g", SSLMethodName(c.SSLRow), c.Examples, 8+poolShare, c.PseudoAccuracy)
			}
		default:
			if c.Examples != 8 || c.PseudoAccuracy != 0 {
				t.Errorf("%s: %d examples, pseudo-label accuracy %g; want the 8 labels alone", SSLMethodName(c.SSLRow), c.Examples, c.PseudoAccuracy)
			}
		}
	}
	again, err := RunTable4(env, t4, nil)
	if err != nil || again.Computed != 0 {
		t.Fatalf("second Run: %v, %d stages computed; want all from the cache", err, again.Computed)
	}

	t3 := tinySSL(smokeConfig(t, Table3ConfigFor))
	res3, err := RunTable3(env, t3, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The metric, its propagation and the narrow network's two classifiers (Table 2's smoke
	// width, 4 channels) come from Table 4's run; the wide network's two are computed.
	if len(res3.Cells) != 4 || res3.Computed != 2 {
		t.Errorf("table 3: %d cells, %d stages computed; want 4 and 2", len(res3.Cells), res3.Computed)
	}
	header, rows := res3.BesidePaper()
	if len(rows) != 4 || len(header) != len(rows[0]) || !strings.Contains(rows[2][1], "12 channels") {
		t.Errorf("table 3 beside the paper: %v %v", header, rows)
	}
	if !strings.Contains(res3.Note(), "Table 3") || strings.Contains(res3.Note(), "+ Ours") {
		t.Errorf("table 3 note: %s", res3.Note())
	}
	back, _ := published[SSLResult](t, res3, "-x", "table3-smoke-x")
	if back.Table != 3 || len(back.Cells) != 4 || back.Cells[3] != res3.Cells[3] {
		t.Errorf("read back: %+v", back)
	}
}

// TestTable3Checkpoints checks that the networks of one row keep their checkpoints apart: with
// a shared folder, the wide classifier would resume from the narrow one's last step.
func TestTable3Checkpoints(t *testing.T) {
	dataDir := colourData(t, 30)
	cfg := tinySSL(smokeConfig(t, Table3ConfigFor))
	env := testEnv(t, dataDir)
	env.CheckpointDir = t.TempDir()
	if _, err := RunTable3(env, cfg, nil); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(env.CheckpointDir)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range entries {
		if !e.IsDir() {
			continue // name.key beside each folder, for pipeline.ExportState
		}
		kind, _, _ := strings.Cut(e.Name(), "-")
		if strings.HasPrefix(e.Name(), "pretrain-instance-") || strings.HasPrefix(e.Name(), "ssl-mean-teacher-") {
			kind = e.Name()[:strings.LastIndex(e.Name(), "-")]
		}
		kinds[kind]++
	}
	// One metric; our classifier and Mean Teacher on the narrow and the wide network each.
	want := map[string]int{"pretrain-instance": 1, "classifier": 2, "ssl-mean-teacher": 2}
	if !maps.Equal(kinds, want) {
		t.Errorf("checkpoint folders by kind %v, want %v", kinds, want)
	}
}
