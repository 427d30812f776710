package errtest

import (
	"errors"
	"testing"
)

// recorder is a testing.TB that records whether the check failed instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(...any) { r.failed = true }

func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestWant(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		want       string
		fail, done bool
	}{
		{"no error expected, none", nil, "", false, false},
		{"no error expected, one", errors.New("boom"), "", true, false},
		{"error expected, none", nil, "boom", true, true},
		{"error expected, another", errors.New("bang"), "boom", true, true},
		{"error expected, it", errors.New("a boom here"), "boom", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			done := Want(r, tc.err, tc.want)
			if r.failed != tc.fail || done != tc.done {
				t.Errorf("failed %v and returned %v; want %v and %v", r.failed, done, tc.fail, tc.done)
			}
		})
	}
}
