package propagate

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"testing"
)

// accuracyOf returns the fraction of rows outside skip whose label matches truth.
func accuracyOf(labels, truth []int32, skip []int) float64 {
	correct, total := 0, 0
	for i := range truth {
		if slices.Contains(skip, i) {
			continue
		}
		total++
		if labels[i] == truth[i] {
			correct++
		}
	}
	return float64(correct) / float64(total)
}

func TestRunEndToEnd(t *testing.T) {
	const n, classes = 800, 5
	x, truth := clustered(n, 32, classes, 0.2, 41)
	idx, lab := firstPerClass(truth, classes, 3)
	// One deliberately wrong label: Run must still report it, with confidence 1.
	lab[0] = (lab[0] + 1) % classes
	cases := []struct {
		name   string
		cfg    Config
		minAcc float64
	}{
		{"nearest neighbour", DefaultConfig(NearestNeighbour), 0.95},
		{"spectral, dense eigensolver", Config{Method: Spectral, GraphK: 15, Eta: 40}, 0.99},
		{"spectral, Lanczos", Config{Method: Spectral, Eta: 60, Eigen: EigenOptions{Method: EigenLanczos, Seed: 2}}, 0.99},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(x.Data)
			last := map[string][2]int{}
			res, err := Run(x, idx, lab, classes, tc.cfg, func(stage string, done, total int) {
				if prev, ok := last[stage]; ok && done < prev[0] {
					t.Errorf("stage %s went back from %d to %d", stage, prev[0], done)
				}
				last[stage] = [2]int{done, total}
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(before, x.Data) {
				t.Error("Run changed its input matrix")
			}
			if len(res.Labels) != n || len(res.Confidence) != n || res.Logits.N != n || res.Logits.D != classes {
				t.Fatalf("result sizes: %d labels, %d confidences, logits %d×%d", len(res.Labels), len(res.Confidence), res.Logits.N, res.Logits.D)
			}
			if acc := accuracyOf(res.Labels, truth, idx); acc < tc.minAcc {
				t.Errorf("accuracy %.4f on unlabelled rows, want ≥ %.2f", acc, tc.minAcc)
			}
			for p, i := range idx {
				if res.Labels[i] != lab[p] || res.Confidence[i] != 1 || !math.IsInf(res.Score[i], 1) {
					t.Errorf("labelled row %d: label %d confidence %v score %v, want %d, 1 and +Inf", i, res.Labels[i], res.Confidence[i], res.Score[i], lab[p])
				}
			}
			for i, c := range res.Confidence {
				if !(c >= 0 && c <= 1) {
					t.Fatalf("row %d confidence %v outside [0, 1]", i, c)
				}
				sigma := cmp.Or(tc.cfg.ConfidenceScale, DefaultConfig(tc.cfg.Method).ConfidenceScale)
				if want := ConfidenceScore(Matrix{N: 1, D: classes, Data: res.Logits.Row(i)}, sigma); !slices.Contains(idx, i) && res.Score[i] != want[0] {
					t.Fatalf("row %d score %v, want ConfidenceScore %v", i, res.Score[i], want[0])
				}
				if !slices.Contains(idx, i) && res.Labels[i] != argmaxRef(res.Logits.Row(i)) {
					t.Fatalf("row %d: label %d is not the argmax of %v", i, res.Labels[i], res.Logits.Row(i))
				}
			}
			if got := last["knn"]; tc.cfg.Method == Spectral && got != [2]int{n, n} {
				t.Errorf("last knn progress %v, want [%d %d]", got, n, n)
			}
			switch tc.cfg.Method {
			case NearestNeighbour:
				if got := last["vote"]; got != [2]int{n, n} {
					t.Errorf("last vote progress %v, want [%d %d]", got, n, n)
				}
				if res.Eigenvalues != nil || res.Components != 0 {
					t.Errorf("NN result has %d eigenvalues, %d components", len(res.Eigenvalues), res.Components)
				}
				want, err := Vote(mustNormalize(t, x), idx, lab, classes, 200, 0.1, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.Logits.Data, want.Data) {
					t.Error("NN logits differ from Vote on the normalised features")
				}
			case Spectral:
				if len(res.Eigenvalues) != tc.cfg.Eta || res.Eigenvalues[0] != 0 || !slices.IsSorted(res.Eigenvalues) || res.Components != 1 {
					t.Errorf("%d eigenvalues from %v, sorted %v, %d components; want %d from 0, sorted, 1 component",
						len(res.Eigenvalues), res.Eigenvalues[0], slices.IsSorted(res.Eigenvalues), res.Components, tc.cfg.Eta)
				}
				// η pairs and one more to see whether the η-th eigenvalue repeats, less the
				// trivial pair, which Lanczos does not compute.
				if tc.cfg.Eigen.Method == EigenLanczos && last["eigen"][1] != tc.cfg.Eta {
					t.Errorf("last eigen progress %v, want a total of %d", last["eigen"], tc.cfg.Eta)
				}
			}
		})
	}
}

// argmaxRef is Eq. 7 with ties to the first class.
func argmaxRef(v []float32) int32 {
	best := 0
	for c := range v {
		if v[c] > v[best] {
			best = c
		}
	}
	return int32(best)
}

// TestRunSmallAndDisconnected runs the defaults where η exceeds N, and the spectral method on
// well-separated clusters whose kNN graph falls apart: labelled components are labelled
// right, and a component without labels gets confidence near zero.
func TestRunSmallAndDisconnected(t *testing.T) {
	x, truth := clustered(60, 8, 3, 0.2, 5)
	idx, lab := firstPerClass(truth, 3, 2)
	res, err := Run(x, idx, lab, 3, DefaultConfig(Spectral), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Eigenvalues) != 60 {
		t.Errorf("%d eigenvalues, want η capped at N = 60", len(res.Eigenvalues))
	}
	if acc := accuracyOf(res.Labels, truth, idx); acc < 0.95 {
		t.Errorf("small data accuracy %.3f", acc)
	}

	x, truth = clustered(300, 16, 3, 0.02, 6)
	idx, lab = []int{0, 1, 3, 4}, []int32{0, 1, 0, 1} // row i is in cluster i % 3; cluster 2 gets no label
	for _, m := range []EigenMethod{EigenDense, EigenLanczos} {
		res, err := Run(x, idx, lab, 2, Config{Method: Spectral, GraphK: 10, Eta: 30, Eigen: EigenOptions{Method: m}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Components != 3 {
			t.Fatalf("%s: %d components, want 3 separated clusters", m, res.Components)
		}
		for i, y := range truth {
			switch {
			case y < 2 && res.Labels[i] != y:
				t.Errorf("%s: row %d (class %d) labelled %d", m, i, y, res.Labels[i])
			case y == 2 && res.Confidence[i] > 1e-3:
				t.Errorf("%s: row %d in the unlabelled component has confidence %v, want ≈ 0", m, i, res.Confidence[i])
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	const n = 60
	good, truth := clustered(n, 8, 3, 0.2, 7)
	idx, lab := firstPerClass(truth, 3, 2)
	withRow := func(row int, v ...float32) Matrix {
		x := NewMatrix(n, 8)
		copy(x.Data, good.Data)
		copy(x.Row(row), v)
		return x
	}
	nan := float32(math.NaN())
	spectral := DefaultConfig(Spectral)
	cases := []struct {
		name     string
		x        Matrix
		labelled []int
		labels   []int32
		classes  int
		cfg      Config
		want     []string
	}{
		{"NaN row", withRow(4, 0, nan), idx, lab, 3, spectral, []string{"row 4 column 1 is NaN"}},
		{"Inf row", withRow(9, float32(math.Inf(1))), idx, lab, 3, spectral, []string{"row 9 column 0 is +Inf"}},
		{"zero row", withRow(5, 0, 0, 0, 0, 0, 0, 0, 0), idx, lab, 3, spectral, []string{"row 5 is all zeros"}},
		{"empty matrix", Matrix{}, idx, lab, 3, spectral, []string{"features is 0×0"}},
		{"mismatched lengths", good, idx, lab[:5], 3, spectral, []string{"6 labelled row indices but 5 labels"}},
		{"no labels", good, nil, nil, 3, spectral, []string{"no labelled rows"}},
		{"index too large", good, []int{0, 1, n}, []int32{0, 1, 2}, 3, spectral, []string{"labelled[2] = 60 is not a row index in [0, 60)"}},
		{"negative index", good, []int{-1, 1, 2}, []int32{0, 1, 2}, 3, spectral, []string{"labelled[0] = -1 is not a row index"}},
		{"duplicate labelled row", good, []int{0, 1, 2, 1}, []int32{0, 1, 2, 1}, 3, spectral, []string{"row 1 is labelled twice", "labelled[1] and labelled[3]"}},
		{"class out of range", good, []int{0, 1, 2}, []int32{0, 1, 3}, 3, spectral, []string{"labels[2] = 3 (row 2) is outside [0, 3)"}},
		{"negative class", good, []int{0, 1, 2}, []int32{0, -1, 2}, 3, spectral, []string{"labels[1] = -1"}},
		{"class without label", good, []int{0, 1, 3}, []int32{0, 1, 1}, 3, spectral, []string{"class 2 has no labelled row"}},
		{"one class", good, []int{0}, []int32{0}, 1, spectral, []string{"numClasses = 1", "at least two classes"}},
		{"GraphK = N", good, idx, lab, 3, Config{Method: Spectral, GraphK: n}, []string{"k = 60 must satisfy 2 ≤ k < N = 60", "GraphK"}},
		{"GraphK > N", good, idx, lab, 3, Config{Method: Spectral, GraphK: 100}, []string{"k = 100", "GraphK"}},
		{"bad method", good, idx, lab, 3, Config{Method: "label-spreading"}, []string{`Config.Method "label-spreading" is not "nn" or "spectral"`}},
		{"empty method", good, idx, lab, 3, Config{}, []string{`Config.Method "" is not`}},
		{"negative field", good, idx, lab, 3, Config{Method: NearestNeighbour, VoteK: -1}, []string{"negative or NaN"}},
		{"NaN field", good, idx, lab, 3, Config{Method: Spectral, GraphTemperature: math.NaN()}, []string{"negative or NaN"}},
		{"bad eigensolver", good, idx, lab, 3, Config{Method: Spectral, Eigen: EigenOptions{Method: "power"}}, []string{`unknown EigenOptions.Method "power"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(tc.x, tc.labelled, tc.labels, tc.classes, tc.cfg, nil)
			if err == nil {
				t.Fatalf("no error (result with %d labels)", len(res.Labels))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	for _, m := range []Method{NearestNeighbour, Spectral} {
		got, err := Config{Method: m}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		want := Config{Method: m, GraphK: 20, GraphTemperature: 0.2, Eta: 200, VoteK: 200, VoteTemperature: 0.1, ConfidenceScale: 40}
		same := func(a, b Config) bool {
			return a.Method == b.Method && a.GraphK == b.GraphK && a.GraphTemperature == b.GraphTemperature && a.Eta == b.Eta &&
				a.VoteK == b.VoteK && a.VoteTemperature == b.VoteTemperature && a.ConfidenceScale == b.ConfidenceScale
		}
		if !same(got, want) || !same(DefaultConfig(m), want) {
			t.Errorf("%s defaults %+v and %+v, want the paper's %+v", m, got, DefaultConfig(m), want)
		}
	}
}
