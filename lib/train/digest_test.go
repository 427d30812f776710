package train

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// TestDigest checks that the digest is a function of the network alone: two identical
// trainings agree, another seed or one changed weight (by one unit in the last place) does not,
// and the optimiser's state does not enter it.
func TestDigest(t *testing.T) {
	ds := datatest.Synthetic(t, 32, 8, 2, 1)
	var examples []Example
	for i, l := range ds.Labels {
		examples = append(examples, Example{Index: i, Label: l, Weight: 1})
	}
	fitWith := func(seed uint64) *Classifier {
		cfg := DefaultConfig()
		cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.Seed, cfg.Augment = 3, 8, 4, seed, fit.Augment{}
		c, err := Fit(testBackend(t), ds, examples, 2, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	digest := func(c *Classifier) string {
		d, err := c.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b, other := fitWith(1), fitWith(1), fitWith(2)
	want := digest(a)
	if got := digest(b); got != want {
		t.Errorf("two identical trainings: digests %s and %s", want, got)
	}
	if digest(other) == want {
		t.Error("another seed gave the same digest")
	}
	// Outside the network: the optimiser's state and the global step leave the digest alone.
	outside, inside := 0, 0
	for v := range b.ctx.IterVariables() {
		x, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(v.Scope(), "/classifier/") || !x.DType().IsFloat() {
			continue
		}
		v.MustSetValue(tensors.FromFlatDataAndDimensions(make([]float32, x.Shape().Size()), x.Shape().Dimensions...))
		outside++
	}
	if got := digest(b); got != want || outside == 0 {
		t.Errorf("zeroing %d variables outside the network changed the digest to %s (want %s)", outside, got, want)
	}
	// Inside: one weight moved by one unit in the last place changes it.
	for v := range b.ctx.IterVariables() {
		if !strings.HasPrefix(v.Scope(), "/classifier/") || inside > 0 {
			continue
		}
		x := v.MustValue()
		w := tensors.MustCopyFlatData[float32](x)
		w[0] = math.Nextafter32(w[0], float32(math.Inf(1)))
		v.MustSetValue(tensors.FromFlatDataAndDimensions(w, x.Shape().Dimensions...))
		inside++
	}
	if inside == 0 {
		t.Fatal("no variable under /classifier/")
	}
	if digest(b) == want {
		t.Error("changing one weight by one unit in the last place left the digest as it was")
	}
}
