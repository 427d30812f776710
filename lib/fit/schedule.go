package fit

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017), the schedule of the
// authors' CIFAR-10 pretraining: cycles of first, 2·first, 4·first, … steps, each a cosine from
// the learning rate down to its floor. Cycle k (from 0) covers steps [first·(2^k − 1),
// first·(2^(k+1) − 1)), so its end is a natural place to stop a run early.

// RestartLR returns the learning rate of SGDR at step (steps done before it): lr at the start
// of every cycle, decaying along a cosine to minLR at its end.
func RestartLR(step, first int, lr, minLR float64) float64 {
	k := cycleOf(step, first)
	start := first * (1<<k - 1)
	frac := float64(step-start) / float64(first<<k)
	return minLR + (lr-minLR)*(1+math.Cos(math.Pi*frac))/2
}

// cycleOf returns the SGDR cycle (from 0) that step falls in.
func cycleOf(step, first int) int {
	k := 0
	for first*(1<<(k+1)-1) <= step {
		k++
	}
	return k
}

// CycleEnd reports whether steps done end an SGDR cycle of first steps, and if so the length of
// the next cycle.
func CycleEnd(steps, first int) (bool, int) {
	if steps <= 0 || first <= 0 || steps%first != 0 {
		return false, 0
	}
	m := steps/first + 1 // a power of two at a cycle's end
	if m&(m-1) != 0 {
		return false, 0
	}
	return true, first * m
}

// restartSchedule sets the optimiser's learning rate in the graph being built to RestartLR of
// the global step, computed in float64 so that cycle boundaries fall on the exact step.
func restartSchedule(ctx *context.Context, g *graph.Graph, first int, lr, minLR float64) {
	if !ctx.IsTraining(g) {
		return
	}
	s := graph.ConvertDType(optimizers.GetGlobalStepVar(ctx).ValueGraph(g), dtypes.Float64)
	f := float64(first)
	// k = ⌊log2(s/first + 1)⌋, then corrected by one either way for rounding in Log.
	k := graph.Floor(graph.DivScalar(graph.Log(graph.AddScalar(graph.DivScalar(s, f), 1)), math.Ln2))
	two := graph.Scalar(g, dtypes.Float64, 2.0)
	start := func(k *graph.Node) *graph.Node { return graph.MulScalar(graph.AddScalar(graph.Pow(two, k), -1), f) }
	k = graph.Where(graph.LessThan(s, start(k)), graph.AddScalar(k, -1), k)
	k = graph.Where(graph.GreaterOrEqual(s, start(graph.AddScalar(k, 1))), graph.AddScalar(k, 1), k)
	frac := graph.Div(graph.Sub(s, start(k)), graph.MulScalar(graph.Pow(two, k), f))
	cosine := graph.DivScalar(graph.OnePlus(graph.Cos(graph.MulScalar(frac, math.Pi))), 2)
	rate := graph.AddScalar(graph.MulScalar(cosine, lr-minLR), minLR)
	optimizers.LearningRateVarWithValue(ctx, dtypes.Float32, lr).SetValueGraph(graph.ConvertDType(rate, dtypes.Float32))
}
