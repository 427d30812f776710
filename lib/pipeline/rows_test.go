package pipeline

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestGridShare checks a run-wide budget's split by hand: 500 s, 100 s spent, two rows (from
// scratch, then instance + spectral) at two label counts, one cell done. Three classifiers
// remain, and one propagation after the next cell's (the last cell's; the third, from scratch,
// has none): (500 − 100 − 15) / 3 − 25 = 103.33 s.
func TestGridShare(t *testing.T) {
	rows := []Row{{NoMetric, Scratch}, {"instance", Spectral}}
	if got, want := GridShare(rows, 2, 500, 1, 100), (500.0-100-15)/3-25; math.Abs(got-want) > 1e-9 {
		t.Errorf("share = %.2f s, want %.2f", got, want)
	}
	if got := GridShare(rows, 2, 0, 1, 100); got != 0 {
		t.Errorf("share without a budget = %g, want 0", got)
	}
	if got := GridShare(rows, 2, 500, 1, 490); got != 10 {
		t.Errorf("share of an exhausted budget = %g, want the floor of 10 s", got)
	}
}

// TestParseRows checks --rows of tables 2 and 5.
func TestParseRows(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []Row
	}{
		{"instance/spectral,scratch,color/finetune", []Row{{"instance", Spectral}, {NoMetric, Scratch}, {"color", Finetune}}},
		{" color / nn ", []Row{{"color", NN}}},
		{"none/none,instance/none", []Row{{NoMetric, Scratch}, {"instance", Finetune}}}, // earlier runs' names
		{"scratch,none/none", nil},
		{"instance", nil},
		{"/spectral", nil},
		{"instance/", nil},
		{"a/b/c", nil},
		{"color/nn,color/nn", nil},
		{"", nil},
	} {
		got, err := ParseRows(tc.list)
		if (err == nil) != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.list, got, err, tc.want)
		}
	}
}

// items is the number of comma-separated items in a list.
func items(list string) int { return strings.Count(list, ",") + 1 }

func FuzzParseRows(f *testing.F) {
	for _, s := range []string{"instance/spectral,none/none", " color / nn ", "a/b/c", "/", ",", "x/y,x/y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := ParseRows(list)
		if err != nil {
			return
		}
		if len(got) != items(list) {
			t.Fatalf("%q: %d rows from %d items", list, len(got), items(list))
		}
		for i, r := range got {
			p := string(r.Transfer)
			if r.Metric == "" || p == "" || strings.TrimSpace(r.Metric) != r.Metric || strings.TrimSpace(p) != p ||
				strings.ContainsAny(r.Metric+p, "/,") || slices.Contains(got[:i], r) {
				t.Fatalf("%q: accepted %+v", list, got)
			}
		}
	})
}
