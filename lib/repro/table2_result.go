package repro

import (
	"fmt"
	"slices"
	"strings"

	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Table2Paper holds THE PAPER'S numbers, not ours: Table 2 of Liu et al. (2019), test accuracy
// (%) on CIFAR-10 with WRN-28-2 by metric, then propagation, then label count in
// Table1PaperLabels order.
var Table2Paper = map[string]map[pipeline.Transfer][]float64{
	pipeline.NoMetric: {
		pipeline.Scratch: {20.95, 25.35, 41.63, 54.06, 65.08, 73.22, 81.44, 86.23},
	},
	metric.MethodBootstrap: {
		pipeline.NN:       {21.79, 25.37, 42.70, 54.14, 68.08, 75.17, 83.30, 87.68},
		pipeline.Spectral: {22.78, 27.95, 47.28, 60.73, 72.60, 78.20, 85.10, 88.26},
	},
	metric.MethodColor: {
		pipeline.Finetune: {49.57, 55.41, 64.65, 68.81, 73.40, 77.93, 82.17, 86.25},
		pipeline.NN:       {49.96, 52.69, 65.63, 65.88, 70.88, 76.36, 80.16, 84.64},
		pipeline.Spectral: {53.47, 55.08, 68.40, 71.15, 72.38, 76.50, 80.31, 84.03},
	},
	metric.MethodInstance: {
		pipeline.Finetune: {35.27, 37.87, 62.46, 71.04, 75.96, 80.12, 83.90, 87.82},
		pipeline.NN:       {46.68, 54.45, 66.93, 74.16, 79.17, 82.24, 84.56, 87.92},
		pipeline.Spectral: {56.34, 63.53, 71.26, 74.77, 79.38, 82.34, 84.52, 87.48},
	},
}

// Table2PaperAccuracy returns the paper's test accuracy (%) of a cell, and false where the
// paper has none.
func Table2PaperAccuracy(row Table2Row, labels int) (float64, bool) {
	return paperAt(Table2Paper, row.Metric, row.Transfer, labels)
}

// Table2Pretrained is one metric pretraining of Table 2: its training as run (Trained: its
// budget, image rate and time, the embedding's included, and N the pool images embedded) and
// its quality by kNN on the test split.
type Table2Pretrained struct {
	pipeline.Trained
	Metric string `json:"metric"`
	// Labels is the label count bootstrapping trained on; 0 for a metric trained without labels.
	Labels int `json:"labels"`
	D      int `json:"d"`
	// KNNAccuracy is Wu et al.'s weighted kNN test accuracy of the metric (Table2Config.KNN).
	KNNAccuracy float64 `json:"knn_accuracy"`
}

// ID tells the metrics of Table 2's list apart (pipeline.Listed): bootstrapping trains one per
// label count.
func (p Table2Pretrained) ID() string { return fmt.Sprintf("%s/%d", p.Metric, p.Labels) }

// Table2Cell is one cell of Table 2 (and of Tables 5 and 6): its classifier and, for a
// propagation row, its pseudo labels' quality.
type Table2Cell = pipeline.Cell

// Table2Result is Table 2 as this run computed it.
type Table2Result struct {
	pipeline.RunInfo
	Config     Table2Config       `json:"config"`
	Pretrained []Table2Pretrained `json:"pretrained"`
	Cells      []Table2Cell       `json:"cells"`
}

// Table2MetricName is how Table 2 names a metric pretraining.
func Table2MetricName(m string) string {
	if m == pipeline.NoMetric {
		return "No"
	}
	return Table1MetricName(m)
}

// table2MethodName is how Table 2 names a propagation method.
func table2MethodName(t pipeline.Transfer) string {
	if !t.Propagates() {
		return "No"
	}
	return table1MethodName(propagate.Method(t))
}

// cellAccuracy is the cell's test accuracy, false for a cell not computed (nil).
func cellAccuracy(c *Table2Cell) (float64, bool) {
	if c == nil {
		return 0, false
	}
	return c.Accuracy, true
}

// Cell returns the cell of a row and a label count, or nil.
func (r *Table2Result) Cell(row Table2Row, labels int) *Table2Cell {
	return cellOf(r.Cells, row, labels)
}

// cellOf returns the cell of a row and a label count among cells (of Table 2 or 6), or nil.
func cellOf(cells []Table2Cell, row Table2Row, labels int) *Table2Cell {
	for i, c := range cells {
		if c.Metric == row.Metric && c.Transfer == row.Transfer && c.Labels == labels {
			return &cells[i]
		}
	}
	return nil
}

// BesidePaper returns every cell beside the paper's: the paper's test accuracy, ours, the
// difference in points, the pseudo labels' accuracy, and the classifier's steps and time.
func (r *Table2Result) BesidePaper() (header []string, rows [][]string) {
	header = []string{"metric pretraining", "propagation", "labels", "paper accuracy % †", "ours accuracy %", "Δ points",
		"pseudo-label accuracy %", "classifier steps", "classifier s"}
	for _, c := range r.Cells {
		p, ok := Table2PaperAccuracy(Table2Row{Metric: c.Metric, Transfer: c.Transfer}, c.Labels)
		paper, delta := vsPaper(p, ok, c.Accuracy)
		rows = append(rows, append([]string{Table2MetricName(c.Metric), table2MethodName(c.Transfer), fmt.Sprint(c.Labels),
			paper, pct(c.Accuracy), delta, pctIf(c.PseudoAccuracy, c.Transfer.Propagates())}, trainedCols(c.Classified)...))
	}
	return header, rows
}

// Note is the table's footnote: the setting, the metrics as trained, the paper's and the
// provenance.
func (r *Table2Result) Note() string {
	return fmt.Sprintf("%s † the paper's Table 2 (WRN-28-2, 200K iterations). %s", r.settings(), r.Provenance)
}

// settings describes the run's data, metrics, classifiers and propagation (Note without the
// paper's reference and the provenance), for the tables that run Table 2's stages.
func (r *Table2Result) settings() string {
	c := r.Config
	var metrics []string
	for _, p := range r.Pretrained {
		pc := c.Metrics[p.Metric]
		on := "the pool"
		if p.Labels > 0 {
			on = fmt.Sprintf("%d labels", p.Labels)
		}
		metrics = append(metrics, fmt.Sprintf("%s on %s: %s, %d steps of %d (%.1f epochs, %.0f images/s), %d-NN test accuracy %.2f %%",
			Table2MetricName(p.Metric), on, pc.Net, p.Steps, min(pc.BatchSize, max(p.Labels, pc.BatchSize)), p.Epochs, p.ImagesPerSecond, c.KNN, 100*p.KNNAccuracy))
	}
	if len(metrics) == 0 {
		metrics = []string{"none (classifiers from scratch)"}
	}
	cl := c.Classifier
	return fmt.Sprintf("%s (JPEG copy), pool of %s; metrics: %s. Classifiers: %s (finetuning rows: the metric's network), up to %d steps of %d, %s, examples with α < %g dropped; "+
		"spectral η = %d; seed %d.",
		c.Dataset, poolName(c.Pool), strings.Join(metrics, "; "), netName(cl.Net, cl.Channels), cl.Steps, cl.BatchSize, optimizerName(cl.Optimizer), cl.MinWeight,
		c.Spectral.Eta, c.Seed)
}

// optimizerName is how a note names fit.NewOptimizer's optimiser.
func optimizerName(name string) string {
	if name == fit.OptimizerSGD {
		return "Nesterov SGD"
	}
	return "Adam"
}

// Figures draws the test accuracy against the number of labels, one panel per metric in the
// rows' order: each of its computed rows solid, the paper's dashed in the same colour, one
// colour per propagation (none, nearest neighbour, spectral) in every panel. A metric without a
// computed cell has no panel.
func (r *Table2Result) Figures() ([]*plot.Plot, error) {
	labels := r.Config.Labels
	var plots []*plot.Plot
	for _, m := range table2Metrics(r.Config.Rows) {
		var rows []Table2Row
		for _, row := range r.Config.Rows {
			if row.Metric == m {
				rows = append(rows, row)
			}
		}
		series := report.OursAndPaper(rows, labels, func(row Table2Row) string { return table2MethodName(row.Transfer) }, ", paper",
			func(row Table2Row, col int) (float64, bool) { return cellAccuracy(r.Cell(row, labels[col])) },
			func(row Table2Row, col int) (float64, bool) { return Table2PaperAccuracy(row, labels[col]) })
		for i := range series {
			series[i].Colour = report.Colour(slices.Index([]string{"No", "Nearest neighbor", "Spectral"}, strings.TrimSuffix(series[i].Name, ", paper")))
		}
		if len(series) == 0 {
			continue
		}
		p, err := report.VsLabelsPlot(fmt.Sprintf("Table 2, %s (scale %s)", Table2MetricName(m), r.Config.Scale), "test accuracy (%)", series)
		if err != nil {
			return nil, err
		}
		plots = append(plots, p)
	}
	return plots, nil
}

// table2Metrics are the metrics of rows, in their order.
func table2Metrics(rows []Table2Row) []string {
	var out []string
	for _, row := range rows {
		if !slices.Contains(out, row.Metric) {
			out = append(out, row.Metric)
		}
	}
	return out
}

// Figure renders Figures as one PNG, two panels a row of 12 × 8 cm each; nil before any cell.
func (r *Table2Result) Figure() ([]byte, error) {
	plots, err := r.Figures()
	if err != nil || len(plots) == 0 {
		return nil, err
	}
	return report.Panels(plots, 2, 12*vg.Centimeter, 8*vg.Centimeter)
}

// Publish writes the result and its figure (see Result).
func (r *Table2Result) Publish(dir, suffix string) (string, error) {
	return pipeline.PublishPNGs(dir, "table2-"+r.Config.Scale+suffix, r, map[string]func() ([]byte, error){"": r.Figure})
}
