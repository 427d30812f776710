package pipeline

import (
	"strings"
	"testing"
)

// TestReproducible: a recorded command loses the folders of the machine that ran it, in both
// flag forms, and keeps everything else in order; one without them is left as it is.
func TestReproducible(t *testing.T) {
	for _, tc := range []struct{ command, want string }{
		{"mt repro --table 2 --rows instance/spectral --data-dir build/gpu-run/data --cache-dir /tmp/mt-cache --checkpoint-dir /tmp/mt-checkpoints --publish /root/out --suffix -xla-h100",
			"mt repro --table 2 --rows instance/spectral --suffix -xla-h100"},
		{"go run ./lib/cmd/mt quickstart -scale small -data-dir build/gpu-mt/data -cache-dir /tmp/mtcache -publish /root/out/figures",
			"go run ./lib/cmd/mt quickstart -scale small"},
		{"mt pretrain --export=/tmp/x --resume-from=/tmp/y --epochs=1270", "mt pretrain --epochs=1270"},
		{"make notebook → notebooks/table1.ipynb (MT_SCALE=bench)", "make notebook → notebooks/table1.ipynb (MT_SCALE=bench)"},
		{"mt repro --rows='a  b'", "mt repro --rows='a  b'"},
		{"", ""},
	} {
		if got := Reproducible(tc.command); got != tc.want {
			t.Errorf("Reproducible(%q) = %q, want %q", tc.command, got, tc.want)
		}
	}
	p := Provenance{Command: "mt repro --publish /root/out --table 2"}
	if s := p.String(); strings.Contains(s, "/root/out") || !strings.Contains(s, "`mt repro --table 2`") {
		t.Errorf("a note shows %q", s)
	}
}
