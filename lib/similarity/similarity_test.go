package similarity

import (
	"math"
	"slices"
	"testing"

	"github.com/metric-transfer/mtlp/lib/errtest"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"gonum.org/v1/gonum/mat"
)

// classesOf returns truth at rows.
func classesOf(truth []int32, rows []int) []int32 {
	out := make([]int32, len(rows))
	for r, i := range rows {
		out[r] = truth[i]
	}
	return out
}

func TestClassSortedSample(t *testing.T) {
	truth := []int32{2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1}
	rows, err := ClassSortedSample(truth, 3, 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	got := classesOf(truth, rows)
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

// TestRowNorms checks the norms against the plain formula and that a row no cosine can be
// taken with is named.
func TestRowNorms(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []float32
		want []float64
		err  string
	}{
		{"ok", []float32{3, 4, 1, 0}, []float64{5, 1}, ""},
		{"zero row", []float32{3, 4, 0, 0}, nil, "row 1 has norm 0"},
		{"nan row", []float32{float32(math.NaN()), 1, 1, 0}, nil, "row 0 has norm NaN"},
		{"infinite row", []float32{1, 0, float32(math.Inf(1)), 0}, nil, "row 1 has norm +Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RowNorms(propagate.Matrix{N: 2, D: 2, Data: tc.data})
			if errtest.Want(t, err, tc.err) {
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("norms %v, want %v", got, tc.want)
			}
		})
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
			raw, err := Cosine(x, rows)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := Spectral(values, vectors, w.Degree(), rows)
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
			classes := classesOf(truth, rows)
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
		})
	}
}

// BenchmarkSpectral times W' over Figure 2's 500 rows from 200 eigenvectors of a 20,000-row
// pool, the bench scale's sizes.
func BenchmarkSpectral(b *testing.B) {
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
		if _, err := Spectral(values, vectors, deg, rows); err != nil {
			b.Fatal(err)
		}
	}
}
