package kernel

import (
	"bytes"
	"testing"

	"gonum.org/v1/plot"
)

func TestPlotPNG(t *testing.T) {
	p := plot.New()
	p.Title.Text = "test"
	tests := []struct {
		name    string
		p       *plot.Plot
		w, h    float64
		wantErr bool
	}{
		{"ok", p, 3, 2, false},
		{"nil plot", nil, 3, 2, true},
		{"zero width", p, 0, 2, true},
		{"negative height", p, 3, -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			png, err := plotPNG(tc.p, tc.w, tc.h)
			if (err != nil) != tc.wantErr {
				t.Fatalf("plotPNG error = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("plotPNG did not return a PNG (first bytes %q)", png[:min(8, len(png))])
			}
		})
	}
}

func TestShowPlotOutsideNotebook(t *testing.T) {
	// go test never runs under GoNB, so this must be a silent no-op.
	if err := ShowPlot(plot.New(), 3, 2); err != nil {
		t.Fatal(err)
	}
}

func TestShowPNGOutsideNotebook(t *testing.T) {
	if err := ShowPNG([]byte("\x89PNG\r\n\x1a\n")); err != nil {
		t.Fatal(err)
	}
}
