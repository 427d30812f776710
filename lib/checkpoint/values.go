package checkpoint

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Values returns the bytes of every variable of ctx, by scope and name, that Save would store
// (GoMLX's training metrics left out): what two runs must share, bit for bit, to have ended in
// the same state.
func Values(ctx *context.Context) (map[string][]byte, error) {
	out := map[string][]byte{}
	for v := range ctx.IterVariables() {
		if isMetric(v.Scope()) {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.ScopeAndName(), err)
		}
		if err := t.ConstBytes(func(b []byte) { out[v.ScopeAndName()] = bytes.Clone(b) }); err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.ScopeAndName(), err)
		}
	}
	return out, nil
}

// ReadValues is Values of the newest checkpoint in dir that verifies, which must be of phase
// want (a finished run's Final, say).
func ReadValues(dir string, want Phase) (map[string][]byte, error) {
	c, err := Read(dir, nil)
	if err != nil {
		return nil, err
	}
	if c == nil || c.Phase != want {
		return nil, fmt.Errorf("%s holds no %s checkpoint as its newest (%+v)", dir, want, c)
	}
	ctx := context.New()
	if err := c.Apply(ctx); err != nil {
		return nil, err
	}
	return Values(ctx)
}

// Differences lists, in name order, how got differs from want (both from Values): the
// variables whose bytes differ, those got lacks and those it has beyond want. None means the
// two states are the same bit for bit.
func Differences(want, got map[string][]byte) []string {
	var out []string
	for name, w := range want {
		switch g, ok := got[name]; {
		case !ok:
			out = append(out, name+": missing")
		case !bytes.Equal(g, w):
			out = append(out, name+": differs")
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			out = append(out, name+": not in the reference")
		}
	}
	slices.Sort(out)
	return out
}

// isMetric reports whether a variable of scope belongs to GoMLX's training metrics.
func isMetric(scope string) bool {
	return scope == metricsScope || strings.HasPrefix(scope, metricsScope+"/")
}
