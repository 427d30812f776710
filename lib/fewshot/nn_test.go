package fewshot

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// unitRows returns the angles as unit rows (cos θ, sin θ) of a 2-column matrix.
func unitRows(angles ...float64) propagate.Matrix {
	x := propagate.NewMatrix(len(angles), 2)
	for i, a := range angles {
		x.Data[2*i], x.Data[2*i+1] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	return x
}

// TestNearestNeighbour checks the weighted vote on unit vectors on a circle where the answer
// is known by hand. Rows: 0 the query at angle 0; class 0's single support at 0.1 rad; class
// 1's two supports at 0.3 and −0.3 rad. Class 0 scores exp((cos 0.1 − 1)/τ), class 1
// 2·exp((cos 0.3 − 1)/τ): at τ = 0.01 class 0 wins (0.61 against 0.022), at τ = 1 class 1
// (0.995 against 1.91). With one support per class (1-shot) the vote is plain 1-NN.
func TestNearestNeighbour(t *testing.T) {
	x := unitRows(0, 0.1, 0.3, -0.3, 2.0)
	for _, c := range []struct {
		name        string
		support     []int
		labels      []int32
		temperature float64
		want        int32
	}{
		{"sharp vote: nearest wins", []int{1, 2, 3}, []int32{0, 1, 1}, 0.01, 0},
		{"flat vote: two neighbours win", []int{1, 2, 3}, []int32{0, 1, 1}, 1, 1},
		{"1-NN", []int{4, 2}, []int32{0, 1}, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			pred, err := NearestNeighbour(x, c.support, c.labels, 2, []int{0}, c.temperature)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pred, []int32{c.want}) {
				t.Errorf("predicted %v, want [%d]", pred, c.want)
			}
		})
	}
	for _, c := range []struct {
		name    string
		support []int
		labels  []int32
		queries []int
		temp    float64
		want    string
	}{
		{"no support", nil, nil, []int{0}, 1, "support"},
		{"label out of range", []int{1}, []int32{2}, []int{0}, 1, "label"},
		{"query out of range", []int{1}, []int32{0}, []int{9}, 1, "query"},
		{"zero temperature", []int{1}, []int32{0}, []int{0}, 0, "temperature"},
	} {
		if _, err := NearestNeighbour(x, c.support, c.labels, 2, c.queries, c.temp); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
