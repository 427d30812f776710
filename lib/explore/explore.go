// Package explore measures label propagation on a reader's own features at the knobs a
// notebook's sliders set (notebooks/explore.ipynb): labels per class, the method, η, the kNN
// graph's k and σ. Each call propagates afresh, which takes seconds on 50,000 rows, so the
// accuracy, the mAP and Figure 3's curve follow the sliders as they move.
package explore

import (
	"fmt"
	"strings"
	"time"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/featio"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
)

// Features are the rows that labels propagate over, with every row's true class, which draws
// the labels and scores the pseudo labels.
type Features struct {
	X       propagate.Matrix
	Truth   []int32
	Classes int
	// Source says where the features come from, for the figures.
	Source string
}

// Load reads features from source: the folder of a released metric (package release: its
// train split's features and labels), or "x.npy,labels.csv", an N×D float .npy and a CSV with
// the header index,label that gives every row's class.
func Load(source string) (*Features, error) {
	if npy, csv, ok := strings.Cut(source, ","); ok {
		return fromFiles(npy, csv)
	}
	rel, err := release.Open(source)
	if err != nil {
		return nil, fmt.Errorf("explore: %s is neither x.npy,labels.csv nor a released metric: %w", source, err)
	}
	x, truth, err := rel.Features("train")
	if err != nil {
		return nil, err
	}
	return New(x, truth, "released "+rel.Info.Name)
}

// fromFiles is Load of "x.npy,labels.csv".
func fromFiles(npy, csv string) (*Features, error) {
	x, err := featio.ReadNPYFile(npy)
	if err != nil {
		return nil, err
	}
	l, err := featio.ReadLabelsCSVFile(csv)
	if err != nil {
		return nil, err
	}
	if l.Len() != x.N {
		return nil, fmt.Errorf("explore: %s labels %d rows of the %d in %s; exploring needs every row's class", csv, l.Len(), x.N, npy)
	}
	truth := make([]int32, x.N)
	for t, i := range l.Index {
		if i >= x.N {
			return nil, fmt.Errorf("explore: %s line %d: row %d, but %s has %d", csv, l.Line[t], i, npy, x.N)
		}
		truth[i] = l.Class[t]
	}
	return New(x, truth, npy)
}

// New checks features x of N rows against their true classes truth (0 to C−1, each class
// present) and names them source.
func New(x propagate.Matrix, truth []int32, source string) (*Features, error) {
	if x.N == 0 || x.D == 0 || len(x.Data) != x.N*x.D {
		return nil, fmt.Errorf("explore: %s holds %d values for %d×%d features", source, len(x.Data), x.N, x.D)
	}
	if len(truth) != x.N {
		return nil, fmt.Errorf("explore: %s: %d classes for %d rows", source, len(truth), x.N)
	}
	classes := 0
	for i, c := range truth {
		if c < 0 {
			return nil, fmt.Errorf("explore: %s: row %d has class %d", source, i, c)
		}
		classes = max(classes, int(c)+1)
	}
	return &Features{X: x, Truth: truth, Classes: classes, Source: source}, nil
}

// Knobs are what the sliders set.
type Knobs struct {
	// PerClass is the number of labels of each class, drawn class-balanced with Seed (nested:
	// more labels keep the fewer ones).
	PerClass int
	Method   propagate.Method
	// Eta is η of Eq. 6, K the kNN graph's size and Sigma σ of Eq. 8 (propagate.Config's Eta,
	// GraphK and ConfidenceScale).
	Eta   int
	K     int
	Sigma float64
	Seed  int64
}

// DefaultKnobs are the paper's settings (propagate.DefaultConfig) with 10 labels per class.
func DefaultKnobs() Knobs {
	c := propagate.DefaultConfig(propagate.Spectral)
	return Knobs{PerClass: 10, Method: propagate.Spectral, Eta: c.Eta, K: c.GraphK, Sigma: c.ConfidenceScale}
}

// Outcome is one propagation at a setting of the knobs, scored on the unlabeled rows.
type Outcome struct {
	Knobs Knobs
	// Labeled is the number of labels drawn.
	Labeled int
	// Accuracy and MAP score the pseudo labels of the unlabeled rows; Curve is Figure 3's
	// accumulated accuracy at every percent of them, most confident first.
	Accuracy, MAP float64
	Curve         []float64
	Seconds       float64
}

// Evaluate draws k.PerClass labels of each class, propagates them over f by k.Method, and
// scores the pseudo labels of the other rows.
func Evaluate(f *Features, k Knobs) (*Outcome, error) {
	start := time.Now()
	labeled, err := data.SampleLabeled(f.Truth, f.Classes, k.PerClass*f.Classes, k.Seed)
	if err != nil {
		return nil, fmt.Errorf("explore: %d labels per class: %w", k.PerClass, err)
	}
	cfg := propagate.DefaultConfig(k.Method)
	cfg.Eta, cfg.GraphK, cfg.ConfidenceScale = k.Eta, k.K, k.Sigma
	res, err := propagate.Run(f.X, labeled, pipeline.Pick(f.Truth, labeled), f.Classes, cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("explore: %w", err)
	}
	s := pipeline.ScorePropagation(k.Method, res, f.Truth, labeled)
	return &Outcome{Knobs: k, Labeled: len(labeled), Accuracy: s.Accuracy, MAP: s.MAP,
		Curve: propagate.Percentiles(s.Accumulated), Seconds: time.Since(start).Seconds()}, nil
}

// Name says an outcome's knobs, for a figure's legend.
func (o *Outcome) Name() string {
	k := o.Knobs
	return fmt.Sprintf("%s, %d/class, η %d, k %d, σ %g", k.Method, k.PerClass, k.Eta, k.K, k.Sigma)
}

// Figure draws the outcomes' Figure 3 curves on the features of f.
func Figure(f *Features, outcomes ...*Outcome) (*plot.Plot, error) {
	var curves []report.Curve
	for _, o := range outcomes {
		curves = append(curves, report.Curve{Name: o.Name(), Accuracy: o.Curve})
	}
	return report.AccumulatedAccuracyPlot("Figure 3 on "+f.Source, curves)
}
