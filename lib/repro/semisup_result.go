package repro

import (
	"cmp"
	"fmt"

	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/report"
	"github.com/metric-transfer/mtlp/lib/train"
	"gonum.org/v1/plot"
)

// SSLCell is one cell of Table 3 or 4. Timed is the classifier's training and evaluation.
type SSLCell struct {
	// Classified is the classifier. Its Examples are, for our method, the labels and the pseudo
	// labels kept (α ≥ MinWeight), for a baseline the labels and, with "+ Ours", the pseudo
	// labels given as labels.
	pipeline.Classified
	SSLRow
	Labels int `json:"labels"`
	// PseudoAccuracy is the accuracy of the pseudo labels the cell used: all of the unlabeled
	// pool's for our method, the most confident share for "+ Ours"; 0 without.
	PseudoAccuracy     float64 `json:"pseudo_accuracy,omitempty"`
	PropagationSeconds float64 `json:"propagation_seconds,omitempty"`
}

// SSLResult is Table 3 or 4 as this run computed it.
type SSLResult struct {
	// Table is the paper's table: 3 or 4.
	Table int `json:"table"`
	pipeline.RunInfo
	Config     SSLConfig          `json:"config"`
	Pretrained []Table2Pretrained `json:"pretrained"`
	Cells      []SSLCell          `json:"cells"`
}

// SSLMethodName is how Tables 3 and 4 name a row's method.
func SSLMethodName(row SSLRow) string {
	name := map[string]string{OursMethod: "Ours", train.MethodPi: "Π model", train.MethodMeanTeacher: "Mean Teacher", train.MethodVAT: "VAT", train.MethodVATEM: "VAT+EM"}[row.Method]
	if name == "" {
		name = row.Method
	}
	if row.Ours {
		name += " + Ours"
	}
	return name
}

// netName is how a table names a row's classifier network.
func (r *SSLResult) netName(row SSLRow) string {
	return netName(cmp.Or(row.Net, r.Config.Classifier.Net), cmp.Or(row.Channels, r.Config.Classifier.Channels))
}

// paper returns the paper's accuracy (%) of a row at a label count, and false where the paper
// has none.
func (r *SSLResult) paper(row SSLRow, labels int) (float64, bool) {
	if r.Table == 3 {
		return Table3PaperAccuracy(row, labels)
	}
	return Table4PaperAccuracy(row, labels)
}

// accuracy is the cell's test accuracy, false for a cell not computed (nil).
func (c *SSLCell) accuracy() (float64, bool) {
	if c == nil {
		return 0, false
	}
	return c.Accuracy, true
}

// Cell returns the cell of a row and a label count, or nil.
func (r *SSLResult) Cell(row SSLRow, labels int) *SSLCell {
	for i, c := range r.Cells {
		if c.SSLRow == row && c.Labels == labels {
			return &r.Cells[i]
		}
	}
	return nil
}

// BesidePaper returns every cell beside the paper's: method, network, labels, the paper's test
// accuracy (for the row's paper counterpart, see Table3PaperAccuracy), ours, the difference,
// the accuracy of the pseudo labels used, and the classifier's steps and time.
func (r *SSLResult) BesidePaper() (header []string, rows [][]string) {
	header = []string{"method", "network", "labels", "paper accuracy % †", "ours accuracy %", "Δ points",
		"pseudo-label accuracy %", "classifier steps", "classifier s"}
	for _, c := range r.Cells {
		p, ok := r.paper(c.SSLRow, c.Labels)
		paper, delta := vsPaper(p, ok, c.Accuracy)
		rows = append(rows, append([]string{SSLMethodName(c.SSLRow), r.netName(c.SSLRow), fmt.Sprint(c.Labels), paper,
			pct(c.Accuracy), delta, pctIf(c.PseudoAccuracy, c.PseudoAccuracy > 0)}, trainedCols(c.Classified)...))
	}
	return header, rows
}

// Note is the table's footnote: the setting, the baselines' knobs, the paper's and the
// provenance.
func (r *SSLResult) Note() string {
	t2 := Table2Result{Config: r.Config.Table2Config, Pretrained: r.Pretrained}
	if r.Table == 3 {
		t2.Config.Classifier.Net = "each row's network (the network column)"
	}
	given := ""
	if r.Table == 4 {
		given = fmt.Sprintf(" \"+ Ours\" gives a baseline the %.0f %% most confident pseudo labels of the pool as labels (the paper: 10K of 50K).", 100*r.Config.PseudoShare)
	}
	ref := "† the paper's Table 3 (CIFAR-10; Mean Teacher from Oliver et al.'s benchmark code, ours with 200K iterations)."
	if r.Table == 4 {
		ref = "† the paper's Table 4 (CIFAR-10, WRN-28-2; the baselines from Oliver et al.'s benchmark code)."
	}
	return fmt.Sprintf("Our method: instance discrimination + spectral propagation, a classifier on labels and confidence-weighted pseudo labels (Eq. 10). "+
		"Baselines: train.FitSSL with the benchmark's settings (every unlabeled pool image as unlabeled data; VAT ε %g and input noise σ %g, the benchmark's 6 and 0.15 for whitened images scaled to pixels in [0, 1]), "+
		"the classifiers' network, optimiser and steps as ours, each step's batch half labeled, half unlabeled.%s %s %s %s",
		r.Config.SSL.VATEpsilon, r.Config.SSL.InputNoise, given, t2.settings(), ref, r.Provenance)
}

// Figure draws the test accuracy against the number of labels: each computed row solid, the
// paper's in the same colour dashed.
func (r *SSLResult) Figure() (*plot.Plot, error) {
	labels := r.Config.Labels
	series := report.OursAndPaper(r.Config.Methods, labels, func(row SSLRow) string {
		if r.Table == 3 {
			return SSLMethodName(row) + ", " + r.netName(row)
		}
		return SSLMethodName(row)
	}, ", paper", func(row SSLRow, col int) (float64, bool) { return r.Cell(row, labels[col]).accuracy() },
		func(row SSLRow, col int) (float64, bool) { return r.paper(row, labels[col]) })
	return report.VsLabelsPlot(fmt.Sprintf("Table %d: test accuracy (scale %s)", r.Table, r.Config.Scale), "test accuracy (%)", series)
}

// Publish writes the result and its figure (see Result).
func (r *SSLResult) Publish(dir, suffix string) (string, error) {
	return pipeline.Publish(dir, fmt.Sprintf("table%d-%s%s", r.Table, r.Config.Scale, suffix), r, pipeline.Plots{"": r.Figure})
}
