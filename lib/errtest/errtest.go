// Package errtest checks the errors of table-driven test cases.
package errtest

import (
	"strings"
	"testing"
)

// Want checks err against want, the error a test case expects: with want empty, err must be
// nil; otherwise err must be an error whose text contains want. Either failure stops the test
// (t.Fatalf). Want reports whether the case expected an error, which leaves nothing more to
// check:
//
//	if errtest.Want(t, err, tc.err) {
//		return
//	}
func Want(t testing.TB, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	return true
}
