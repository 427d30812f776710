package propagate

import (
	"testing"
	"time"
)

func TestScratchRun10k(t *testing.T) {
	x, truth := clustered(10000, 128, 10, 0.12, 1)
	idx, lab := firstPerClass(truth, 10, 25)
	for _, m := range []Method{Spectral, NearestNeighbour} {
		cfg := DefaultConfig(m)
		start := time.Now()
		last := map[string]time.Time{}
		res, err := Run(x, idx, lab, 10, cfg, func(s string, d, tot int) {
			if _, ok := last[s]; !ok {
				t.Logf("%s start at %v", s, time.Since(start))
			}
			last[s] = time.Now()
			if s == "eigen" {
				t.Logf("eigen %d/%d at %v", d, tot, time.Since(start))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		correct := 0
		for i := range truth {
			if res.Labels[i] == truth[i] {
				correct++
			}
		}
		t.Logf("%s: %v acc %.4f comps %d eig %v..%v", m, time.Since(start), float64(correct)/float64(len(truth)), res.Components, len(res.Eigenvalues), 0)
	}
}
