package repro

import (
	"fmt"
	"strings"

	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
)

// Table6Paper holds THE PAPER'S numbers, not ours: Table 6 of Liu et al. (2019), test accuracy
// (%) on CIFAR-10 of a WRN-28-2 metric pretrained on ImageNet32 — a different domain pair from
// this project's MNIST → Fashion-MNIST stand-in, so they show the trend, not a target — by
// pretraining, then transfer method, then label count in Table1PaperLabels order.
var Table6Paper = map[string]map[pipeline.Transfer][]float64{
	Table6Unsupervised: {
		pipeline.Finetune: {28.92, 34.56, 57.14, 67.54, 76.20, 80.92, 85.01, 88.74},
		pipeline.Spectral: {44.30, 46.51, 61.29, 68.31, 72.61, 77.86, 84.00, 88.19},
	},
	Table6Supervised: {
		pipeline.Finetune: {54.95, 61.88, 73.01, 78.43, 84.52, 88.79, 91.44, 93.05},
		pipeline.Spectral: {77.71, 85.34, 86.07, 86.91, 88.27, 89.93, 91.22, 93.49},
	},
}

// Table6PaperAccuracy returns the paper's test accuracy (%) of a cell (ImageNet32 → CIFAR-10),
// and false where the paper has none.
func Table6PaperAccuracy(row Table6Row, labels int) (float64, bool) {
	return paperAt(Table6Paper, row.Metric, row.Transfer, labels)
}

// Table6Pretrained is one metric of Table 6: its pretraining on the source (Timed: the
// training and the source kNN check) and its embedding of the target pool.
type Table6Pretrained struct {
	pipeline.Trained
	// Metric is Table6Unsupervised or Table6Supervised; Method the pretraining that ran.
	Metric string `json:"metric"`
	Method string `json:"method"`
	// Source names the source split the metric trained on (Trained.N of its images).
	Source string `json:"source"`
	// SourceKNNAccuracy is the metric's weighted kNN test accuracy on the source (the paper's
	// counterpart: 42 % top-1 of its supervised network on ImageNet32's validation set).
	SourceKNNAccuracy float64 `json:"source_knn_accuracy"`
	// Target names the target split, TargetN its pool and D the features' width.
	Target  string `json:"target"`
	TargetN int    `json:"target_n"`
	D       int    `json:"d"`
	// TargetKNNAccuracy is the transferred metric's weighted kNN test accuracy on the target,
	// with every pool image labelled: how well it fits the target before any label is used.
	TargetKNNAccuracy float64 `json:"target_knn_accuracy"`
	EmbedSeconds      float64 `json:"embed_seconds"`
}

// ID tells the metrics of Table 6's list apart (pipeline.Listed).
func (p Table6Pretrained) ID() string { return p.Metric }

// Table6Cell is one cell of Table 6, with the fields of a Table 2 cell: the classifier's test
// accuracy on the target, and for a spectral row its pseudo labels' accuracy on the target
// pool. Timed is the classifier's training and evaluation.
type Table6Cell = Table2Cell

// Table6Result is Table 6 as this run computed it.
type Table6Result struct {
	pipeline.RunInfo
	Config     Table6Config       `json:"config"`
	Pretrained []Table6Pretrained `json:"pretrained"`
	Cells      []Table6Cell       `json:"cells"`
}

// Table6MetricName is how Table 6 names a metric pretraining.
func Table6MetricName(m string) string {
	switch m {
	case Table6Unsupervised:
		return "Unsupervised"
	case Table6Supervised:
		return "Supervised"
	}
	return m
}

// table6TransferName is how Table 6 names a transfer method.
func table6TransferName(t pipeline.Transfer) string {
	if t == pipeline.Finetune {
		return "Network finetuning"
	}
	return table1MethodName(propagate.Method(t))
}

// Cell returns the cell of a row and a label count, or nil.
func (r *Table6Result) Cell(row Table6Row, labels int) *Table6Cell {
	return cellOf(r.Cells, row, labels)
}

// BesidePaper returns every cell beside the paper's. The paper's pair (ImageNet32 → CIFAR-10)
// is not ours, so no difference of accuracies is shown; what compares across pairs is the
// table's claim, the gain of spectral propagation over finetuning from the same metric, given
// for the paper and for us on the spectral rows. Then the pseudo labels' accuracy, the
// classifier's examples, steps and time.
func (r *Table6Result) BesidePaper() (header []string, rows [][]string) {
	header = []string{"metric pretraining", "transfer", "labels", "paper accuracy % †", "ours accuracy %",
		"spectral − finetuning, paper † (points)", "spectral − finetuning, ours (points)",
		"pseudo-label accuracy %", "examples", "classifier steps", "classifier s"}
	for _, c := range r.Cells {
		row := Table6Row{Metric: c.Metric, Transfer: c.Transfer}
		p, ok := Table6PaperAccuracy(row, c.Labels)
		paper, _ := vsPaper(p, ok, c.Accuracy)
		paperGain, gain := "—", "—"
		if c.Transfer != pipeline.Finetune {
			ft := Table6Row{Metric: c.Metric, Transfer: pipeline.Finetune}
			if p, ok := Table6PaperAccuracy(row, c.Labels); ok {
				q, _ := Table6PaperAccuracy(ft, c.Labels)
				paperGain = fmt.Sprintf("%+.2f", p-q)
			}
			if f := r.Cell(ft, c.Labels); f != nil {
				gain = fmt.Sprintf("%+.2f", 100*(c.Accuracy-f.Accuracy))
			}
		}
		rows = append(rows, append([]string{Table6MetricName(c.Metric), table6TransferName(c.Transfer), fmt.Sprint(c.Labels),
			paper, pct(c.Accuracy), paperGain, gain, pctIf(c.PseudoAccuracy, c.Transfer != pipeline.Finetune), fmt.Sprint(c.Examples)}, trainedCols(c.Classified)...))
	}
	return header, rows
}

// Note is the table's footnote: the stand-in, the metrics as trained and how well each fits the
// source and the target, the classifiers, the paper's setting and the provenance.
func (r *Table6Result) Note() string {
	c := r.Config
	var metrics []string
	for _, p := range r.Pretrained {
		pc := c.Metrics[p.Metric]
		m := fmt.Sprintf("%s (%s) on %d %s images: %s with %d channels, %d steps of %d (%.1f epochs%s)",
			Table6MetricName(p.Metric), p.Method, p.N, c.Source, pc.Net, pc.Channels, p.Steps, pc.BatchSize, p.Epochs, rateOf(p.ImagesPerSecond))
		if c.KNN > 0 {
			m += fmt.Sprintf("; %d-NN test accuracy %.2f %% on the source, %.2f %% on the target", c.KNN, 100*p.SourceKNNAccuracy, 100*p.TargetKNNAccuracy)
		}
		metrics = append(metrics, m)
	}
	cl := c.Classifier
	return fmt.Sprintf("Stand-in: %s → %s for the paper's ImageNet32 → CIFAR-10 (no ImageNet32 here). Target pool of %s; metrics pretrained once on the source: %s. "+
		"Classifiers on the target: %s for the spectral rows (labels + pseudo labels weighted by confidence, α < %g dropped), the metric's network for finetuning (labels only); up to %d steps of %d, %s; "+
		"spectral η = %d; seed %d. † the paper's Table 6: ImageNet32 → CIFAR-10, WRN-28-2 throughout, a different domain pair, for the trend only. %s",
		c.Source, c.Target, poolName(c.Pool), strings.Join(metrics, "; "), netName(cl.Net, cl.Channels), cl.MinWeight, cl.Steps, cl.BatchSize, optimizerName(cl.Optimizer),
		c.Spectral.Eta, c.Seed, r.Provenance)
}

// Figure draws the target test accuracy against the number of labels: each computed row as a
// solid line, and the paper's (ImageNet32 → CIFAR-10) as a dashed line of the same colour.
func (r *Table6Result) Figure() (*plot.Plot, error) {
	labels := r.Config.Labels
	series := report.OursAndPaper(r.Config.Rows, labels, func(row Table6Row) string {
		return Table6MetricName(row.Metric) + " + " + table6TransferName(row.Transfer)
	}, ", paper", func(row Table6Row, col int) (float64, bool) { return cellAccuracy(r.Cell(row, labels[col])) },
		func(row Table6Row, col int) (float64, bool) { return Table6PaperAccuracy(row, labels[col]) })
	title := fmt.Sprintf("Table 6 (scale %s): ours %s → %s, paper ImageNet32 → CIFAR-10", r.Config.Scale, r.Config.Source, r.Config.Target)
	return report.VsLabelsPlot(title, "target test accuracy (%)", series)
}

// Publish writes the result and its figure (see Result).
func (r *Table6Result) Publish(dir, suffix string) (string, error) {
	return pipeline.Publish(dir, "table6-"+r.Config.Scale+suffix, r, pipeline.Plots{"": r.Figure})
}
