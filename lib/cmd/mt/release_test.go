package main

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/release"
	"github.com/metric-transfer/mtlp/lib/repro"
)

// TestReleaseRoundTrip pretrains a metric with the kNN monitor, releases it, and reads the
// release back: its features must be the metric's own rounded to float16, its labels the
// dataset's, its network must compute the checkpoint's features exactly, and metric.json must
// carry the schedule, the curve and the slices; a damaged file or another order of the data
// must be refused, naming what is wrong.
func TestReleaseRoundTrip(t *testing.T) {
	backend := backendtest.New(t, "go")
	dir := t.TempDir()
	o := pretrainOptions{Method: metric.MethodInstance, Net: nets.NetConv4, Data: "synthetic", Split: "train",
		Epochs: 2, RestartEpochs: 1, Batch: 8, Channels: 4, LearningRate: 0.03, Optimizer: "sgd", Seed: 1,
		KNN: 5, KNNTemperature: 0.1, Command: "mt pretrain (test)", Out: filepath.Join(dir, "ckpt")}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.EmbeddingDim = 8
	if err := runPretrain(o, cfg, backend, syntheticLoad(t), io.Discard); err != nil {
		t.Fatal(err)
	}
	ro := releaseOptions{Checkpoint: o.Out, Out: filepath.Join(dir, "metrics", "instance-synthetic"), Data: "synthetic", Command: "mt release (test)"}
	if _, err := runRelease(ro, backend, syntheticLoad(t), io.Discard); err != nil {
		t.Fatal(err)
	}
	r, err := release.Open(ro.Out)
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info
	if info.Name != "instance-synthetic" || info.Epochs != 2 || info.EpochSteps != 6 || info.Dim != 8 || len(info.Slices) != 1 ||
		info.KNN == nil || len(info.KNN.Points) != 2 || !(info.KNNReleased >= 0 && info.KNNReleased <= 1) ||
		!(info.ImagesPerSecond > 0) || info.Provenance.Command != ro.Command || len(info.Settings) == 0 {
		t.Errorf("metric.json: %+v", info)
	}
	p, err := metric.LoadPretrained(backend, o.Out)
	if err != nil {
		t.Fatal(err)
	}
	ds := datatest.Synthetic(t, 48, 8, 4, 3)
	want, _, err := p.Features(ds, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range []string{"train", "test"} {
		x, labels, err := r.Features(split)
		if err != nil {
			t.Fatal(err)
		}
		if x.N != 48 || x.D != 8 || !slices.Equal(labels, ds.Labels) {
			t.Fatalf("%s: %d×%d features, labels %v", split, x.N, x.D, labels)
		}
		for i, v := range x.Data {
			if d := math.Abs(float64(v - want[i])); d > math.Abs(float64(want[i]))*math.Ldexp(1, -11) {
				t.Fatalf("%s: feature %d is %v, the metric's %v", split, i, v, want[i])
			}
		}
		if err := r.Match(split, ds); err != nil {
			t.Error(err)
		}
	}
	net, err := r.Network(backend)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := net.Features(ds, nil, nil)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("the released network's features differ from the checkpoint's (%v)", err)
	}
	shuffled := datatest.Synthetic(t, 48, 8, 4, 3)
	shuffled.Labels[0], shuffled.Labels[1] = shuffled.Labels[1], shuffled.Labels[0]
	if shuffled.Labels[0] != shuffled.Labels[1] {
		if err := r.Match("train", shuffled); err == nil || !strings.Contains(err.Error(), "another order") {
			t.Errorf("data in another order: %v, want a refusal", err)
		}
	}
	if _, err := runRelease(ro, backend, syntheticLoad(t), io.Discard); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("releasing over a release: %v, want a refusal", err)
	}
	path := filepath.Join(ro.Out, release.FeaturesFile("test"))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := release.Open(ro.Out); err == nil || !strings.Contains(err.Error(), "test.npy") {
		t.Errorf("a damaged test.npy: %v, want an error naming it", err)
	}
}

// TestResolveMetric: --metric takes "" and train as they are, a release folder as it is, and
// refuses a name that is no release, saying how to train here.
func TestResolveMetric(t *testing.T) {
	for _, v := range []string{"", repro.TrainHere} {
		if got, err := resolveMetric(v); err != nil || got != v {
			t.Errorf("--metric %q: %q (%v)", v, got, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "r")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, release.InfoFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := resolveMetric(dir); err != nil || got != dir {
		t.Errorf("--metric %s: %q (%v)", dir, got, err)
	}
	t.Setenv(release.EnvMetricsDir, t.TempDir())
	if _, err := resolveMetric("no-such-release"); err == nil || !strings.Contains(err.Error(), "give train") {
		t.Errorf("an unknown name: %v, want a refusal saying how to train here", err)
	}
}
