package repro

import (
	"fmt"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
)

// Table1Pretrained is one metric pretraining of Table 1 and its embedding of the pool.
type Table1Pretrained struct {
	pipeline.Timed
	Metric string `json:"metric"`
	// Labels is the label count bootstrapping trained on; 0 for a metric trained without labels.
	Labels int `json:"labels"`
	N      int `json:"n"`
	D      int `json:"d"`
	// Released names the released metric whose features were used instead of a pretraining
	// here (Table1Config.Released); empty when the metric was trained here.
	Released string `json:"released,omitempty"`
}

// Table1Cell is one cell of Table 1: the pseudo labels of a metric, a propagation method and
// a label count, measured on the unlabeled part of the pool. Timed is the propagation's.
type Table1Cell struct {
	pipeline.Timed
	Metric      string           `json:"metric"`
	Propagation propagate.Method `json:"propagation"`
	Labels      int              `json:"labels"`
	// Accuracy is the fraction of unlabeled pool images whose pseudo label is right.
	Accuracy float64 `json:"accuracy"`
	// MAP is the mean average precision of the pseudo labels sorted by confidence, the
	// number Table 1 reports (a fraction; the paper prints %).
	MAP float64 `json:"map"`
	// Accumulated is Figure 3's curve at every percent of the unlabeled pool (Percentiles).
	Accumulated []float64 `json:"accumulated"`
}

// Table1Result is Table 1 as this run computed it.
type Table1Result struct {
	pipeline.RunInfo
	Config     Table1Config       `json:"config"`
	Pretrained []Table1Pretrained `json:"pretrained"`
	Cells      []Table1Cell       `json:"cells"`
}

// Table1MetricName is how Table 1 names a metric pretraining, with the paper's citation.
func Table1MetricName(m string) string {
	switch m {
	case metric.MethodBootstrap:
		return "Bootstrapping"
	case metric.MethodColor:
		return "Colorization [44]"
	case metric.MethodInstance:
		return "Instance [41]"
	}
	return m
}

// table1MethodName is how Table 1 names a propagation method.
func table1MethodName(m propagate.Method) string {
	if m == propagate.NearestNeighbour {
		return "Nearest neighbor"
	}
	return "Spectral"
}

// Cell returns the cell of a metric, a propagation method and a label count, or nil.
func (r *Table1Result) Cell(metricName string, method propagate.Method, labels int) *Table1Cell {
	for i, c := range r.Cells {
		if c.Metric == metricName && c.Propagation == method && c.Labels == labels {
			return &r.Cells[i]
		}
	}
	return nil
}

// BesidePaper returns the table of every cell beside the paper's: the paper's mAP, ours, the
// difference in points, and our pseudo-label accuracy and propagation time.
func (r *Table1Result) BesidePaper() (header []string, rows [][]string) {
	header = []string{"metric pretraining", "propagation", "labels", "paper mAP % †", "ours mAP %", "Δ points",
		"ours accuracy %", "propagation s"}
	for _, c := range r.Cells {
		p, ok := Table1PaperMAP(c.Metric, c.Propagation, c.Labels)
		paper, delta := vsPaper(p, ok, c.MAP)
		rows = append(rows, []string{r.metricName(c.Metric), table1MethodName(c.Propagation), fmt.Sprint(c.Labels),
			paper, pct(c.MAP), delta, pct(c.Accuracy), fmt.Sprintf("%.1f", c.Seconds)})
	}
	return header, rows
}

// Note is the table's footnote: the setting, the paper's and the provenance.
func (r *Table1Result) Note() string {
	c := r.Config
	pool := "the whole training split"
	if len(r.Pretrained) > 0 {
		pool = fmt.Sprintf("%d training images", r.Pretrained[0].N)
	}
	in, boot := c.Metrics[metric.MethodInstance], c.Metrics[metric.MethodBootstrap]
	released, trainedHere := "", false
	for _, m := range c.metrics() {
		if name := r.releasedName(m); name != "" {
			released += fmt.Sprintf(" %s: the released metric %s (its features, trained elsewhere);", Table1MetricName(m), name)
		} else {
			trainedHere = true
		}
	}
	metrics := "metrics:" + released
	if trainedHere {
		metrics = fmt.Sprintf("metrics trained here: %s with %d channels, %d steps of %d (bootstrapping: %d steps on the labels of its column);%s",
			in.Net, in.Channels, in.Steps, in.BatchSize, boot.Steps, released)
	}
	return fmt.Sprintf("%s (JPEG copy), pool of %s; %s "+
		"spectral η = %d, kNN graph k = %d; seed %d. mAP: the mean accuracy of the unlabeled pseudo labels sorted by confidence. "+
		"† the paper's Table 1 (WRN-28-2 metrics, GPU budgets). %s",
		c.Dataset, pool, metrics, c.Spectral.Eta, c.Spectral.GraphK, c.Seed, r.Provenance)
}

// releasedName is the release metric m came from, "" when it was trained here.
func (r *Table1Result) releasedName(m string) string {
	for _, p := range r.Pretrained {
		if p.Metric == m && p.Released != "" {
			return p.Released
		}
	}
	return ""
}

// metricName is Table1MetricName of m, with the release it came from when it was released.
func (r *Table1Result) metricName(m string) string {
	if name := r.releasedName(m); name != "" {
		return fmt.Sprintf("%s (released %s)", Table1MetricName(m), name)
	}
	return Table1MetricName(m)
}

// Figure draws the mAP against the number of labels for one propagation method: each metric
// as a solid line, and the paper's as a dashed line of the same colour.
func (r *Table1Result) Figure(method propagate.Method) (*plot.Plot, error) {
	labels := r.Config.Labels
	series := report.OursAndPaper(r.Config.metrics(), labels, r.metricName, ", paper", func(m string, col int) (float64, bool) {
		if c := r.Cell(m, method, labels[col]); c != nil {
			return c.MAP, true
		}
		return 0, false
	}, func(m string, col int) (float64, bool) { return Table1PaperMAP(m, method, labels[col]) })
	return report.VsLabelsPlot(fmt.Sprintf("Table 1: pseudo-label mAP, %s propagation (scale %s)", table1MethodName(method), r.Config.Scale),
		"pseudo-label mAP (%)", series)
}

// Publish writes the result and its figures, one per propagation method, each
// table1-<scale><suffix>-<method>.png (see Result).
func (r *Table1Result) Publish(dir, suffix string) (string, error) {
	figures := pipeline.Plots{}
	for _, m := range Table1Propagations {
		figures["-"+string(m)] = func() (*plot.Plot, error) { return r.Figure(m) }
	}
	return pipeline.Publish(dir, "table1-"+r.Config.Scale+suffix, r, figures)
}
