package main

import (
	"testing"

	"github.com/metric-transfer/mtlp/lib/backendtest"
)

func TestParseGEMM(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [3]int
		ok   bool
	}{
		{"2048x2048x2048", [3]int{2048, 2048, 2048}, true},
		{"65536x576x64", [3]int{65536, 576, 64}, true},
		{"1x1x1", [3]int{1, 1, 1}, true},
		{"2048x2048", [3]int{}, false},
		{"0x4x4", [3]int{}, false},
		{"4x-1x4", [3]int{}, false},
		{"4xax4", [3]int{}, false},
		{"", [3]int{}, false},
	} {
		got, err := parseGEMM(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseGEMM(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestTimeGEMM(t *testing.T) {
	backend := backendtest.New(t, "go")
	gflops, timed, seconds, err := timeGEMM(backend, [3]int{64, 32, 16}, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if timed != 3 || seconds <= 0 || gflops <= 0 {
		t.Errorf("timeGEMM with 3 steps: %g GFLOP/s, %d products in %g s; want 3 products and positive rate and time", gflops, timed, seconds)
	}
	if want := 2 * 64 * 32 * 16 * 3 / seconds / 1e9; gflops < 0.999*want || gflops > 1.001*want {
		t.Errorf("timeGEMM: %g GFLOP/s, want 2·M·K·N·products/seconds = %g", gflops, want)
	}
}
