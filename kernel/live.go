package kernel

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/widgets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"gonum.org/v1/plot"
)

// EnvHeadless names the environment variable that nbrun sets for the notebooks it executes
// (pipeline.EnvHeadless): no browser runs their cells' JavaScript, so widgets
// (gonbui/widgets), which wait for their first value from the browser, would wait forever.
const EnvHeadless = pipeline.EnvHeadless

// Headless says whether the notebook runs without a browser to move widgets: under nbrun
// (make test), or outside a notebook.
func Headless() bool { return os.Getenv(EnvHeadless) != "" || !gonbui.IsNotebook }

// Area is an output area of a cell that Show replaces in place, for results that follow the
// widgets as they move.
type Area struct{ id string }

// NewArea returns a new, empty output area.
func NewArea() *Area { return &Area{id: "mtlp-area-" + gonbui.UniqueId()} }

// Show replaces the area's content with tables and plots (each w × h inches), in order;
// outside a notebook it prints the tables.
func (a *Area) Show(tables []Table, plots []*plot.Plot, w, h float64) error {
	var b strings.Builder
	for _, t := range tables {
		if !gonbui.IsNotebook {
			if err := t.WriteText(os.Stdout); err != nil {
				return err
			}
			continue
		}
		b.WriteString(t.HTML())
	}
	if !gonbui.IsNotebook {
		return nil
	}
	for _, p := range plots {
		png, err := plotPNG(p, w, h)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, `<img src="data:image/png;base64,%s"/>`, base64.StdEncoding.EncodeToString(png))
	}
	gonbui.UpdateHtml(a.id, b.String())
	gonbui.Sync()
	if err := gonbui.Error(); err != nil {
		return fmt.Errorf("kernel: updating an output area: %w", err)
	}
	return nil
}

// Slider is a slider widget (gonbui/widgets) that a cell reads as it moves.
type Slider struct {
	value atomic.Int64
	// moved, once Moved has set it, receives after each move, the value stored first.
	moved atomic.Pointer[chan struct{}]
}

// NewSlider shows label and a slider from min to max at value. It waits for the browser to
// show it: never call it when Headless.
func NewSlider(label string, min, max, value int) *Slider {
	ShowMarkdown(label)
	w := widgets.Slider(min, max, value).Done()
	s := &Slider{}
	s.value.Store(int64(w.Value()))
	updates := w.Listen()
	go func() {
		for v := range updates.C {
			s.set(v)
		}
	}()
	return s
}

// set records a move to v, then tells Moved's channel, if any.
func (s *Slider) set(v int) {
	s.value.Store(int64(v))
	if moved := s.moved.Load(); moved != nil {
		select {
		case *moved <- struct{}{}:
		default: // a move is pending already
		}
	}
}

// Value is the slider's value after its latest move.
func (s *Slider) Value() int { return int(s.value.Load()) }

// Moved returns a channel that receives once after any of sliders moves: moves that come while
// one is pending are folded into it, so that a slow redraw reads only the latest values, which
// Value has by then.
func Moved(sliders ...*Slider) <-chan struct{} {
	moved := make(chan struct{}, 1)
	for _, s := range sliders {
		s.moved.Store(&moved)
	}
	return moved
}
