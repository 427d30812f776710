package repro

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// The paper's numbers nearest to the quickstart, for orientation only: CIFAR-10 with 100
// labels, instance-discrimination metric, WRN-28-2 (paper, Tables 1 and 2). The quickstart runs
// Fashion-MNIST with a small Conv-4 and CPU budgets, so they are not expected to match.
var (
	// PaperQuickstartAccuracy is Table 2's test accuracy (%) at 100 labels: no metric and no
	// propagation, then the instance metric with NN and with spectral propagation.
	PaperQuickstartAccuracy = map[string]float64{LabelsOnly: 25.35, string(propagate.NearestNeighbour): 54.45, string(propagate.Spectral): 63.53}
	// PaperQuickstartMAP is Table 1's pseudo-label mAP (%) at 100 labels, instance metric.
	PaperQuickstartMAP = map[string]float64{string(propagate.NearestNeighbour): 62.99, string(propagate.Spectral): 79.21}
)

// QuickstartResult is every stage's outcome of one quickstart run.
type QuickstartResult struct {
	Provenance  Provenance                    `json:"provenance"`
	Config      QuickstartConfig              `json:"config"`
	Metric      Timed                         `json:"metric"`
	Propagation map[string]*PropagationResult `json:"propagation"`
	Classifiers []*ClassifierResult           `json:"classifiers"`
}

// Run runs (or reads from the cache) every stage: the metric, both propagations and the three
// classifiers, and records provenance with command as the way to reproduce it.
func (q *Quickstart) Run(command string) (*QuickstartResult, error) {
	start := time.Now()
	f, err := q.Features()
	if err != nil {
		return nil, err
	}
	res := &QuickstartResult{Config: q.Config, Metric: f.Timed, Propagation: map[string]*PropagationResult{}}
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
	res.Provenance = NewProvenance(q.backend.Name(), q.Config.Scale, time.Since(start).Seconds(), command)
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
func (r *QuickstartResult) AccuracyRows() (header []string, rows [][]string) {
	header = []string{"classifier trained on", "pseudo-label acc. %", "pseudo-label mAP %", "test acc. %",
		"paper mAP % †", "paper test acc. % †", "train s", "examples"}
	for _, c := range r.Classifiers {
		acc, mAP, paperMAP := "—", "—", "—"
		if p := r.Propagation[c.Variant]; p != nil {
			acc, mAP = fmt.Sprintf("%.2f", 100*p.Accuracy), fmt.Sprintf("%.2f", 100*p.MAP)
			paperMAP = fmt.Sprintf("%.2f", PaperQuickstartMAP[c.Variant])
		}
		rows = append(rows, []string{variantName(c.Variant), acc, mAP, fmt.Sprintf("%.2f", 100*c.Accuracy),
			paperMAP, fmt.Sprintf("%.2f", PaperQuickstartAccuracy[c.Variant]), fmt.Sprintf("%.0f", c.Seconds), fmt.Sprint(c.Examples)})
	}
	return header, rows
}

// Note is the table's footnote: the setting, the paper's reference and the provenance.
func (r *QuickstartResult) Note() string {
	c := r.Config
	return fmt.Sprintf("%s, %d labels, pool of %d unlabeled images, Conv-4 (%d channels); metric %d steps, classifiers %d steps. "+
		"† the paper's numbers (CIFAR-10, 100 labels, instance metric, WRN-28-2; Tables 1–2), for orientation only. %s",
		c.Dataset, c.Labels, c.Pool, c.Metric.Channels, c.Metric.Steps, c.Classifier.Steps, r.Provenance)
}

// Publish writes the result as JSON to dir/quickstart-<scale>.json and returns the path. The
// per-image pseudo labels are left out and each accumulated-accuracy curve is kept at 101
// points (every percent of the unlabeled pool), so the file stays small enough to commit.
func (r *QuickstartResult) Publish(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := *r
	out.Propagation = map[string]*PropagationResult{}
	for m, p := range r.Propagation {
		q := *p
		q.Labels, q.Confidence, q.Accumulated = nil, nil, Percentiles(p.Accumulated)
		out.Propagation[m] = &q
	}
	path := filepath.Join(dir, "quickstart-"+r.Config.Scale+".json")
	return path, artifact.WriteJSON(path, out)
}

// Percentiles samples a curve over a sorted population at 0 %, 1 %, …, 100 % of its length
// (the value at p % is that of the first max(1, ⌈p·n/100⌉) elements).
func Percentiles(curve []float64) []float64 {
	if len(curve) == 0 {
		return nil
	}
	out := make([]float64, 101)
	for p := range out {
		k := max(1, (p*len(curve)+99)/100)
		out[p] = curve[k-1]
	}
	return out
}
