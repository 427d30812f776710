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
