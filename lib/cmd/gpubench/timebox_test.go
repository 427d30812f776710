package main

import (
	"errors"
	"testing"
)

func TestTimeBoxed(t *testing.T) {
	failure := errors.New("step failed")
	for _, tc := range []struct {
		name      string
		budget    float64
		failAt    int // the call that fails, 0 for none
		wantCalls int
		wantErr   error
	}{
		{"a budget shorter than a call makes one call", 1e-12, 0, 1, nil},
		{"an error ends at that call", 1e9, 3, 3, failure},
		{"an error on the first call", 1e9, 1, 1, failure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			calls, err := timeBoxed(tc.budget, func() error {
				n++
				if n == tc.failAt {
					return failure
				}
				if n > 1000 {
					t.Fatal("more than 1000 calls: the budget never ended the loop")
				}
				return nil
			})
			if calls != tc.wantCalls || n != tc.wantCalls || !errors.Is(err, tc.wantErr) {
				t.Errorf("timeBoxed = %d calls (%d made), %v; want %d, %v", calls, n, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}
