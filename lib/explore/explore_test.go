package explore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/featio"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// TestEvaluate checks an outcome against the same propagation done by hand: the labels drawn,
// the accuracy counted over the unlabeled rows, and the curve's end at that accuracy.
func TestEvaluate(t *testing.T) {
	x, truth := propagate.Clustered(300, 16, 3, 0.05, 1)
	f, err := New(x, truth, "clusters")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []propagate.Method{propagate.NearestNeighbour, propagate.Spectral} {
		k := DefaultKnobs()
		k.Method, k.PerClass, k.Eta = m, 4, 20
		o, err := Evaluate(f, k)
		if err != nil {
			t.Fatal(err)
		}
		if o.Labeled != 12 || len(o.Curve) != 101 || o.Curve[100] != o.Accuracy {
			t.Errorf("%s: %d labels, %d curve points ending at %v for accuracy %v", m, o.Labeled, len(o.Curve), o.Curve[len(o.Curve)-1], o.Accuracy)
		}
		// The clusters are far apart: propagation labels nearly every row right.
		if o.Accuracy < 0.95 || o.MAP < 0.95 {
			t.Errorf("%s on separated clusters: accuracy %v, mAP %v", m, o.Accuracy, o.MAP)
		}
	}
	k := DefaultKnobs()
	k.PerClass = 101
	if _, err := Evaluate(f, k); err == nil || !strings.Contains(err.Error(), "101 labels per class") {
		t.Errorf("more labels than rows of a class: %v", err)
	}
}

// TestLoad checks features read from an .npy and a labels CSV, and the errors of input that
// cannot be explored.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	x, truth := propagate.Clustered(6, 2, 2, 0.1, 1)
	npy := filepath.Join(dir, "x.npy")
	fx, err := os.Create(npy)
	if err != nil {
		t.Fatal(err)
	}
	if err := featio.WriteNPY(fx, x); err != nil {
		t.Fatal(err)
	}
	fx.Close()
	csv := func(name string, rows int) string {
		var b strings.Builder
		b.WriteString("index,label\n")
		for i := range rows {
			fmt.Fprintf(&b, "%d,%d\n", i, truth[i])
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all, some := csv("all.csv", 6), csv("some.csv", 4)
	f, err := Load(npy + "," + all)
	if err != nil {
		t.Fatal(err)
	}
	if f.X.N != 6 || f.Classes != 2 || fmt.Sprint(f.Truth) != fmt.Sprint(truth) {
		t.Errorf("loaded %d rows of %d classes, truth %v; want 6, 2, %v", f.X.N, f.Classes, f.Truth, truth)
	}
	for _, tc := range []struct{ source, err string }{
		{npy + "," + some, "labels 4 rows of the 6"},
		{dir, "neither x.npy,labels.csv nor a released metric"},
	} {
		if _, err := Load(tc.source); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Load(%s): %v, want an error containing %q", tc.source, err, tc.err)
		}
	}
	if _, err := New(x, truth[:5], "short"); err == nil {
		t.Error("5 classes for 6 rows: no error")
	}
}
