package fewshot

import (
	"fmt"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// Propagator spreads an episode's support labels over the unlabeled pool (§3.2): the graph's
// rows are the pool followed by the support set, and the label set is the episode's N classes,
// so every pool image, distractors included, gets one of them with a confidence α (Eq. 8–9)
// that is low where no episode class fits. It keeps one matrix whose pool rows are copied once
// and whose support rows are rewritten per episode.
type Propagator struct {
	x    propagate.Matrix
	pool []int
	buf  propagate.Matrix
	cfg  propagate.Config
}

// NewPropagator prepares propagation over the rows pool of x with episodes of support rows
// (N·K) in the graph, by cfg (the paper: spectral, Eq. 6).
func NewPropagator(x propagate.Matrix, pool []int, support int, cfg propagate.Config) (*Propagator, error) {
	if len(x.Data) != x.N*x.D || x.D <= 0 {
		return nil, fmt.Errorf("fewshot propagation: features claim %d×%d but hold %d values", x.N, x.D, len(x.Data))
	}
	if len(pool) == 0 || support < 1 {
		return nil, fmt.Errorf("fewshot propagation: %d pool rows and %d support rows; need both", len(pool), support)
	}
	p := &Propagator{x: x, pool: pool, cfg: cfg, buf: propagate.NewMatrix(len(pool)+support, x.D)}
	for i, r := range pool {
		if r < 0 || r >= x.N {
			return nil, fmt.Errorf("fewshot propagation: pool entry %d is row %d, outside [0, %d)", i, r, x.N)
		}
		copy(p.buf.Row(i), x.Row(r))
	}
	return p, nil
}

// Pseudo is what propagation gives the pool of an episode, position by position in Rows.
type Pseudo struct {
	// Rows are the pool's rows of x; Labels their pseudo labels (episode labels, Eq. 7) and
	// Confidence their α (Eq. 9).
	Rows       []int
	Labels     []int32
	Confidence []float32
}

// Propagate runs the propagation of the episode ep, whose pool must be the one the
// Propagator was made for and whose support has the size it was made for.
func (p *Propagator) Propagate(ep *Episode, progress func(stage string, done, total int)) (*Pseudo, error) {
	n := len(p.pool)
	if len(ep.Support)+n != p.buf.N || len(ep.Unlabeled) != n {
		return nil, fmt.Errorf("fewshot propagation: episode %d has %d support and %d pool rows; the propagator was made for %d and %d",
			ep.Index, len(ep.Support), len(ep.Unlabeled), p.buf.N-n, n)
	}
	labelled := make([]int, len(ep.Support))
	for t, r := range ep.Support {
		if r < 0 || r >= p.x.N {
			return nil, fmt.Errorf("fewshot propagation: episode %d, support %d is row %d, outside [0, %d)", ep.Index, t, r, p.x.N)
		}
		copy(p.buf.Row(n+t), p.x.Row(r))
		labelled[t] = n + t
	}
	r, err := propagate.Run(p.buf, labelled, ep.SupportLabels, len(ep.Classes), p.cfg, progress)
	if err != nil {
		return nil, fmt.Errorf("fewshot propagation, episode %d: %w", ep.Index, err)
	}
	return &Pseudo{Rows: p.pool, Labels: r.Labels[:n], Confidence: r.Confidence[:n]}, nil
}

// Examples returns the training set of Eq. 10 for ep: every support row with its label and
// weight 1, then every pool row whose confidence is at least minWeight with its pseudo label
// and its confidence as weight (the paper drops α < 0.01).
func (ps *Pseudo) Examples(ep *Episode, minWeight float64) []Example {
	out := make([]Example, 0, len(ep.Support)+len(ps.Rows))
	for t, r := range ep.Support {
		out = append(out, Example{Row: r, Label: ep.SupportLabels[t], Weight: 1})
	}
	for i, r := range ps.Rows {
		if float64(ps.Confidence[i]) >= minWeight {
			out = append(out, Example{Row: r, Label: ps.Labels[i], Weight: ps.Confidence[i]})
		}
	}
	return out
}

// Accuracy is the fraction of the pool rows of the episode's classes (truth: the Split's class
// of every row) whose pseudo label names their class; distractor rows have no right answer and
// are left out.
func (ps *Pseudo) Accuracy(ep *Episode, truth []int32) float64 {
	label := map[int32]int32{}
	for j, c := range ep.Classes {
		label[int32(c)] = int32(j)
	}
	right, total := 0, 0
	for i, r := range ps.Rows {
		if j, ok := label[truth[r]]; ok {
			total++
			if ps.Labels[i] == j {
				right++
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(right) / float64(total)
}
