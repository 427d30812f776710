package checkpoint

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/train/metrics"
)

// TestDifferences checks Values and Differences against hand-made changes: none between equal
// contexts, a changed value, a missing and an extra variable named, and the training metrics,
// which Save leaves out, ignored.
func TestDifferences(t *testing.T) {
	values := func(x float32, edit func(map[string][]byte)) map[string][]byte {
		ctx := testContext(x)
		ctx.In(metrics.Scope).VariableWithValue("loss-"+string(rune('a'+int(x))), x)
		v, err := Values(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(v)
		}
		return v
	}
	want := values(1, nil)
	if len(want) != 6 {
		t.Fatalf("Values holds %d variables, want the 6 of testContext (metrics left out): %v", len(want), want)
	}
	for _, tc := range []struct {
		name string
		got  map[string][]byte
		want []string
	}{
		{"equal", values(1, nil), nil},
		{"other values", values(2, func(v map[string][]byte) { delete(v, "/half/h") }), []string{
			"/bank/seen: differs", "/half/h: missing", "/net/dense/weights: differs", "/net/scale: differs", "/net/steps: differs", "/rng: differs"}},
		{"extra", values(1, func(v map[string][]byte) { v["/extra"] = nil }), []string{"/extra: not in the reference"}},
	} {
		if got := Differences(want, tc.got); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Differences = %q, want %q", tc.name, got, tc.want)
		}
	}
}
