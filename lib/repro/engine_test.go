package repro

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// testEnv is a test's environment: the default backend, the data in dataDir, a fresh stage
// cache and the command "test".
func testEnv(t *testing.T, dataDir string) pipeline.Env {
	t.Helper()
	b, err := pipeline.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.Env{Backend: b, DataDir: dataDir, CacheDir: t.TempDir(), Command: "test"}
}

// smokeConfig returns a table's settings at the smoke scale, configFor being its ConfigFor.
func smokeConfig[C any](t *testing.T, configFor func(scale string) (C, error)) C {
	t.Helper()
	cfg, err := configFor(pipeline.Smoke)
	if err != nil {
		t.Fatalf("settings at the smoke scale: %v", err)
	}
	return cfg
}

// TestStagesShared: a stage has one key whichever table asks for it. Table 2 after Table 1 on
// the same pool trains no metric and propagates nothing again (Table 1's stages serve it);
// Table 5 after Table 2 trains only its finetuning classifier (its scratch and spectral cells
// are Table 2's).
func TestStagesShared(t *testing.T) {
	dataDir := colourData(t, 30)
	env := testEnv(t, dataDir)
	t1 := smokeConfig(t, Table1ConfigFor)
	t1.Pool, t1.Labels, t1.Rows, t1.Spectral.Eta = 0, []int{8}, []string{metric.MethodInstance}, 20
	pc := t1.Metrics[metric.MethodInstance]
	pc.Steps, pc.BatchSize = 2, 16
	t1.Metrics[metric.MethodInstance] = pc
	if _, err := RunTable1(env, t1, nil); err != nil {
		t.Fatal(err)
	}
	t2 := smokeConfig(t, Table2ConfigFor)
	t2.Pool, t2.Test, t2.Labels, t2.KNN, t2.Metrics, t2.Spectral = 0, 0, []int{8}, 0, t1.Metrics, t1.Spectral
	t2.Rows = []Table2Row{{Metric: pipeline.NoMetric, Transfer: pipeline.Scratch}, {Metric: metric.MethodInstance, Transfer: pipeline.Spectral}}
	t2.Classifier.Steps, t2.Classifier.BatchSize = 2, 16
	r2, err := RunTable2(env, t2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Computed != 2 {
		t.Errorf("table 2 after table 1 computed %d stages, want 2 (its classifiers alone)", r2.Computed)
	}
	t5 := smokeConfig(t, Table5ConfigFor)
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
		if c2 := r2.Cell(Table2Row{Metric: c.Metric, Transfer: c.Transfer}, 8); c2 != nil && c2.Weights != c.Weights {
			t.Errorf("table 5's %s/%s cell has other weights than table 2's", c.Metric, c.Transfer)
		}
	}
}

// TestRunPauses runs Table 2 with a pause that has always come (Env.Pause of 1 ns: every
// training runs one call of 2 steps, then pauses the run), each call on a new machine: new
// cache and checkpoint directories, into which the state that the call before exported is
// imported (entries of at most 4 KiB, so the metric's network and the pool's features stay
// behind; the metric's final checkpoint goes instead). It checks that every cell ends as in an
// uninterrupted Run: the same test accuracy, steps and classifier weights (their digest).
func TestRunPauses(t *testing.T) {
	dataDir, cfg := smallTable2(t, 3)
	cfg.Labels, cfg.KNN = []int{8}, 0
	cfg.Rows = []Table2Row{{Metric: pipeline.NoMetric, Transfer: pipeline.Scratch}, {Metric: metric.MethodInstance, Transfer: pipeline.Spectral}}
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
			if _, err := pipeline.ImportState(env, state); err != nil {
				t.Fatal(err)
			}
		}
		res, err := RunTable2(env, cfg, nil)
		var paused *pipeline.PausedError
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
		if _, err := pipeline.ExportState(env, state, 4<<10); err != nil {
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

// published publishes res into a new folder and reads it back as R, checking that the JSON is
// base.json there, beside each of pngs; it returns what it read and the folder.
func published[R any](t *testing.T, res interface {
	Publish(dir, suffix string) (string, error)
}, suffix, base string, pngs ...string) (*R, string) {
	t.Helper()
	dir := t.TempDir()
	path, err := res.Publish(dir, suffix)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, base+".json") {
		t.Errorf("published %s, want %s.json", path, base)
	}
	for _, png := range pngs {
		if _, err := os.Stat(filepath.Join(dir, png)); err != nil {
			t.Error(err)
		}
	}
	back, err := pipeline.ReadResult[R](path)
	if err != nil {
		t.Fatal(err)
	}
	return back, dir
}

// cachedRerun checks that second, a rerun of first on the same cache, computed no stage and
// rests on the same compute seconds.
func cachedRerun(t *testing.T, first, second interface{ Run() *pipeline.RunInfo }) {
	t.Helper()
	if n := second.Run().Computed; n != 0 {
		t.Errorf("the rerun computed %d stages, want 0 (all cached)", n)
	}
	if a, b := first.Run().Provenance.Seconds, second.Run().Provenance.Seconds; a != b {
		t.Errorf("compute seconds differ between a run and its cached rerun: %v vs %v", a, b)
	}
}
