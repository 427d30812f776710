package fewshot

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func nan() float64 { return math.NaN() }

// TestSample checks an episode against the protocol: N distinct test classes, K support and Q
// query rows per class from its labeled part, support and queries disjoint, labels that name
// the classes, the pool every unlabeled row of every test class (not only the N), and episodes
// that depend on (seed, index) only.
func TestSample(t *testing.T) {
	const classes = 8
	labels := balancedLabels(classes, 50)
	s, err := NewSplit(labels, classes, 0.4, 1)
	if err != nil {
		t.Fatal(err)
	}
	unlabeled := map[int]bool{}
	for _, rows := range s.Unlabeled {
		for _, r := range rows {
			unlabeled[r] = true
		}
	}
	for _, cfg := range []EpisodeConfig{
		{Ways: 5, Shots: 1, Queries: 15, Episodes: 10, Seed: 7},
		{Ways: 5, Shots: 5, Queries: 15, Episodes: 10, Seed: 7},
		{Ways: 8, Shots: 5, Queries: 15, Episodes: 3, Seed: 2},
	} {
		seen := map[string]bool{}
		for i := range cfg.Episodes {
			ep, err := Sample(s, cfg, i)
			if err != nil {
				t.Fatal(err)
			}
			if len(ep.Classes) != cfg.Ways || len(slices.Compact(slices.Clone(ep.Classes))) != cfg.Ways {
				t.Fatalf("episode %d: classes %v, want %d distinct", i, ep.Classes, cfg.Ways)
			}
			if len(ep.Support) != cfg.Ways*cfg.Shots || len(ep.Query) != cfg.Ways*cfg.Queries {
				t.Fatalf("episode %d: %d support and %d queries, want %d and %d", i, len(ep.Support), len(ep.Query), cfg.Ways*cfg.Shots, cfg.Ways*cfg.Queries)
			}
			used := map[int]bool{}
			count := map[int32]int{}
			for t2, r := range ep.Support {
				check(t, "support", r, ep.SupportLabels[t2], ep, labels, unlabeled, used)
				count[ep.SupportLabels[t2]]++
			}
			for t2, r := range ep.Query {
				check(t, "query", r, ep.QueryLabels[t2], ep, labels, unlabeled, used)
			}
			for j := range cfg.Ways {
				if count[int32(j)] != cfg.Shots {
					t.Errorf("episode %d: %d support rows of label %d, want %d", i, count[int32(j)], j, cfg.Shots)
				}
			}
			if len(ep.Unlabeled) != len(unlabeled) {
				t.Errorf("episode %d: pool of %d, want all %d unlabeled rows of the %d test classes", i, len(ep.Unlabeled), len(unlabeled), classes)
			}
			for _, r := range ep.Unlabeled {
				if !unlabeled[r] {
					t.Errorf("episode %d: pool row %d is not unlabeled", i, r)
				}
			}
			again, _ := Sample(s, cfg, i)
			if !slices.Equal(again.Support, ep.Support) || !slices.Equal(again.Query, ep.Query) {
				t.Errorf("episode %d drawn twice differs", i)
			}
			seen[key(ep)] = true
		}
		if len(seen) != cfg.Episodes {
			t.Errorf("%d distinct episodes out of %d", len(seen), cfg.Episodes)
		}
	}
}

// check fails t unless row r is a labeled row of the class its episode label names, used once.
func check(t *testing.T, what string, r int, label int32, ep *Episode, truth []int32, unlabeled, used map[int]bool) {
	t.Helper()
	if used[r] {
		t.Errorf("episode %d: %s row %d used twice (support and queries must be disjoint)", ep.Index, what, r)
	}
	used[r] = true
	if unlabeled[r] {
		t.Errorf("episode %d: %s row %d is from the unlabeled part", ep.Index, what, r)
	}
	if label < 0 || int(label) >= len(ep.Classes) || truth[r] != int32(ep.Classes[label]) {
		t.Errorf("episode %d: %s row %d of class %d has episode label %d (classes %v)", ep.Index, what, r, truth[r], label, ep.Classes)
	}
}

// key identifies an episode by its rows.
func key(ep *Episode) string {
	var b strings.Builder
	for _, r := range append(slices.Clone(ep.Support), ep.Query...) {
		b.WriteString(string(rune(r + 1)))
	}
	return b.String()
}

// TestSampleErrors checks that an episode that cannot be drawn is an error naming the fix.
func TestSampleErrors(t *testing.T) {
	s, err := NewSplit(balancedLabels(4, 20), 4, 0.4, 1) // 8 labeled per class
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  EpisodeConfig
		want string
	}{
		{EpisodeConfig{Ways: 5, Shots: 1, Queries: 1, Episodes: 1}, "test classes"},
		{EpisodeConfig{Ways: 4, Shots: 5, Queries: 5, Episodes: 1}, "lower Queries"},
		{EpisodeConfig{Ways: 4, Shots: 0, Queries: 5, Episodes: 1}, "one shot"},
		{EpisodeConfig{Ways: 1, Shots: 1, Queries: 5, Episodes: 1}, "2 ways"},
	} {
		if _, err := Sample(s, c.cfg, 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
}

// TestSummarize checks the mean and 95 % interval against hand-computed values.
func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		values        []float64
		mean, std, pm float64
		n             int
	}{
		// deviations ±0.3, ±0.1: σ² = (0.09+0.01+0.01+0.09)/4 = 0.05; ± = 1.96·√0.05/√4.
		{[]float64{0.2, 0.4, 0.6, 0.8}, 0.5, math.Sqrt(0.05), 1.96 * math.Sqrt(0.05) / 2, 4},
		// deviations ±0.5: σ = 0.5; ± = 1.96·0.5/√2 = 0.69296…
		{[]float64{0, 1}, 0.5, 0.5, 0.6929646455628166, 2},
		{[]float64{0.7, 0.7, 0.7}, 0.7, 0, 0, 3},
		{nil, 0, 0, 0, 0},
	} {
		got := Summarize(c.values)
		if math.Abs(got.Mean-c.mean) > 1e-12 || math.Abs(got.Std-c.std) > 1e-12 || math.Abs(got.HalfWidth-c.pm) > 1e-12 || got.N != c.n {
			t.Errorf("Summarize(%v) = %+v, want mean %g, std %g, ± %g, n %d", c.values, got, c.mean, c.std, c.pm, c.n)
		}
	}
}
