package kernel

import (
	"testing"
)

// TestHeadless checks that nbrun's variable makes a notebook headless: its widgets would wait
// for a browser that is not there.
func TestHeadless(t *testing.T) {
	t.Setenv(EnvHeadless, "1")
	if !Headless() {
		t.Error("Headless() is false with " + EnvHeadless + " set")
	}
	t.Setenv(EnvHeadless, "")
	if !Headless() { // a test binary is not a notebook either
		t.Error("Headless() is false outside a notebook")
	}
}
