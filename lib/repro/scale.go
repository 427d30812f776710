package repro

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
)

// EnvScale names the environment variable that selects the scale of a notebook or command.
const EnvScale = "MT_SCALE"

// ScaleFromEnv returns $MT_SCALE, or def when it is unset.
func ScaleFromEnv(def string) string {
	if s := os.Getenv(EnvScale); s != "" {
		return s
	}
	return def
}

func unknownScale(s string) error {
	return fmt.Errorf("unknown scale %q (want %q or %q; set it with %s)", s, Smoke, Small, EnvScale)
}
