package repro

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/metric"
)

// testEnv is a test's environment: the default backend, the data in dataDir, a fresh stage
// cache and the command "test".
func testEnv(t *testing.T, dataDir string) Env {
	t.Helper()
	b, err := NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return Env{Backend: b, DataDir: dataDir, CacheDir: t.TempDir(), Command: "test"}
}

// TestStagesShared: a stage has one key whichever table asks for it. Table 2 after Table 1 on
// the same pool trains no metric and propagates nothing again (Table 1's stages serve it);
// Table 5 after Table 2 trains only its finetuning classifier (its scratch and spectral cells
// are Table 2's).
func TestStagesShared(t *testing.T) {
	dataDir := colourData(t, 30)
	env := testEnv(t, dataDir)
	t1, err := Table1ConfigFor(Smoke)
	if err != nil {
		t.Fatal(err)
	}
	t1.Pool, t1.Labels, t1.Rows, t1.Spectral.Eta = 0, []int{8}, []string{metric.MethodInstance}, 20
	pc := t1.Metrics[metric.MethodInstance]
	pc.Steps, pc.BatchSize = 2, 16
	t1.Metrics[metric.MethodInstance] = pc
	if _, err := RunTable1(env, t1, nil); err != nil {
		t.Fatal(err)
	}
	t2, err := Table2ConfigFor(Smoke)
	if err != nil {
		t.Fatal(err)
	}
	t2.Pool, t2.Test, t2.Labels, t2.KNN, t2.Metrics, t2.Spectral = 0, 0, []int{8}, 0, t1.Metrics, t1.Spectral
	t2.Rows = []Table2Row{{NoMetric, Scratch}, {metric.MethodInstance, Spectral}}
	t2.Classifier.Steps, t2.Classifier.BatchSize = 2, 16
	r2, err := RunTable2(env, t2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Computed != 2 {
		t.Errorf("table 2 after table 1 computed %d stages, want 2 (its classifiers alone)", r2.Computed)
	}
	t5, err := Table5ConfigFor(Smoke)
	if err != nil {
		t.Fatal(err)
	}
	t5.Table2Config = t2
	t5.Rows, t5.Pool, t5.Percents = Table5Rows, 120, []float64{100 * 8.0 / 120}
	r5, err := RunTable5(env, t5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r5.Computed != 1 || len(r5.Cells) != 3 {
		t.Errorf("table 5 after table 2 computed %d stages for %d cells, want 1 (the finetuning classifier) for 3", r5.Computed, len(r5.Cells))
	}
	for _, c := range r5.Cells {
		if c2 := r2.Cell(Table2Row{c.Metric, c.Transfer}, 8); c2 != nil && c2.Weights != c.Weights {
			t.Errorf("table 5's %s/%s cell has other weights than table 2's", c.Metric, c.Transfer)
		}
	}
}

// TestStageRecomputesAnEarlierLayout: an entry that passes the store's check but lacks the file
// its stage reads (written in an earlier layout of the stage) is moved aside and computed anew;
// a second call reads it from the cache.
func TestStageRecomputesAnEarlierLayout(t *testing.T) {
	r, err := testEnv(t, t.TempDir()).open("test", Smoke)
	if err != nil {
		t.Fatal(err)
	}
	const key = "quality-0123456789abcdef0123"
	if _, _, err := r.store.Build(key, func(dir string) error {
		return os.WriteFile(filepath.Join(dir, "old.json"), []byte("{}"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	compute := func(string) (*QualityResult, error) { return &QualityResult{K: 7}, nil }
	for i, want := range []bool{false, true} {
		v, _, err := stage(r, key, "result.json", compute)
		if err != nil || v.K != 7 || v.Cached != want {
			t.Fatalf("call %d: %+v, %v; want K 7 and cached %v", i, v, err, want)
		}
	}
	if r.computed != 1 {
		t.Errorf("%d stages computed, want 1", r.computed)
	}
	if aside, _ := filepath.Glob(filepath.Join(r.store.Dir, "corrupt", key+"-*")); len(aside) != 1 {
		t.Errorf("%d entries moved aside, want 1", len(aside))
	}
}

// TestRunPauses runs Table 2 with a pause that has always come (Env.Pause of 1 ns: every
// training runs one call of 2 steps, then pauses the run), each call on a new machine: new
// cache and checkpoint directories, into which the state that the call before exported is
// imported (entries of at most 4 KiB, so the metric's network and the pool's features stay
// behind; the metric's final checkpoint goes instead). It checks that every cell ends as in an
// uninterrupted run: the same test accuracy, steps and classifier weights (their digest).
func TestRunPauses(t *testing.T) {
	dataDir, cfg := smallTable2(t, 3)
	cfg.Labels, cfg.KNN = []int{8}, 0
	cfg.Rows = []Table2Row{{NoMetric, Scratch}, {metric.MethodInstance, Spectral}}
	want, err := RunTable2(testEnv(t, dataDir), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got *Table2Result
	state := ""
	for call := 1; got == nil; call++ {
		if call > 20 {
			t.Fatalf("still paused after %d calls", call-1)
		}
		env := testEnv(t, dataDir)
		env.CheckpointDir, env.Pause, env.StepsPerCall = t.TempDir(), time.Nanosecond, 2
		if state != "" {
			if _, err := ImportState(env, state); err != nil {
				t.Fatal(err)
			}
		}
		res, err := RunTable2(env, cfg, nil)
		var paused *PausedError
		if !errors.As(err, &paused) {
			if err != nil {
				t.Fatal(err)
			}
			got = res
			// Call 1 trains 2 of the scratch classifier's 3 steps; call 2 its last, then 2 of
			// the metric's; call 3 the metric's last, the features, the propagation and 2 of
			// the spectral row's classifier's steps; call 4 rebuilds the metric's entry from
			// its final checkpoint, without training, and the features, and trains the last
			// step.
			if call != 4 || res.Computed != 3 {
				t.Errorf("finished at call %d computing %d stages, want call 4 computing the metric's entry, the features and the last classifier", call, res.Computed)
			}
			break
		}
		state = filepath.Join(t.TempDir(), "state")
		if _, err := ExportState(env, state, 4<<10); err != nil {
			t.Fatal(err)
		}
	}
	if len(got.Cells) != len(want.Cells) {
		t.Fatalf("%d cells, want %d", len(got.Cells), len(want.Cells))
	}
	for i, w := range want.Cells {
		g := got.Cells[i]
		if g.Accuracy != w.Accuracy || g.Steps != w.Steps || g.Weights != w.Weights || g.PseudoAccuracy != w.PseudoAccuracy {
			t.Errorf("cell %s/%s: accuracy %v, %d steps, weights %s, pseudo labels %v; uninterrupted %v, %d, %s, %v",
				g.Metric, g.Transfer, g.Accuracy, g.Steps, g.Weights, g.PseudoAccuracy, w.Accuracy, w.Steps, w.Weights, w.PseudoAccuracy)
		}
	}
}
