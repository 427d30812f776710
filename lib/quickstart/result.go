package quickstart

import (
	"fmt"
	"strings"

	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
)

// The paper's numbers nearest to the quickstart, for orientation only: CIFAR-10 with 100
// labels, instance-discrimination metric, WRN-28-2 (paper, Tables 1 and 2). The quickstart runs
// Fashion-MNIST with a small Conv-4 and CPU budgets, so they are not expected to match.
var (
	// PaperAccuracy is Table 2's test accuracy (%) at 100 labels: no metric and no
	// propagation, then the instance metric with NN and with spectral propagation.
	PaperAccuracy = map[string]float64{LabelsOnly: 25.35, string(propagate.NearestNeighbour): 54.45, string(propagate.Spectral): 63.53}
	// PaperMAP is Table 1's pseudo-label mAP (%) at 100 labels, instance metric.
	PaperMAP = map[string]float64{string(propagate.NearestNeighbour): 62.99, string(propagate.Spectral): 79.21}
)

// Result is every stage's outcome of one quickstart run.
type Result struct {
	pipeline.RunInfo
	Config      Config                                 `json:"config"`
	Metric      pipeline.Timed                         `json:"metric"`
	Quality     *QualityResult                         `json:"metric_quality"`
	Propagation map[string]*pipeline.PropagationResult `json:"propagation"`
	Classifiers []*ClassifierResult                    `json:"classifiers"`
}

// Run runs (or reads from the cache) every stage: the metric, both propagations and the three
// classifiers.
func (q *Stages) Run() (*Result, error) {
	f, err := q.Features()
	if err != nil {
		return nil, err
	}
	res := &Result{Config: q.Config, Metric: f.Timed, Propagation: map[string]*pipeline.PropagationResult{}}
	if res.Quality, err = q.Quality(f); err != nil {
		return nil, err
	}
	c, err := q.Classifier(nil)
	if err != nil {
		return nil, err
	}
	res.Classifiers = append(res.Classifiers, c)
	for _, m := range []propagate.Method{propagate.NearestNeighbour, propagate.Spectral} {
		p, err := q.Propagate(f, m)
		if err != nil {
			return nil, err
		}
		res.Propagation[string(m)] = p
		c, err := q.Classifier(p)
		if err != nil {
			return nil, err
		}
		res.Classifiers = append(res.Classifiers, c)
	}
	res.RunInfo = q.r.Info()
	return res, nil
}

// variantName is how tables name a classifier variant.
func variantName(v string) string {
	switch v {
	case LabelsOnly:
		return "(a) labels only"
	case string(propagate.NearestNeighbour):
		return "(b) NN propagation (Eq. 5)"
	case string(propagate.Spectral):
		return "(c) spectral propagation (Eq. 6)"
	}
	return v
}

// AccuracyRows returns the quickstart's table: per classifier variant, the pseudo-label
// accuracy and mAP of its propagation, the test accuracy, the paper's nearest numbers, and the
// stage times.
func (r *Result) AccuracyRows() (header []string, rows [][]string) {
	header = []string{"classifier trained on", "pseudo-label acc. %", "pseudo-label mAP %", "test acc. %",
		"paper mAP % †", "paper test acc. % †", "train s", "examples"}
	for _, c := range r.Classifiers {
		acc, mAP, paperMAP := "—", "—", "—"
		if p := r.Propagation[c.Variant]; p != nil {
			acc, mAP = fmt.Sprintf("%.2f", 100*p.Accuracy), fmt.Sprintf("%.2f", 100*p.MAP)
			paperMAP = fmt.Sprintf("%.2f", PaperMAP[c.Variant])
		}
		rows = append(rows, []string{variantName(c.Variant), acc, mAP, fmt.Sprintf("%.2f", 100*c.Accuracy),
			paperMAP, fmt.Sprintf("%.2f", PaperAccuracy[c.Variant]), fmt.Sprintf("%.0f", c.Seconds), fmt.Sprint(c.Examples)})
	}
	return header, rows
}

// Note is the table's footnote: the setting, the paper's reference and the provenance.
func (r *Result) Note() string {
	c := r.Config
	return fmt.Sprintf("%s, %d labels, pool of %d unlabeled images; metric: %s; classifiers: Conv-4 with %d channels, %d steps. "+
		"† the paper's numbers (CIFAR-10, 100 labels, instance metric, WRN-28-2; Tables 1–2), for orientation only. %s",
		c.Dataset, c.Labels, c.Pool, MetricSource(c), c.Classifier.Channels, c.Classifier.Steps, r.Provenance)
}

// Figure3 draws the paper's Figure 3 for this Run: the accumulated accuracy of each
// propagation's pseudo labels over the unlabeled pool sorted by confidence.
func (r *Result) Figure3() (*plot.Plot, error) {
	var curves []report.Curve
	for _, m := range []propagate.Method{propagate.NearestNeighbour, propagate.Spectral} {
		if p := r.Propagation[string(m)]; p != nil {
			curves = append(curves, report.Curve{Name: variantName(string(m)), Accuracy: p.Accumulated})
		}
	}
	return report.AccumulatedAccuracyPlot(fmt.Sprintf("Figure 3: %s, %d labels (scale %s)", r.Config.Dataset, r.Config.Labels, r.Config.Scale), curves)
}

// Publish writes the result as JSON to dir/quickstart-<scale><suffix>.json, with its
// provenance, and its Figure 3 as dir/quickstart-<scale><suffix>-figure3.png, and returns the
// JSON's path. The per-image pseudo labels are left out and each accumulated-accuracy curve is
// kept at 101 points (every percent of the unlabeled pool), so the file stays small enough to
// commit.
func (r *Result) Publish(dir, suffix string) (string, error) {
	out := *r
	out.Propagation = map[string]*pipeline.PropagationResult{}
	for m, p := range r.Propagation {
		q := *p
		q.Labels, q.Confidence, q.Accumulated = nil, nil, propagate.Percentiles(p.Accumulated)
		out.Propagation[m] = &q
	}
	return pipeline.Publish(dir, "quickstart-"+r.Config.Scale+suffix, out, pipeline.Plots{"-figure3": r.Figure3})
}

// Findings compares the rows of this run in a few sentences, computed from its numbers: the two
// propagations against each other, and each classifier against the labels-only one.
func (r *Result) Findings() string {
	acc := map[string]float64{}
	for _, c := range r.Classifiers {
		acc[c.Variant] = 100 * c.Accuracy
	}
	nn, sp := r.Propagation[string(propagate.NearestNeighbour)], r.Propagation[string(propagate.Spectral)]
	if nn == nil || sp == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Spectral propagation's pseudo labels are %s than nearest-neighbour voting's (%.2f %% against %.2f %% right, mAP %.2f %% against %.2f %%). ",
		signedPoints(100*(sp.Accuracy-nn.Accuracy), "more accurate", "less accurate"), 100*sp.Accuracy, 100*nn.Accuracy, 100*sp.MAP, 100*nn.MAP)
	a := acc[LabelsOnly]
	fmt.Fprintf(&b, "Against the classifier trained on the %d labels alone (%.2f %%), the NN pseudo labels give %s and the spectral ones %s. ",
		r.Config.Labels, a, signedPoints(acc[string(propagate.NearestNeighbour)]-a, "more", "less"),
		signedPoints(acc[string(propagate.Spectral)]-a, "more", "less"))
	if q := r.Quality; q != nil {
		rel := "above"
		if q.Learned < q.Pixels {
			rel = "below"
		}
		fmt.Fprintf(&b, "The learned metric's leave-one-out %d-NN accuracy on the pool is %.2f %%, %s the %.2f %% of raw pixels", q.K, 100*q.Learned, rel, 100*q.Pixels)
		if max(acc[string(propagate.NearestNeighbour)], acc[string(propagate.Spectral)]) < a {
			b.WriteString(": at this budget the pseudo labels are too noisy to help, and a longer metric run (cfg.Metric.Steps) is the first knob to turn")
		}
		b.WriteString(".")
	}
	return b.String()
}

// signedPoints says "3.20 points more" or "1.05 points less" for a difference in points.
func signedPoints(d float64, more, less string) string {
	if d < 0 {
		return fmt.Sprintf("%.2f points %s", -d, less)
	}
	return fmt.Sprintf("%.2f points %s", d, more)
}

// MetricSource says where the quickstart's metric comes from: the released metric it transfers
// (its name, network and training), or the pretraining it runs here.
func MetricSource(c Config) string {
	if dir := c.Released; dir != "" {
		r, err := release.Open(dir)
		if err != nil {
			return fmt.Sprintf("released, from %s (unreadable: %v)", dir, err)
		}
		i := r.Info
		return fmt.Sprintf("released %s (%s, %s with %d channels, %.4g epochs on %s)", i.Name, i.Metric.Method, i.Metric.Net,
			i.Metric.Channels, i.Epochs, i.TrainingDevice())
	}
	return fmt.Sprintf("trained here (instance discrimination, Conv-4 with %d channels, %d steps)", c.Metric.Channels, c.Metric.Steps)
}
