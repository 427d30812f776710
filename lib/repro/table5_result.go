package repro

import (
	"fmt"
	"math"
	"slices"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
)

// Table5Result is Table 5 as this run computed it: Table 2's pretraining and cells, at the
// label counts that Config.Percents gave (Config.Labels, in the same order).
type Table5Result struct {
	pipeline.RunInfo
	Config     Table5Config       `json:"config"`
	Pretrained []Table2Pretrained `json:"pretrained"`
	Cells      []Table2Cell       `json:"cells"`
}

// Table5RowName is how Table 5 names a row: Scratch, Finetune or Ours.
func Table5RowName(row Table2Row) string {
	switch {
	case row.Transfer == pipeline.Scratch:
		return "Scratch"
	case row.Transfer == pipeline.Finetune:
		return "Finetune (" + Table2MetricName(row.Metric) + ")"
	}
	return "Ours (" + Table2MetricName(row.Metric) + " + " + table2MethodName(row.Transfer) + ")"
}

// percentOf returns the labeled share (%) of a column's label count, and false for a count
// that is not a column.
func (r *Table5Result) percentOf(labels int) (float64, bool) {
	i := slices.Index(r.Config.Labels, labels)
	if i < 0 || i >= len(r.Config.Percents) {
		return 0, false
	}
	return r.Config.Percents[i], true
}

// Cell returns the cell of a row at a labeled share (%), or nil.
func (r *Table5Result) Cell(row Table2Row, percent float64) *Table2Cell {
	i := slices.Index(r.Config.Percents, percent)
	if i < 0 || i >= len(r.Config.Labels) {
		return nil
	}
	return cellOf(r.Cells, row, r.Config.Labels[i])
}

// BesidePaper returns every cell beside the paper's: the labeled share and count, the
// paper's ImageNet accuracy, ours, the pseudo labels' accuracy, and the classifier's steps and
// time. There is no difference column: the paper's numbers are ImageNet's (1000 classes),
// ours are of the stand-in; the gains of Finetune and Ours over Scratch are what compare
// (Gains).
func (r *Table5Result) BesidePaper() (header []string, rows [][]string) {
	header = []string{"method", "labeled %", "labels", "paper ImageNet top-1 % †", "ours accuracy %",
		"pseudo-label accuracy %", "classifier steps", "classifier s"}
	for _, c := range r.Cells {
		row := Table2Row{Metric: c.Metric, Transfer: c.Transfer}
		share, _ := r.percentOf(c.Labels)
		paper := "—"
		if p, ok := Table5PaperAccuracy(row, share); ok {
			paper = fmt.Sprintf("%.1f", p)
		}
		rows = append(rows, append([]string{Table5RowName(row), fmt.Sprint(share), fmt.Sprint(c.Labels), paper,
			pct(c.Accuracy), pctIf(c.PseudoAccuracy, c.Transfer.Propagates())}, trainedCols(c.Classified)...))
	}
	return header, rows
}

// Gains returns, for each labeled share, the gain in points of every row over Scratch, the
// paper's and ours: the comparison that survives the change of dataset.
func (r *Table5Result) Gains() (header []string, rows [][]string) {
	header = []string{"method", "labeled %", "paper gain over Scratch (points) †", "our gain over Scratch (points)"}
	scratch := Table2Row{Metric: pipeline.NoMetric, Transfer: pipeline.Scratch}
	for _, row := range r.Config.Rows {
		if row == scratch {
			continue
		}
		for _, pct := range r.Config.Percents {
			paper, ours := "—", "—"
			if p, ok := Table5PaperAccuracy(row, pct); ok {
				if s, ok := Table5PaperAccuracy(scratch, pct); ok {
					paper = fmt.Sprintf("%+.1f", p-s)
				}
			}
			if c, s := r.Cell(row, pct), r.Cell(scratch, pct); c != nil && s != nil {
				ours = fmt.Sprintf("%+.2f", 100*(c.Accuracy-s.Accuracy))
			}
			rows = append(rows, []string{Table5RowName(row), fmt.Sprint(pct), paper, ours})
		}
	}
	return header, rows
}

// Note is the table's footnote: the stand-in, the setting, the metric as trained, and the
// provenance.
func (r *Table5Result) Note() string {
	t2 := Table2Result{Config: r.Config.Table2Config, Pretrained: r.Pretrained}
	chunks := max(1, r.Config.Spectral.Chunks)
	standIn := fmt.Sprintf("Stand-in: the paper's Table 5 is ImageNet (1.28M images, 1000 classes, ResNet-50); this run is the same protocol on %s: ", r.Config.Dataset)
	if r.Config.Dataset == "imagenet" {
		standIn = fmt.Sprintf("ImageNet at %d × %d: ", data.ImageNetSize, data.ImageNetSize)
	}
	return fmt.Sprintf("%slabeled shares %v %% of the pool (%v labels), spectral propagation in %d chunks of the unlabeled pool, each with every label. %s "+
		"† the paper's Table 5 (ImageNet, ResNet-50, 10 chunks). %s",
		standIn, r.Config.Percents, r.Config.Labels, chunks, t2.settings(), r.Provenance)
}

// Figure draws the test accuracy against the labeled share: each computed row solid, the
// paper's ImageNet numbers in the same colour dashed. The x axis is the share in %, rounded
// to a whole percent (at least 1) for the axis.
func (r *Table5Result) Figure() (*plot.Plot, error) {
	pcts := r.Config.Percents
	axis := make([]int, len(pcts))
	for i, pct := range pcts {
		axis[i] = max(1, int(math.Round(pct)))
	}
	series := report.OursAndPaper(r.Config.Rows, axis, Table5RowName, ", paper (ImageNet)",
		func(row Table2Row, col int) (float64, bool) { return cellAccuracy(r.Cell(row, pcts[col])) },
		func(row Table2Row, col int) (float64, bool) { return Table5PaperAccuracy(row, pcts[col]) })
	p, err := report.VsLabelsPlot(fmt.Sprintf("Table 5: accuracy by labeled share (scale %s)", r.Config.Scale), "test accuracy (%)", series)
	if err != nil {
		return nil, err
	}
	p.X.Label.Text = "labeled share of the training set (%)"
	return p, nil
}

// Publish writes the result and its figure (see Result).
func (r *Table5Result) Publish(dir, suffix string) (string, error) {
	return pipeline.Publish(dir, "table5-"+r.Config.Scale+suffix, r, pipeline.Plots{"": r.Figure})
}
