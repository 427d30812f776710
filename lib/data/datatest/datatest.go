// Package datatest gives tests small datasets that need no files.
package datatest

import (
	"testing"

	"github.com/metric-transfer/mtlp/lib/data"
)

// Synthetic returns data.Synthetic(n, size, classes, seed), failing the test when the
// arguments are refused.
func Synthetic(t testing.TB, n, size, classes int, seed uint64) *data.Dataset {
	t.Helper()
	ds, err := data.Synthetic(n, size, classes, seed)
	if err != nil {
		t.Fatalf("synthetic dataset: %v", err)
	}
	return ds
}
