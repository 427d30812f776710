package report

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"gonum.org/v1/plot/vg"
)

func TestVsLabelsPlot(t *testing.T) {
	ok := []Series{
		{Name: "ours", Labels: []int{50, 100}, Values: []float64{0.5, 0.6}},
		{Name: "paper", Labels: []int{50, 100}, Values: []float64{0.55, 0.63}, Dashed: true},
	}
	p, err := VsLabelsPlot("t", "mAP (%)", ok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PNG(p, 8*vg.Centimeter, 6*vg.Centimeter); err != nil {
		t.Errorf("rendering: %v", err)
	}
	for name, bad := range map[string][]Series{
		"no series":   nil,
		"mismatch":    {{Name: "a", Labels: []int{50}, Values: []float64{0.1, 0.2}}},
		"zero labels": {{Name: "a", Labels: []int{0}, Values: []float64{0.1}}},
		"percent":     {{Name: "a", Labels: []int{50}, Values: []float64{55}}},
		"NaN":         {{Name: "a", Labels: []int{50}, Values: []float64{math.NaN()}}},
	} {
		if _, err := VsLabelsPlot("t", "y", bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSeriesSortByLabels(t *testing.T) {
	s := Series{Name: "ours", Labels: []int{4000, 50, 1000, 250}, Values: []float64{0.9, 0.3, 0.8, 0.5}}
	s.SortByLabels()
	if want := []int{50, 250, 1000, 4000}; !slices.Equal(s.Labels, want) {
		t.Errorf("labels %v, want %v", s.Labels, want)
	}
	if want := []float64{0.3, 0.5, 0.8, 0.9}; !slices.Equal(s.Values, want) {
		t.Errorf("values %v, want %v: each value must follow its label", s.Values, want)
	}
}

// TestOursAndPaper checks the series of a figure: ours where computed, the paper's (in %)
// scaled to fractions beside it, and a row without any cell of ours left out with its paper.
func TestOursAndPaper(t *testing.T) {
	ours := map[string][]float64{"a": {0.5, -1}, "b": {-1, -1}}
	paper := map[string][]float64{"a": {40, 60}, "b": {10, 20}}
	at := func(m map[string][]float64) func(string, int) (float64, bool) {
		return func(row string, col int) (float64, bool) { v := m[row][col]; return v, v >= 0 }
	}
	got := OursAndPaper([]string{"a", "b"}, []int{50, 100}, func(r string) string { return r }, ", paper", at(ours), at(paper))
	want := []Series{
		{Name: "a", Labels: []int{50}, Values: []float64{0.5}},
		{Name: "a, paper", Labels: []int{50, 100}, Values: []float64{0.4, 0.6}, Dashed: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
