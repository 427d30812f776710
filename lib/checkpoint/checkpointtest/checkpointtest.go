// Package checkpointtest holds what the resume tests of several packages share: the state of a
// training run as bytes, and the check that a resumed run ended where an uninterrupted one did.
package checkpointtest

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
)

// Values returns checkpoint.Values of ctx, failing t on an error.
func Values(t testing.TB, ctx *context.Context) map[string][]byte {
	t.Helper()
	v, err := checkpoint.Values(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Final returns the values of the final checkpoint in dir (checkpoint.ReadValues), failing t
// when there is none.
func Final(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	v, err := checkpoint.ReadValues(dir, checkpoint.Final)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Same fails t unless got holds the variables of want, bit for bit, and no others; want must
// not be empty.
func Same(t testing.TB, want, got map[string][]byte) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("the reference state holds no variable")
	}
	if d := checkpoint.Differences(want, got); len(d) > 0 {
		t.Errorf("%d of %d variables are not the uninterrupted run's: %s", len(d), len(want), strings.Join(d, "; "))
	}
}

// Finite fails t (Errorf) for every variable of c that holds a NaN or an infinity
// (checkpoint.CheckFinite); a nil c has none.
func Finite(t testing.TB, c *checkpoint.Checkpoint) {
	t.Helper()
	if c == nil {
		return
	}
	ctx := context.New()
	if err := c.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	for v := range ctx.IterVariables() {
		if err := checkpoint.CheckFinite(v.ScopeAndName(), v.MustValue()); err != nil {
			t.Errorf("checkpoint of step %d: %v", c.Step, err)
		}
	}
}
