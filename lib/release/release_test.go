package release

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// tiny writes a features-only release of two splits into dir.
func tiny(t *testing.T, dir string) {
	t.Helper()
	x := propagate.Matrix{N: 3, D: 2, Data: []float32{1, 0, 0, 1, -1, 0}}
	y := propagate.Matrix{N: 2, D: 2, Data: []float32{0, -1, 0.5, -0.75}}
	err := Write(dir, Info{Name: "tiny", Data: "synthetic"},
		nil, Split{Name: "train", Features: x, Labels: []int32{0, 1, 2}}, Split{Name: "test", Features: y, Labels: []int32{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteOpen writes a release and reads it back: the rows (these values are exact in
// float16), labels, listed files and picked rows; a second write into it is refused, and so
// are a split it does not hold and a row beyond it.
func TestWriteOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny")
	tiny(t, dir)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Splits(), []string{"test", "train"}) || r.Info.Dim != 2 || r.Info.Rows["train"] != 3 {
		t.Errorf("info %+v", r.Info)
	}
	for _, f := range []string{"train.npy", "test.npy", "train-labels.npy", "test-labels.npy"} {
		if r.Info.SHA256[f] == "" {
			t.Errorf("metric.json lists no SHA-256 of %s", f)
		}
	}
	x, labels, err := r.Features("test")
	if err != nil || !slices.Equal(x.Data, []float32{0, -1, 0.5, -0.75}) || !slices.Equal(labels, []int32{1, 0}) {
		t.Errorf("test split %v %v (%v)", x.Data, labels, err)
	}
	rows, err := r.Rows("train", []int{2, 0})
	if err != nil || !slices.Equal(rows.Data, []float32{-1, 0, 1, 0}) {
		t.Errorf("rows 2, 0: %v (%v)", rows.Data, err)
	}
	if _, err := r.Rows("train", []int{3}); err == nil {
		t.Error("row 3 of 3 was read")
	}
	if _, _, err := r.Features("val"); err == nil || !strings.Contains(err.Error(), `no "val" split`) {
		t.Errorf("a missing split: %v", err)
	}
	if _, err := r.Network(nil); err == nil || !strings.Contains(err.Error(), "features only") {
		t.Errorf("the network of a features-only release: %v", err)
	}
	if err := Write(dir, Info{}, nil, Split{Name: "train", Features: propagate.Matrix{N: 1, D: 1, Data: []float32{1}}, Labels: []int32{0}}); err == nil {
		t.Error("a release was written over another")
	}
}

// TestOpenDamaged: a release missing a file, or with a changed one, or without metric.json, is
// refused with an error that names what is wrong.
func TestOpenDamaged(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(dir string) error
		want string
	}{
		{"missing labels", func(dir string) error { return os.Remove(filepath.Join(dir, "test-labels.npy")) }, "test-labels.npy"},
		{"changed features", func(dir string) error {
			p := filepath.Join(dir, "train.npy")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)-1] ^= 0x10
			return os.WriteFile(p, b, 0o644)
		}, "train.npy has SHA-256"},
		{"no metric.json", func(dir string) error { return os.Remove(filepath.Join(dir, InfoFile)) }, "no metric.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tiny")
			tiny(t, dir)
			if err := tc.edit(dir); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestFind looks a release up in $MT_METRICS_DIR, then in figures/metrics of the working
// directory or a folder above it (as a path relative to the working directory).
func TestFind(t *testing.T) {
	root := t.TempDir()
	tiny(t, filepath.Join(root, MetricsDir, "tiny"))
	sub := filepath.Join(root, "notebooks")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	t.Setenv(EnvMetricsDir, "")
	if got := Find("tiny"); got != filepath.Join("..", MetricsDir, "tiny") {
		t.Errorf("Find from notebooks/ = %q", got)
	}
	if got := Find("other"); got != "" {
		t.Errorf("Find of a missing release = %q", got)
	}
	t.Setenv(EnvMetricsDir, filepath.Join(root, MetricsDir))
	if got := Find("tiny"); got != filepath.Join(root, MetricsDir, "tiny") {
		t.Errorf("Find in $%s = %q", EnvMetricsDir, got)
	}
	t.Setenv(EnvMetricsDir, t.TempDir())
	if got := Find("tiny"); got != "" {
		t.Errorf("Find in an empty $%s = %q, want none (it does not fall back)", EnvMetricsDir, got)
	}
}

// TestCurveAdd: points stay sorted by step, the final network's after the cycle end of the
// same step, and a point measured again (after a kill) replaces the one of its step and kind.
func TestCurveAdd(t *testing.T) {
	c := &Curve{}
	for _, p := range []Point{{Step: 30, Accuracy: 0.5}, {Step: 10, Accuracy: 0.2}, {Step: 30, Final: true, Accuracy: 0.6},
		{Step: 30, Accuracy: 0.55}, {Step: 70, Accuracy: 0.7}} {
		c.Add(p)
	}
	var got []float64
	for _, p := range c.Points {
		got = append(got, p.Accuracy)
	}
	if want := []float64{0.2, 0.55, 0.6, 0.7}; !slices.Equal(got, want) {
		t.Errorf("accuracies in order %v, want %v", got, want)
	}
	if !c.Has(30, true) || !c.Has(30, false) || c.Has(70, true) {
		t.Error("Has disagrees with the points")
	}
}
