package repro

import (
	"fmt"
	"slices"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/report"
	"github.com/metric-transfer/mtlp/lib/train"
	"gonum.org/v1/plot"
)

// Figure 4 of the paper compares its semi-supervised accuracy on CIFAR-10 (WRN-28-2) with the
// prior state of the art against the number of labels. The figure itself is an image; its
// numbers are those of Tables 2, 3 and 4, which Figure4Paper holds. Our points come from
// published Table 2 results (instance discrimination + spectral propagation).

// Figure4Method is one method of Figure 4 as the paper reports it.
type Figure4Method struct {
	Name string
	// Source says which of the paper's tables the numbers come from.
	Source string
	Labels []int
	// Accuracy is the test accuracy (%) at each of Labels.
	Accuracy []float64
}

// Figure4Paper holds THE PAPER'S numbers, not ours: the CIFAR-10 test accuracy (%) of the
// paper's method and of the prior methods it compares with, all on WRN-28-2.
var Figure4Paper = []Figure4Method{
	{Name: "Ours (paper)", Source: "Table 2, instance + spectral", Labels: Table1PaperLabels,
		Accuracy: Table2Paper[metric.MethodInstance][pipeline.Spectral]},
	{Name: "Mean Teacher", Source: "Table 3, WRN-28-2", Labels: Table1PaperLabels,
		Accuracy: Table3Paper[train.MethodMeanTeacher][nets.NetWRN28x2]},
	{Name: "Π model", Source: "Table 4", Labels: Table4PaperLabels, Accuracy: Table4Paper[SSLRow{Method: train.MethodPi}]},
	{Name: "VAT", Source: "Table 4", Labels: Table4PaperLabels, Accuracy: Table4Paper[SSLRow{Method: train.MethodVAT}]},
	{Name: "VAT+EM", Source: "Table 4", Labels: Table4PaperLabels, Accuracy: Table4Paper[SSLRow{Method: train.MethodVATEM}]},
	{Name: "Scratch (paper)", Source: "Table 2, no metric, no propagation", Labels: Table1PaperLabels,
		Accuracy: Table2Paper[pipeline.NoMetric][pipeline.Scratch]},
}

// Figure4Ours is one of our published Table 2 results, named for the legend (e.g. "ours,
// bench, CPU").
type Figure4Ours struct {
	Name   string
	Result *Table2Result
}

// spectral returns the label counts and test accuracies of the result's instance + spectral
// cells, in its order.
func (o Figure4Ours) spectral() (labels []int, accuracy []float64) {
	for _, c := range o.Result.Cells {
		if c.Metric == metric.MethodInstance && c.Transfer == pipeline.Spectral {
			labels, accuracy = append(labels, c.Labels), append(accuracy, c.Accuracy)
		}
	}
	return labels, accuracy
}

// Figure4 draws, against the number of labels, each of ours (its instance + spectral cells)
// and then each of the paper's methods. A result without such cells is left out; an
// error comes only from the plot.
func Figure4(ours []Figure4Ours) (*plot.Plot, error) {
	var series []report.Series
	for _, o := range ours {
		s := report.Series{Name: o.Name}
		s.Labels, s.Values = o.spectral()
		if len(s.Labels) > 0 {
			s.SortByLabels()
			series = append(series, s)
		}
	}
	for _, m := range Figure4Paper {
		s := report.Series{Name: m.Name, Labels: m.Labels}
		for _, a := range m.Accuracy {
			s.Values = append(s.Values, a/100)
		}
		series = append(series, s)
	}
	return report.VsLabelsPlot("Figure 4: CIFAR-10 test accuracy against the state of the art", "test accuracy (%)", series)
}

// Figure4Table lists every number of the figure: the paper's methods at the label counts they
// report, and ours beside them, in %.
func Figure4Table(ours []Figure4Ours) (header []string, rows [][]string) {
	header = []string{"method", "source"}
	for _, n := range Table1PaperLabels {
		header = append(header, fmt.Sprint(n))
	}
	cell := func(labels []int, acc []float64, n int) string {
		if i := slices.Index(labels, n); i >= 0 {
			return fmt.Sprintf("%.2f", acc[i])
		}
		return "—"
	}
	for _, m := range Figure4Paper {
		r := []string{m.Name, "the paper's " + m.Source}
		for _, n := range Table1PaperLabels {
			r = append(r, cell(m.Labels, m.Accuracy, n))
		}
		rows = append(rows, r)
	}
	for _, o := range ours {
		labels, acc := o.spectral()
		for i := range acc {
			acc[i] *= 100
		}
		r := []string{o.Name, fmt.Sprintf("our Table 2, scale %s, %s on %s", o.Result.Config.Scale,
			o.Result.Provenance.Backend, o.Result.Provenance.Device)}
		for _, n := range Table1PaperLabels {
			r = append(r, cell(labels, acc, n))
		}
		rows = append(rows, r)
	}
	return header, rows
}
