package pipeline

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// NoMetric is the metric of a Scratch row (the paper's "No" rows): a classifier trained from
// scratch.
const NoMetric = "none"

// Transfer is how a row carries its metric over to the classifier.
type Transfer string

// The transfers of the tables (Tables 2, 5 and 6, and our rows of Tables 3 and 4).
const (
	// Scratch is no metric: the classifier trains on the labels alone (the paper's "No + No").
	Scratch Transfer = "scratch"
	// Finetune starts the classifier from the metric's network and trains it on the labels
	// alone (train.Init; the paper's "metric + No", Table 6's "Network finetuning").
	Finetune Transfer = "finetune"
	// NN and Spectral propagate the labels in the metric (Eq. 5 and Eq. 6) and train the
	// classifier on the labels and the confidence-weighted pseudo labels (Eq. 10).
	NN       Transfer = Transfer(propagate.NearestNeighbour)
	Spectral Transfer = Transfer(propagate.Spectral)
)

// Propagates says whether the transfer propagates labels.
func (t Transfer) Propagates() bool { return t == NN || t == Spectral }

// LegacyTransfer is the transfer of a row or cell written when rows named a propagation
// method instead: "none" was Scratch without a metric and Finetune with one.
func LegacyTransfer(metricName, propagation string) Transfer {
	switch {
	case propagation != "none":
		return Transfer(propagation)
	case metricName == NoMetric:
		return Scratch
	}
	return Finetune
}

// Cell is one cell of Table 2: its classifier (Timed is its training and evaluation).
type Cell struct {
	Classified
	Metric   string   `json:"metric"`
	Transfer Transfer `json:"transfer"`
	Labels   int      `json:"labels"`
	// PseudoAccuracy and PseudoMAP measure the pseudo labels on the unlabeled pool (Table 1's
	// numbers for this cell); PropagationSeconds is the propagation's time.
	PseudoAccuracy     float64 `json:"pseudo_accuracy,omitempty"`
	PseudoMAP          float64 `json:"pseudo_map,omitempty"`
	PropagationSeconds float64 `json:"propagation_seconds,omitempty"`
}

// UnmarshalJSON reads a cell, also as results written before cells named their transfer wrote it.
func (c *Cell) UnmarshalJSON(b []byte) error {
	type plain Cell
	var v struct {
		plain
		Propagation string `json:"propagation"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Cell(v.plain)
	c.Transfer = cmp.Or(c.Transfer, LegacyTransfer(c.Metric, v.Propagation))
	return nil
}

// TransferRun is a run of a table whose cells train a classifier on a pool's labels, with a
// metric carried over by finetuning its network or by propagating the labels in it: Tables 2,
// 5 and 6, and our rows of Tables 3 and 4. P is the table's entry in its list of metrics.
type TransferRun[P Listed] struct {
	*Run
	// Pool is the unlabeled set with its label subsets, Test the split the classifiers are
	// measured on.
	Pool *Pool
	Test *Split
	// NN and Spectral configure the two propagations (Eq. 5 and Eq. 6).
	NN, Spectral propagate.Config
	// Metric returns a row's metric at a label count: its network (nil for a released metric,
	// which finetuning rows, asking with net set, never get) and its features of the pool, with
	// its entry in the table's list of metrics. The table sets it.
	Metric func(name string, labels int, net bool) (*RowMetric[P], error)
	// metrics are the metrics asked for so far, in the order they were first asked for.
	metrics map[string]*RowMetric[P]
	order   []*RowMetric[P]
}

// NewTransferRun returns a transfer table's run r on the pool and the test split, its metrics
// to be set (TransferRun.Metric).
func NewTransferRun[P Listed](r *Run, pool *Pool, test *Split, nn, spectral propagate.Config) *TransferRun[P] {
	return &TransferRun[P]{Run: r, Pool: pool, Test: test, NN: nn, Spectral: spectral, metrics: map[string]*RowMetric[P]{}}
}

// OpenTransfer starts a transfer table's run on a pool of pool images of the training split of
// dataset and a test sample of test images, both drawn with seed, with the label counts labels.
func OpenTransfer[P Listed](e Env, what, scale, dataset string, pool, test int, seed int64, labels []int, nn, spectral propagate.Config) (*TransferRun[P], error) {
	r, err := e.Open(what, scale)
	if err != nil {
		return nil, err
	}
	train, err := r.Load(dataset, "train", 0, seed)
	if err != nil {
		return nil, err
	}
	t, err := r.Load(dataset, "test", test, seed)
	if err != nil {
		return nil, fmt.Errorf("%s: test split: %w", what, err)
	}
	p, err := DrawPool(train, pool, seed, labels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return NewTransferRun[P](r, p, t, nn, spectral), nil
}

// RowMetric is a metric as the cells of a transfer table use it, with its entry (of type P) in
// the table's list of metrics.
type RowMetric[P Listed] struct {
	Net      *TrainedMetric // nil for a released metric
	Features *FeaturesResult
	Entry    *P
}

// Listed is an entry of a table's list of metrics: ID tells the metrics apart.
type Listed interface{ ID() string }

// MetricAt returns t.Metric(name, labels, net), computed once per run.
func (t *TransferRun[P]) MetricAt(name string, labels int, net bool) (*RowMetric[P], error) {
	id := fmt.Sprintf("%s/%d/%t", name, labels, net)
	if m := t.metrics[id]; m != nil {
		return m, nil
	}
	m, err := t.Metric(name, labels, net)
	if err != nil {
		return nil, err
	}
	t.metrics[id] = m
	if !slices.ContainsFunc(t.order, func(o *RowMetric[P]) bool { return (*o.Entry).ID() == (*m.Entry).ID() }) {
		t.order = append(t.order, m)
	}
	return m, nil
}

// Pretrained is the table's list of metrics so far.
func (t *TransferRun[P]) Pretrained() []P {
	out := make([]P, len(t.order))
	for i, m := range t.order {
		out[i] = *m.Entry
	}
	return out
}

// Cell computes the cell of a row, a metric and its transfer, at a label count, its classifier
// trained with cc.
func (t *TransferRun[P]) Cell(metricName string, transfer Transfer, labels int, cc train.Config, tag string) (*Cell, error) {
	cell := &Cell{Metric: metricName, Transfer: transfer, Labels: labels}
	var prop *PropagationResult
	var init *TrainedMetric
	if transfer != Scratch {
		m, err := t.MetricAt(metricName, labels, transfer == Finetune)
		if err != nil {
			return nil, err
		}
		if transfer == Finetune {
			if init = m.Net; init == nil {
				return nil, t.Errorf(tag, errors.New("finetuning needs the metric's network, and a released metric has only features"))
			}
		} else {
			pc := t.NN
			if transfer == Spectral {
				pc = t.Spectral
			}
			pc.Method = propagate.Method(transfer)
			if prop, err = t.Propagate(m.Features, t.Pool, labels, pc, tag); err != nil {
				return nil, err
			}
			cell.PseudoAccuracy, cell.PseudoMAP, cell.PropagationSeconds = prop.Accuracy, prop.MAP, prop.Seconds
		}
	}
	c, err := t.Classify(cc, t.Pool, labels, prop, init, t.Test, tag)
	if err != nil {
		return nil, err
	}
	cell.Classified = *c
	return cell, nil
}

// BudgetShare is the time budget of the next classifier under a run-wide budget of seconds
// (0: none), with elapsed seconds spent, left classifiers still to train (this one included)
// and props propagations still to run after this one's: an equal share of what is left, less
// 15 s per propagation and 25 s for each classifier's batch-norm statistics and evaluation, and
// at least 10 s.
func BudgetShare(seconds, elapsed float64, left, props int) float64 {
	if seconds <= 0 {
		return 0
	}
	return max(10, (seconds-elapsed-15*float64(props))/float64(left)-25)
}

// Bounded returns cc with its time budget capped at share (0: none) and its steps sized from
// the rate of images per second (ClassifierSteps).
func Bounded(cc train.Config, share, rate float64) train.Config {
	if share > 0 && (cc.Seconds == 0 || share < cc.Seconds) {
		cc.Seconds = share
	}
	cc.Steps = ClassifierSteps(cc, rate)
	return cc
}
