package fewshot

import (
	"fmt"
	"time"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// Finetuner trains an episode's classifier on examples (support and weighted pseudo labels,
// episode labels in [0, len(ep.Classes))) and returns its prediction for every query of ep.
type Finetuner func(ep *Episode, examples []Example) ([]int32, error)

// HeadFinetuner finetunes a linear softmax head on the frozen features x (TrainHead).
func HeadFinetuner(x propagate.Matrix, cfg HeadConfig) Finetuner {
	return func(ep *Episode, examples []Example) ([]int32, error) {
		h, err := TrainHead(x, examples, len(ep.Classes), cfg)
		if err != nil {
			return nil, err
		}
		return h.Predict(x, ep.Query)
	}
}

// Result is a method's accuracy over the episodes.
type Result struct {
	// Accuracy is the query accuracy of every episode, in episode order.
	Accuracy []float64 `json:"accuracy"`
	Interval
	// PseudoAccuracy is the mean over episodes of the accuracy of the pool's pseudo labels on
	// the rows of the episode's classes (Pseudo.Accuracy); Examples the mean number of
	// training examples kept (support and pseudo labels with α ≥ the minimum weight). Both are
	// 0 for a method without propagation.
	PseudoAccuracy float64 `json:"pseudo_accuracy,omitempty"`
	Examples       float64 `json:"examples,omitempty"`
	Seconds        float64 `json:"seconds"`
}

// Progress receives (stage, done, total) as episodes finish.
type Progress func(stage string, done, total int)

// normalized returns a unit-row copy of x, with an error naming a row that has none.
func normalized(x propagate.Matrix) (propagate.Matrix, error) {
	xn, err := propagate.Normalize(x)
	if err != nil {
		return xn, fmt.Errorf("fewshot features: %w", err)
	}
	return xn, nil
}

// EvaluateNN runs the SNCA baseline (NearestNeighbour with temperature) on the episodes of cfg
// drawn from s; x holds one feature row per row of s (normalised here, a copy).
func EvaluateNN(x propagate.Matrix, s *Split, cfg EpisodeConfig, temperature float64, progress Progress) (*Result, error) {
	return evaluate(x, s, cfg, "nearest neighbour", progress, func(xn propagate.Matrix, ep *Episode) ([]int32, error) {
		return NearestNeighbour(xn, ep.Support, ep.SupportLabels, len(ep.Classes), ep.Query, temperature)
	})
}

// EvaluatePropagation runs ours on the episodes of cfg drawn from s: the support labels are
// propagated over the pool by pc (Propagator), pseudo labels with α < minWeight dropped, and
// finetune (made by newFinetuner from the normalised features, e.g. HeadFinetuner's closure)
// classifies the queries after training on support and pseudo labels (Eq. 10).
func EvaluatePropagation(x propagate.Matrix, s *Split, cfg EpisodeConfig, pc propagate.Config, minWeight float64,
	newFinetuner func(xn propagate.Matrix) Finetuner, progress Progress) (*Result, error) {
	if len(x.Data) != x.N*x.D || x.N != len(s.Labels) {
		return nil, fmt.Errorf("fewshot: features have %d rows (%d values of width %d), the split %d", x.N, len(x.Data), x.D, len(s.Labels))
	}
	var prop *Propagator
	var finetune Finetuner
	var pseudoSum, examplesSum float64
	res, err := evaluate(x, s, cfg, "propagation", progress, func(xn propagate.Matrix, ep *Episode) ([]int32, error) {
		if prop == nil {
			var err error
			if prop, err = NewPropagator(xn, s.Pool(), cfg.Ways*cfg.Shots, pc); err != nil {
				return nil, err
			}
			finetune = newFinetuner(xn)
		}
		ps, err := prop.Propagate(ep, nil)
		if err != nil {
			return nil, err
		}
		ex := ps.Examples(ep, minWeight)
		pseudoSum += ps.Accuracy(ep, s.Labels)
		examplesSum += float64(len(ex))
		pred, err := finetune(ep, ex)
		if err != nil {
			return nil, fmt.Errorf("fewshot finetuning, episode %d: %w", ep.Index, err)
		}
		return pred, nil
	})
	if err != nil {
		return nil, err
	}
	n := float64(len(res.Accuracy))
	res.PseudoAccuracy, res.Examples = pseudoSum/n, examplesSum/n
	return res, nil
}

// evaluate draws the episodes, classifies each one's queries by method and summarises.
func evaluate(x propagate.Matrix, s *Split, cfg EpisodeConfig, stage string, progress Progress,
	method func(xn propagate.Matrix, ep *Episode) ([]int32, error)) (*Result, error) {
	start := time.Now()
	if x.N != len(s.Labels) {
		return nil, fmt.Errorf("fewshot: features have %d rows, the split %d; give one feature row per image of the test classes", x.N, len(s.Labels))
	}
	if err := cfg.Check(s); err != nil {
		return nil, err
	}
	xn, err := normalized(x)
	if err != nil {
		return nil, err
	}
	res := &Result{Accuracy: make([]float64, 0, cfg.Episodes)}
	for i := range cfg.Episodes {
		ep, err := Sample(s, cfg, i)
		if err != nil {
			return nil, err
		}
		pred, err := method(xn, ep)
		if err != nil {
			return nil, err
		}
		if len(pred) != len(ep.Query) {
			return nil, fmt.Errorf("fewshot %s, episode %d: %d predictions for %d queries", stage, i, len(pred), len(ep.Query))
		}
		res.Accuracy = append(res.Accuracy, Accuracy(pred, ep.QueryLabels))
		if progress != nil {
			progress(stage, i+1, cfg.Episodes)
		}
	}
	res.Interval = Summarize(res.Accuracy)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
