package repro

import (
	"fmt"
	"strings"

	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
)

// Figure 3 of the paper plots the accumulated accuracy of the pseudo labels sorted by their
// confidence (Eq. 9): the accuracy of the most confident p % of the unlabeled images, against p.
// A falling curve means the confidence ranks the pseudo labels by quality, which is what lets
// Eq. 10 weight them. Table 1's cells already hold these curves (Table1Cell.Accumulated), so
// the figure is drawn from a Table1Result and computes nothing.

// figure3Shares are the shares of the unlabeled pool (%) that Figure3Table reports.
var figure3Shares = []int{10, 50, 100}

// Figure3 draws the accumulated accuracy against the share of pseudo labels taken, most
// confident first, for every metric × propagation method of res at one label count.
func Figure3(res *Table1Result, labels int) (*plot.Plot, error) {
	var curves []report.Curve
	for _, m := range Table1Metrics {
		for _, method := range Table1Propagations {
			c := res.Cell(m, method, labels)
			if c == nil || len(c.Accumulated) < 2 {
				continue
			}
			// Accumulated[p] is the accuracy at p % (Percentiles); dropping p = 0 puts point i at
			// (i+1) %, the x the plot gives it.
			curves = append(curves, report.Curve{Name: Table1MetricName(m) + ", " + table1MethodName(method), Accuracy: c.Accumulated[1:]})
		}
	}
	if len(curves) == 0 {
		return nil, fmt.Errorf("figure 3: Table 1 has no cell with %d labels (its label counts: %v)", labels, res.Config.Labels)
	}
	return report.AccumulatedAccuracyPlot(fmt.Sprintf("Figure 3: pseudo labels sorted by confidence, %d labels (scale %s)", labels, res.Config.Scale), curves)
}

// figure3At returns the accumulated accuracy of a cell at share % of the unlabeled pool.
func figure3At(c *Table1Cell, share int) float64 {
	return c.Accumulated[min(share, len(c.Accumulated)-1)]
}

// Figure3Table returns, for every cell at one label count, the accuracy (%) of the most
// confident 10 %, 50 % and all of the pseudo labels, and the mAP (the curve's mean).
func Figure3Table(res *Table1Result, labels int) (header []string, rows [][]string) {
	header = []string{"metric pretraining", "propagation"}
	for _, s := range figure3Shares {
		header = append(header, fmt.Sprintf("top %d %% accuracy", s))
	}
	header = append(header, "mAP %")
	for _, c := range figure3Cells(res, labels) {
		row := []string{Table1MetricName(c.Metric), table1MethodName(c.Propagation)}
		for _, s := range figure3Shares {
			row = append(row, fmt.Sprintf("%.2f", 100*figure3At(c, s)))
		}
		rows = append(rows, append(row, fmt.Sprintf("%.2f", 100*c.MAP)))
	}
	return header, rows
}

// figure3Cells lists the cells of one label count that have a curve, in Table 1's order.
func figure3Cells(res *Table1Result, labels int) []*Table1Cell {
	var out []*Table1Cell
	for _, m := range Table1Metrics {
		for _, method := range Table1Propagations {
			if c := res.Cell(m, method, labels); c != nil && len(c.Accumulated) >= 2 {
				out = append(out, c)
			}
		}
	}
	return out
}

// Figure3Findings says in a few sentences, from the numbers, whether the confidence ranks the
// pseudo labels as the paper's Figure 3 shows it does: how many curves start above where they
// end, the accuracy of the most confident 10 % against all, and the best curve.
func Figure3Findings(res *Table1Result, labels int) string {
	cells := figure3Cells(res, labels)
	if len(cells) == 0 {
		return fmt.Sprintf("Table 1 has no cell with %d labels.", labels)
	}
	falling := 0
	var gain, best float64
	var bestCell *Table1Cell
	for _, c := range cells {
		top, all := figure3At(c, 10), figure3At(c, 100)
		if top > all {
			falling++
		}
		gain += top - all
		if bestCell == nil || c.MAP > best {
			best, bestCell = c.MAP, c
		}
	}
	gain /= float64(len(cells))
	var b strings.Builder
	fmt.Fprintf(&b, "With %d labels, the most confident 10 %% of the pseudo labels are more accurate than all of them in %d of %d curves, by %.1f points on average. ",
		labels, falling, len(cells), 100*gain)
	fmt.Fprintf(&b, "The best curve is %s with %s propagation: %.1f %% right in its top 10 %%, %.1f %% overall (mAP %.1f %%). ",
		Table1MetricName(bestCell.Metric), strings.ToLower(table1MethodName(bestCell.Propagation)), 100*figure3At(bestCell, 10), 100*figure3At(bestCell, 100), 100*bestCell.MAP)
	if falling == len(cells) {
		b.WriteString("As in the paper's Figure 3, the confidence ranks the pseudo labels by quality for every metric and propagation.")
	} else {
		fmt.Fprintf(&b, "Unlike the paper's Figure 3, where every curve falls, %d curve(s) here do not: their confidence does not yet single out the right pseudo labels.", len(cells)-falling)
	}
	return b.String()
}
