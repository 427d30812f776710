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

// TestMoved checks that a move reaches Moved's channel after the slider's value changed, and
// that moves while one is pending fold into it.
func TestMoved(t *testing.T) {
	a, b := &Slider{}, &Slider{}
	moved := Moved(a, b)
	a.set(3) // as NewSlider's goroutine does on the browser's updates
	b.set(7)
	<-moved
	if a.Value() != 3 || b.Value() != 7 {
		t.Errorf("after the moves, values %d and %d, want 3 and 7", a.Value(), b.Value())
	}
	select {
	case <-moved:
		t.Error("two moves while one was pending gave two redraws")
	default:
	}
}
