package pipeline

import (
	"fmt"
	"os"
)

// Scales every experiment runs at.
const (
	// Smoke is tiny data and budgets, seconds per stage: what the test suite runs.
	Smoke = "smoke"
	// Small is real data at a size and budget that a 2-core CPU finishes in minutes.
	Small = "small"
	// Bench is real data with a reduced backbone and budget: a table on a 2-core CPU in under
	// an hour.
	Bench = "bench"
	// Paper is the paper's data and networks, on a GPU: hours at the paper's budgets, or as much
	// of them as a stated time budget allows.
	Paper = "paper"
)

// DefaultScale is the scale that the notebooks, mt and make run without $MT_SCALE or a flag:
// real data on a 2-core CPU (the quickstart's Small).
const DefaultScale = Bench

// EnvScale names the environment variable that selects the scale of a notebook or command.
const EnvScale = "MT_SCALE"

// ScaleFromEnv returns $MT_SCALE, or def when it is unset.
func ScaleFromEnv(def string) string {
	if s := os.Getenv(EnvScale); s != "" {
		return s
	}
	return def
}

// UnknownScale is the error for a scale that an experiment does not define; known lists the
// ones it does.
func UnknownScale(s string, known ...string) error {
	return fmt.Errorf("unknown scale %q (want one of %q; set it with %s)", s, known, EnvScale)
}
