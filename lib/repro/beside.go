package repro

import (
	"fmt"

	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// The cells of the tables beside the paper: "—" where a number is missing.

// pct formats a fraction as a percentage with two decimals.
func pct(v float64) string { return fmt.Sprintf("%.2f", 100*v) }

// pctIf is pct of v, "—" when !ok.
func pctIf(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return pct(v)
}

// vsPaper returns the paper's number (%), from paperAt and friends, and ours (a fraction)
// less it in points: "—" both where the paper has none.
func vsPaper(paper float64, ok bool, ours float64) (p, delta string) {
	if !ok {
		return "—", "—"
	}
	return fmt.Sprintf("%.2f", paper), fmt.Sprintf("%+.2f", 100*ours-paper)
}

// trainedCols are a classifier's steps and seconds, the last columns of its cell.
func trainedCols(c pipeline.Classified) []string {
	return []string{fmt.Sprint(c.Steps), fmt.Sprintf("%.1f", c.Seconds)}
}

// poolName names a pool of n training images, 0 for all.
func poolName(n int) string {
	if n > 0 {
		return fmt.Sprintf("%d training images", n)
	}
	return "the whole training split"
}

// netName names a network, "" (Conv-4) with its width.
func netName(net string, channels int) string {
	if net == "" || net == nets.NetConv4 {
		return fmt.Sprintf("conv-4 (%d channels)", channels)
	}
	return net
}

// rateOf is ", N images/s" for a measured training rate, "" when unmeasured (a training too
// short for two progress reports).
func rateOf(imagesPerSecond float64) string {
	if imagesPerSecond > 0 {
		return fmt.Sprintf(", %.0f images/s", imagesPerSecond)
	}
	return ""
}
