package repro

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
)

// fakeRelease writes a features-only release of the train and test splits in dataDir: random
// unit rows of dimension d, each pulled towards its class's direction so that the metric is a
// good one, with the splits' own labels.
func fakeRelease(t *testing.T, dataDir, dir string, d int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	var splits []release.Split
	for _, name := range []string{"train", "test"} {
		ds, err := data.Load(dataDir, "cifar10", name)
		if err != nil {
			t.Fatal(err)
		}
		x := propagate.NewMatrix(ds.N, d)
		for i := range ds.N {
			row, s := x.Row(i), 0.0
			for j := range row {
				row[j] = float32(rng.NormFloat64())
				if j == int(ds.Labels[i]) {
					row[j] += 4
				}
				s += float64(row[j]) * float64(row[j])
			}
			for j := range row {
				row[j] /= float32(math.Sqrt(s))
			}
		}
		splits = append(splits, release.Split{Name: name, Features: x, Labels: ds.Labels})
	}
	info := release.Info{Name: filepath.Base(dir), Data: "cifar10", Epochs: 1270, Metric: metric.PretrainInfo{Method: "instance", Net: "wrn-28-2", Steps: 495300}}
	if err := release.Write(dir, info, nil, splits...); err != nil {
		t.Fatal(err)
	}
}

// TestReleasedMetric: with a released metric, Table 1's instance features are the release's
// rows of the pool (float16, read back), nothing is pretrained for them, and Table 2's
// instance propagation rows use them and list the release among the metrics, with its kNN
// accuracy measured on the pool as Table 2 measures its own; a release of other images is
// refused.
func TestReleasedMetric(t *testing.T) {
	dataDir := colourData(t, 30)
	rel := filepath.Join(t.TempDir(), "instance-fake")
	fakeRelease(t, dataDir, rel, 8)

	t1 := smokeConfig(t, Table1ConfigFor)
	t1.Pool, t1.Labels = 60, []int{8}
	t1.Released = map[string]string{metric.MethodInstance: rel}
	var stages []string
	env := testEnv(t, dataDir)
	env.Progress = func(stage string, _, _ int) { stages = append(stages, stage) }
	r, err := openTable1(env, "test", t1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.features(metric.MethodInstance, 0)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := release.Open(rel)
	if err != nil {
		t.Fatal(err)
	}
	want, err := opened.Rows("train", r.pool.Rows)
	if err != nil {
		t.Fatal(err)
	}
	if f.N != 60 || f.D != 8 || !slices.Equal(f.Features, want.Data) {
		t.Errorf("table 1's instance features are %d×%d, not the release's rows of the pool", f.N, f.D)
	}
	if len(stages) != 0 {
		t.Errorf("the released metric ran stages %v", stages)
	}

	t2 := smokeConfig(t, Table2ConfigFor)
	env.Progress = nil
	t2.Pool, t2.Test, t2.Labels, t2.KNN = 0, 0, []int{8}, 5
	t2.Rows = []Table2Row{{Metric: metric.MethodInstance, Transfer: pipeline.NN}, {Metric: metric.MethodInstance, Transfer: pipeline.Spectral}}
	t2.Spectral.Eta, t2.Classifier.Steps, t2.Classifier.BatchSize = 20, 2, 16
	t2.Released = map[string]string{metric.MethodInstance: rel}
	res, err := RunTable2(env, t2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pretrained) != 1 || res.Pretrained[0].Metric != "instance (released instance-fake)" || res.Pretrained[0].Epochs != 1270 ||
		!(res.Pretrained[0].KNNAccuracy > 0.9) {
		t.Errorf("metrics %+v, want the release alone, with its epochs and a kNN accuracy near 1 (its rows point at their classes)", res.Pretrained)
	}
	// The instance rows' pseudo labels come from a metric that separates the classes.
	for _, c := range res.Cells {
		if !(c.PseudoAccuracy > 0.9) {
			t.Errorf("cell %+v: pseudo labels %.2f right in a metric that separates the classes", c, c.PseudoAccuracy)
		}
	}

	other := t.TempDir()
	writeColourFolder(t, other, 4, 20)
	env.DataDir = other
	if r, err = openTable1(env, "test", t1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.features(metric.MethodInstance, 0); err == nil || !strings.Contains(err.Error(), "has 120 images") {
		t.Errorf("a release of other images: %v, want a refusal", err)
	}
}

// TestTable1PaperScale: Table 1 at the paper's scale needs the released metric, says where it
// comes from when it is missing, and otherwise computes the instance rows alone, in the
// release's features, naming the release in its rows and note.
func TestTable1PaperScale(t *testing.T) {
	t.Setenv(release.EnvMetricsDir, t.TempDir())
	if _, err := Table1ConfigFor(pipeline.Paper); err == nil || !strings.Contains(err.Error(), "lib/gpu/metric.sh") {
		t.Errorf("without the release: %v, want an error saying how it is made", err)
	}
	metrics := t.TempDir()
	t.Setenv(release.EnvMetricsDir, metrics)
	dataDir := colourData(t, 30)
	fakeRelease(t, dataDir, filepath.Join(metrics, CIFAR10Release), 8)
	cfg, err := Table1ConfigFor(pipeline.Paper)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Pool != 0 || len(cfg.Labels) != 8 || !slices.Equal(cfg.Rows, []string{metric.MethodInstance}) ||
		cfg.Released[metric.MethodInstance] != filepath.Join(metrics, CIFAR10Release) {
		t.Fatalf("paper config: pool %d, labels %v, rows %v, released %v", cfg.Pool, cfg.Labels, cfg.Rows, cfg.Released)
	}
	env := testEnv(t, dataDir)
	cfg.Labels, cfg.Spectral.Eta = []int{8, 12}, 20
	res, err := RunTable1(env, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 4 || len(res.Pretrained) != 1 || res.Pretrained[0].Released != CIFAR10Release {
		t.Fatalf("%d cells and metrics %+v, want 4 instance cells from the release", len(res.Cells), res.Pretrained)
	}
	for _, c := range res.Cells {
		if c.Metric != metric.MethodInstance || !(c.MAP > 0.9) {
			t.Errorf("cell %+v: want instance rows with a high mAP in a metric that separates the classes", c)
		}
	}
	_, rows := res.BesidePaper()
	if !strings.Contains(rows[0][0], "released "+CIFAR10Release) || !strings.Contains(res.Note(), "the released metric "+CIFAR10Release) ||
		strings.Contains(res.Note(), "trained here") {
		t.Errorf("row %q and note %q should name the release, and nothing trained here", rows[0][0], res.Note())
	}
	if _, err := res.Figure(propagate.Spectral); err != nil {
		t.Error(err)
	}
}
