package killpoint

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// helperEnv makes the test binary run helperMain instead of the tests.
const helperEnv = "KILLPOINT_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helperMain()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperMain passes five points, alternating two names, then exits normally.
func helperMain() {
	for i := range 5 {
		if i%2 == 0 {
			Hit("even step")
		} else {
			Hit("odd step")
		}
	}
}

// TestKillAt runs the helper with each setting and checks from the trace where it stopped and
// that the process was killed by SIGKILL, not exited.
func TestKillAt(t *testing.T) {
	for _, tc := range []struct {
		killAt string
		traced int // points traced before the kill (5: not killed)
		killed bool
	}{
		{"", 5, false},
		{"1", 1, true},
		{"4", 4, true},
		{"6", 5, false},
		{"2:odd", 4, true},
		{"3:even", 5, true},
		{"1:none", 5, false},
		{"x", 5, false}, // ignored, with a warning
	} {
		t.Run(tc.killAt, func(t *testing.T) {
			tracePath := filepath.Join(t.TempDir(), "trace")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"=1", EnvTrace+"="+tracePath, EnvKillAt+"="+tc.killAt)
			err := cmd.Run()
			var exit *exec.ExitError
			killed := errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
			if killed != tc.killed || (!killed && err != nil) {
				t.Fatalf("helper returned %v; want killed = %t", err, tc.killed)
			}
			b, err := os.ReadFile(tracePath)
			if err != nil {
				t.Fatal(err)
			}
			var points []string
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if !strings.HasPrefix(line, "killed at") {
					points = append(points, line)
				}
			}
			if len(points) != tc.traced {
				t.Fatalf("trace has %d points, want %d:\n%s", len(points), tc.traced, b)
			}
			if tc.killed && !strings.Contains(string(b), "killed at "+strings.Fields(points[len(points)-1])[0]+" ") {
				t.Errorf("trace does not say where the kill was:\n%s", b)
			}
		})
	}
}
