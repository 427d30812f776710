package propagate

import (
	"math"
	"sort"
	"strings"
	"testing"
)

// bruteKNNAccuracy is KNNAccuracy written directly: all pairwise cosines in float64, a full
// sort per row.
func bruteKNNAccuracy(x Matrix, labels []int32, numClasses, k int, temperature float64) float64 {
	norm := func(i int) float64 {
		var s float64
		for _, v := range x.Row(i) {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s)
	}
	correct := 0
	for i := 0; i < x.N; i++ {
		type nb struct {
			j   int
			cos float64
		}
		var all []nb
		for j := 0; j < x.N; j++ {
			if j == i {
				continue
			}
			var d float64
			for t, v := range x.Row(i) {
				d += float64(v) * float64(x.Row(j)[t])
			}
			all = append(all, nb{j, d / norm(i) / norm(j)})
		}
		sort.SliceStable(all, func(a, b int) bool { return all[a].cos > all[b].cos })
		votes := make([]float64, numClasses)
		for _, n := range all[:k] {
			votes[labels[n.j]] += math.Exp(n.cos / temperature)
		}
		best := 0
		for c := range votes {
			if votes[c] > votes[best] {
				best = c
			}
		}
		if best == int(labels[i]) {
			correct++
		}
	}
	return float64(correct) / float64(x.N)
}

func TestKNNAccuracy(t *testing.T) {
	for _, tc := range []struct {
		name        string
		n, classes  int
		noise       float64
		k           int
		temperature float64
	}{
		{"separable", 120, 3, 0.05, 10, 0.07},
		{"noisy", 150, 4, 0.6, 20, 0.07},
		{"very noisy, soft", 100, 5, 1.5, 30, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, truth := clustered(tc.n, 16, tc.classes, tc.noise, 5)
			got, err := KNNAccuracy(x, truth, tc.classes, tc.k, tc.temperature)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteKNNAccuracy(x, truth, tc.classes, tc.k, tc.temperature)
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("KNNAccuracy = %v, brute force %v", got, want)
			}
		})
	}
	x, truth := clustered(20, 4, 2, 0.1, 1)
	for _, tc := range []struct {
		name   string
		labels []int32
		k      int
		temp   float64
		want   string
	}{
		{"short labels", truth[:5], 5, 0.07, "one label per row"},
		{"bad label", append(append([]int32{}, truth[:19]...), 7), 5, 0.07, "outside"},
		{"k too large", truth, 19, 0.07, "k = 20"},
		{"zero temperature", truth, 5, 0, "temperature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := KNNAccuracy(x, tc.labels, 2, tc.k, tc.temp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// bruteKNNTestAccuracy is KNNTestAccuracy written directly in float64: every test row's
// cosines to all train rows, a full sort, votes exp(cos/T) divided by the train class counts.
func bruteKNNTestAccuracy(train Matrix, trainLabels []int32, test Matrix, testLabels []int32, numClasses, k int, temperature float64) float64 {
	unit := func(m Matrix, i int) []float64 {
		v := make([]float64, m.D)
		var s float64
		for j, x := range m.Row(i) {
			v[j] = float64(x)
			s += v[j] * v[j]
		}
		for j := range v {
			v[j] /= math.Sqrt(s)
		}
		return v
	}
	count := make([]float64, numClasses)
	for _, y := range trainLabels {
		count[y]++
	}
	correct := 0
	for i := 0; i < test.N; i++ {
		u := unit(test, i)
		cos := make([]float64, train.N)
		order := make([]int, train.N)
		for j := range cos {
			for d, x := range unit(train, j) {
				cos[j] += x * u[d]
			}
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return cos[order[a]] > cos[order[b]] })
		votes := make([]float64, numClasses)
		for _, j := range order[:min(k, train.N)] {
			votes[trainLabels[j]] += math.Exp(cos[j]/temperature) / count[trainLabels[j]]
		}
		if Argmax(votes) == int(testLabels[i]) {
			correct++
		}
	}
	return float64(correct) / float64(test.N)
}

func TestKNNTestAccuracy(t *testing.T) {
	for _, tc := range []struct {
		name        string
		noise       float64
		k           int
		temperature float64
	}{
		{"separable, Wu et al.'s settings", 0.2, 200, 0.07},
		{"overlapping classes", 1.5, 200, 0.07},
		{"few neighbours, soft votes", 1.0, 5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := clustered(700, 16, 5, tc.noise, 4)
			train := Matrix{N: 500, D: 16, Data: x.Data[:500*16]}
			test := Matrix{N: 200, D: 16, Data: x.Data[500*16:]}
			got, err := KNNTestAccuracy(train, y[:500], test, y[500:], 5, tc.k, tc.temperature)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteKNNTestAccuracy(train, y[:500], test, y[500:], 5, tc.k, tc.temperature)
			// float32 cosines may swap the k-th and (k+1)-th neighbour of a row: one row at most.
			if math.Abs(got-want) > 1.0/200 {
				t.Errorf("accuracy %.4f, brute force %.4f", got, want)
			}
			t.Logf("accuracy %.3f (brute force %.3f)", got, want)
		})
	}
	// By hand: two train points per class on the unit circle; the test point sits next to
	// class 1's pair, so with k = 2 both voters are class 1.
	train := Matrix{N: 4, D: 2, Data: []float32{1, 0, 1, 0.1, 0, 1, 0.1, 1}}
	test := Matrix{N: 2, D: 2, Data: []float32{0.05, 1, 1, 0.05}}
	got, err := KNNTestAccuracy(train, []int32{0, 0, 1, 1}, test, []int32{1, 1}, 2, 2, 0.07)
	if err != nil {
		t.Fatal(err)
	}
	if got != 0.5 {
		t.Errorf("hand case: accuracy %g, want 0.5 (first test row right, second wrong)", got)
	}
	for _, bad := range []struct {
		name, want string
		run        func() error
	}{
		{"dimension mismatch", "columns", func() error {
			_, err := KNNTestAccuracy(train, []int32{0, 0, 1, 1}, Matrix{N: 1, D: 3, Data: make([]float32, 3)}, []int32{0}, 2, 2, 0.07)
			return err
		}},
		{"label count", "one label per row", func() error {
			_, err := KNNTestAccuracy(train, []int32{0, 0, 1}, test, []int32{1, 1}, 2, 2, 0.07)
			return err
		}},
		{"label range", "outside", func() error {
			_, err := KNNTestAccuracy(train, []int32{0, 0, 1, 2}, test, []int32{1, 1}, 2, 2, 0.07)
			return err
		}},
	} {
		if err := bad.run(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: error %v, want one containing %q", bad.name, err, bad.want)
		}
	}
}

// BenchmarkKNNTestVotes times the votes of KNNTestAccuracy on 10,000 train and 2,000 test rows
// of 128 dimensions: every row scored (as before voteRows), and the test rows alone.
func BenchmarkKNNTestVotes(b *testing.B) {
	x, err := Normalize(randomRows(12000, 128, 3))
	if err != nil {
		b.Fatal(err)
	}
	labelled := make([]int, 10000)
	labels := make([]int32, 10000)
	for i := range labelled {
		labelled[i], labels[i] = i, int32(i%10)
	}
	for _, bc := range []struct {
		name string
		from int
	}{{"all rows", 0}, {"test rows", 10000}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := voteRows(x, bc.from, labelled, labels, 10, 200, 0.1, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
