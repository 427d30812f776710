package kernel

import (
	"fmt"
	"os"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// ShowMarkdown displays s rendered as Markdown in a notebook, or prints it
// as is on stdout anywhere else.
//
// Every Show function waits (gonbui.Sync) until GoNB has taken the output: a cell that ends
// right after showing something lost its output under load when the program's exit raced the
// pipe to the kernel (seen once for a table in notebooks/table2.ipynb with two benchmarks
// running).
func ShowMarkdown(s string) {
	if gonbui.IsNotebook {
		gonbui.DisplayMarkdown(s)
		gonbui.Sync()
		return
	}
	fmt.Fprintln(os.Stdout, s)
}

// ShowPlot renders p as a PNG of wInches x hInches and displays it inline
// in a notebook. Outside a notebook it writes nothing and returns nil:
// figures meant to be kept are saved by lib/report, not by this package.
func ShowPlot(p *plot.Plot, wInches, hInches float64) error {
	if !gonbui.IsNotebook {
		return nil
	}
	png, err := plotPNG(p, wInches, hInches)
	if err != nil {
		return err
	}
	gonbui.DisplayPng(png)
	gonbui.Sync()
	if err := gonbui.Error(); err != nil {
		return fmt.Errorf("kernel: showing plot: %w", err)
	}
	return nil
}

// plotPNG renders p to PNG bytes of wInches × hInches.
func plotPNG(p *plot.Plot, wInches, hInches float64) ([]byte, error) {
	png, err := report.PNG(p, vg.Length(wInches)*vg.Inch, vg.Length(hInches)*vg.Inch)
	if err != nil {
		return nil, fmt.Errorf("kernel: plot of %g×%g inches: %w", wInches, hInches, err)
	}
	return png, nil
}

// ShowPNG displays PNG bytes inline in a notebook; outside a notebook it writes nothing and
// returns nil, like ShowPlot.
func ShowPNG(png []byte) error {
	if !gonbui.IsNotebook {
		return nil
	}
	gonbui.DisplayPng(png)
	gonbui.Sync()
	if err := gonbui.Error(); err != nil {
		return fmt.Errorf("kernel: showing PNG: %w", err)
	}
	return nil
}
