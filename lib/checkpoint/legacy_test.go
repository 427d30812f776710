package checkpoint

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// TestLegacy reads a directory written by GoMLX's own checkpoints package: every variable is in
// the context at once, with the saved values, and no parameter of the writer's context; a run
// cannot resume from such a directory.
func TestLegacy(t *testing.T) {
	dir := t.TempDir()
	src := testContext(6)
	src.SetParam("learning_rate", 0.5)
	h, err := checkpoints.Build(src).Dir(dir).Keep(2).Done()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	if !IsLegacy(dir) {
		t.Fatal("IsLegacy is false for a GoMLX checkpoint directory")
	}
	dst := context.New()
	if err := LoadLegacy(dst, dir); err != nil {
		t.Fatal(err)
	}
	want, got := snapshot(t, src), snapshot(t, dst)
	for k := range want {
		// GoMLX's format keeps no trainable flag: compare the values and shapes.
		w, g := want[k], got[k]
		if cut(w) != cut(g) {
			t.Errorf("%s: %q after loading, %q saved", k, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d variables loaded, %d saved", len(got), len(want))
	}
	if _, found := dst.GetParam("learning_rate"); found {
		t.Error("the writer's context parameters were restored")
	}
	if _, err := Open(dir, "test", testSettings()); err == nil || !strings.Contains(err.Error(), "GoMLX's format") {
		t.Errorf("Open of a GoMLX directory: %v, want an error naming the format", err)
	}
	if IsLegacy(t.TempDir()) {
		t.Error("IsLegacy is true for an empty directory")
	}
}

// cut drops the trainable flag from a snapshot entry.
func cut(s string) string {
	shape, rest, _ := strings.Cut(s, " trainable=")
	return shape + rest[1:]
}
