package repro

import (
	"bytes"
	"image/png"
	"math"
	"slices"
	"testing"

	"github.com/metric-transfer/mtlp/lib/propagate"
	"gonum.org/v1/gonum/mat"
)

func TestClassSortedSample(t *testing.T) {
	truth := []int32{2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1}
	rows, err := ClassSortedSample(truth, 3, 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	got := pick(truth, rows)
	if want := []int32{0, 0, 1, 1, 2, 2}; !slices.Equal(got, want) {
		t.Errorf("classes %v, want %v", got, want)
	}
}

func TestMeasureBlocks(t *testing.T) {
	// Two classes of two: within pairs 0.9 and 0.7, between pairs all 0.1.
	s := mat.NewDense(4, 4, []float64{
		1, 0.9, 0.1, 0.1,
		0.9, 1, 0.1, 0.1,
		0.1, 0.1, 1, 0.7,
		0.1, 0.1, 0.7, 1,
	})
	b, err := MeasureBlocks(s, []int32{0, 0, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(b.Within-0.8) > 1e-12 || math.Abs(b.Between-0.1) > 1e-12 {
		t.Errorf("within %v between %v, want 0.8 and 0.1", b.Within, b.Between)
	}
	// Off-diagonal entries: 4 at 0.9/0.7 (two each) and 8 at 0.1; std of that set.
	vals := []float64{0.9, 0.9, 0.7, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}
	var mean, ss float64
	for _, v := range vals {
		mean += v / 12
	}
	for _, v := range vals {
		ss += (v - mean) * (v - mean) / 12
	}
	if math.Abs(b.Std-math.Sqrt(ss)) > 1e-12 {
		t.Errorf("std %v, want %v", b.Std, math.Sqrt(ss))
	}
	if _, err := MeasureBlocks(s, []int32{0, 0, 0, 0}); err == nil {
		t.Error("one class only: no error")
	}
	if _, err := MeasureBlocks(s, []int32{0, 1}); err == nil {
		t.Error("labels of the wrong length: no error")
	}
}

// TestSimilarityOnClusters builds both matrices on clustered synthetic features, on a
// connected graph (noise 0.3) and on one whose classes are separate components (noise 0.15):
// the shapes match the sample, W' matches Eq. 6 summed term by term where the graph is
// connected, and W' shows the classes more sharply than the raw cosine.
func TestSimilarityOnClusters(t *testing.T) {
	for _, tc := range []struct {
		name       string
		noise      float64
		components int
	}{{"connected", 0.3, 1}, {"disconnected", 0.15, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			x, truth := propagate.Clustered(300, 16, 3, tc.noise, 5)
			xn, err := propagate.Normalize(x)
			if err != nil {
				t.Fatal(err)
			}
			g, err := propagate.KNN(xn, 10)
			if err != nil {
				t.Fatal(err)
			}
			w, err := propagate.Affinity(g, 0.2)
			if err != nil {
				t.Fatal(err)
			}
			if _, c := propagate.Components(w); c != tc.components {
				t.Fatalf("graph has %d components, the case needs %d", c, tc.components)
			}
			values, vectors, err := propagate.SmallestEigen(w, 20, propagate.EigenOptions{Method: propagate.EigenDense})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := ClassSortedSample(truth, 3, 60, 2)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := CosineSimilarity(x, rows)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := SpectralSimilarity(values, vectors, w.Degree(), rows)
			if err != nil {
				t.Fatal(err)
			}
			for name, m := range map[string]*mat.Dense{"raw": raw, "spectral": sp} {
				if r, c := m.Dims(); r != len(rows) || c != len(rows) {
					t.Errorf("%s is %d×%d, want %d×%d", name, r, c, len(rows), len(rows))
				}
			}
			if tc.components == 1 {
				// Reference: Eq. 6 one pair at a time from j = 2.
				for _, ab := range [][2]int{{0, 0}, {3, 41}, {59, 7}} {
					var want float64
					for j := 1; j < len(values); j++ {
						want += vectors.At(rows[ab[0]], j) * vectors.At(rows[ab[1]], j) / values[j]
					}
					if got := sp.At(ab[0], ab[1]); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
						t.Errorf("W'(%d,%d) = %v, want %v", ab[0], ab[1], got, want)
					}
				}
			}
			if got := raw.At(5, 5); math.Abs(got-1) > 1e-6 {
				t.Errorf("raw cosine of a row with itself = %v, want 1", got)
			}
			classes := pick(truth, rows)
			rb, err := MeasureBlocks(raw, classes)
			if err != nil {
				t.Fatal(err)
			}
			sb, err := MeasureBlocks(sp, classes)
			if err != nil {
				t.Fatal(err)
			}
			if !(sb.Contrast() > rb.Contrast()) {
				t.Errorf("contrast of W' %.3f is not above the raw cosine's %.3f", sb.Contrast(), rb.Contrast())
			}
			if _, err := Heatmap("raw", raw); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestFigure2Smoke runs Figure 2 on generated images through Table 1's stages: a second run
// reads the eigenvectors from the cache and gives the same matrices, and the figure renders.
func TestFigure2Smoke(t *testing.T) {
	dataDir := t.TempDir()
	writeColourFolder(t, dataDir, 4, 30)
	cfg, err := Figure2ConfigFor(Smoke)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, dataDir)
	cfg.Table1.Pool, cfg.Table1.Labels, cfg.Table1.Spectral.Eta, cfg.Sample = 0, []int{8}, 20, 40
	for m, pc := range cfg.Table1.Metrics {
		pc.Steps, pc.BatchSize = 2, 16
		cfg.Table1.Metrics[m] = pc
	}
	first, err := RunFigure2(env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := RunFigure2(env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first.Eigen.Cached || !second.Eigen.Cached {
		t.Errorf("eigen stage cached %v then %v, want false then true", first.Eigen.Cached, second.Eigen.Cached)
	}
	if r, c := second.Spectral.Dims(); r != 40 || c != 40 || !mat.EqualApprox(first.Spectral, second.Spectral, 1e-4) {
		t.Errorf("second run's W' is %d×%d or differs from the first's", r, c)
	}
	data, err := second.Figure()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("figure is not a PNG: %v", err)
	}
	if h, rows := second.Table(); len(rows) != 2 || len(rows[0]) != len(h) {
		t.Errorf("table %v %v", h, rows)
	}
	cfg.Metric = "none"
	if _, err := RunFigure2(env, cfg); err == nil {
		t.Error("unknown metric: no error")
	}
}

// BenchmarkSpectralSimilarity times W' over Figure 2's 500 rows from 200 eigenvectors of a
// 20,000-row pool, the bench scale's sizes.
func BenchmarkSpectralSimilarity(b *testing.B) {
	const n, eta = 20000, 200
	vectors := mat.NewDense(n, eta, nil)
	values := make([]float64, eta)
	deg := make([]float64, n)
	for j := range eta {
		values[j] = float64(j) / eta
		for i := range n {
			vectors.Set(i, j, math.Sin(float64(i*eta+j)))
		}
	}
	for i := range deg {
		deg[i] = 1
	}
	rows := make([]int, 500)
	for r := range rows {
		rows[r] = r * (n / len(rows))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := SpectralSimilarity(values, vectors, deg, rows); err != nil {
			b.Fatal(err)
		}
	}
}
