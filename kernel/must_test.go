package kernel

import (
	"errors"
	"testing"
)

func TestMust(t *testing.T) {
	failed := errors.New("no such file")
	tests := []struct {
		name string
		err  error
	}{
		{"nil returns", nil},
		{"error panics with it", failed},
		{"wrapped error panics with it", errors.Join(errors.New("open"), failed)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if tc.err == nil {
					if r != nil {
						t.Fatalf("Must(nil) panicked with %v", r)
					}
					return
				}
				got, ok := r.(error)
				if !ok || !errors.Is(got, failed) || got.Error() != tc.err.Error() {
					t.Fatalf("Must(%v) panicked with %#v, want the error itself", tc.err, r)
				}
			}()
			Must(tc.err)
		})
	}
}
