package train

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Digest returns the hex SHA-256 of the classifier's network: the name, dtype, shape and bytes
// of every variable under its "classifier" scope (weights and batch-norm statistics; not the
// optimiser's state), in name order. Two classifiers with equal digests predict alike bit for
// bit, so a result that records it says which network produced its number, and a run resumed
// after a kill can be checked against an uninterrupted one.
func (c *Classifier) Digest() (string, error) {
	return digestScope(c.ctx, "/classifier")
}

// digestScope hashes the variables of ctx under scope (its sub-scopes included).
func digestScope(ctx *context.Context, scope string) (string, error) {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Scope() == scope || strings.HasPrefix(v.Scope(), scope+"/") {
			vars = append(vars, v)
		}
	}
	if len(vars) == 0 {
		return "", fmt.Errorf("classifier digest: no variable under %s", scope)
	}
	slices.SortFunc(vars, func(a, b *context.Variable) int { return strings.Compare(a.ScopeAndName(), b.ScopeAndName()) })
	h := sha256.New()
	for _, v := range vars {
		t, err := v.Value()
		if err != nil {
			return "", fmt.Errorf("classifier digest: %s: %w", v.ScopeAndName(), err)
		}
		fmt.Fprintf(h, "%s %s;", v.ScopeAndName(), t.Shape())
		if err := t.ConstBytes(func(b []byte) { h.Write(b) }); err != nil {
			return "", fmt.Errorf("classifier digest: %s: %w", v.ScopeAndName(), err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
