package fit

import (
	"math"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
)

// TestRestartLRByHand checks SGDR against values worked out by hand for a first cycle of 4
// steps (cycles [0,4), [4,12), [12,28)), lr 1 and floor 0.
func TestRestartLRByHand(t *testing.T) {
	half := (1 + math.Cos(math.Pi/2)) / 2 // halfway through a cycle: 0.5
	for _, c := range []struct {
		step int
		want float64
	}{
		{0, 1}, {2, half}, {3, (1 + math.Cos(math.Pi*3/4)) / 2},
		{4, 1}, {8, half}, {11, (1 + math.Cos(math.Pi*7/8)) / 2},
		{12, 1}, {20, half}, {28, 1},
	} {
		if got := RestartLR(c.step, 4, 1, 0); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("RestartLR(%d) = %g, want %g", c.step, got, c.want)
		}
	}
	for _, c := range []struct {
		steps, next int
		end         bool
	}{{0, 0, false}, {3, 0, false}, {4, 8, true}, {8, 0, false}, {12, 16, true}, {28, 32, true}, {60, 64, true}, {61, 0, false}} {
		end, next := CycleEnd(c.steps, 4)
		if end != c.end || next != c.next {
			t.Errorf("CycleEnd(%d, 4) = %v, %d; want %v, %d", c.steps, end, next, c.end, c.next)
		}
	}
}

// tinyRun trains a dense layer on synthetic images and records the learning rate each step
// used; onStep, if set, runs after each step.
func tinyRun(t *testing.T, cfg RunConfig, onStep func(int) error) []float64 {
	t.Helper()
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	batches, ctx, modelFn, lossFn := denseTask(ds, Augment{})
	var rates []float64
	cfg.Stage = "schedule test"
	cfg.OnStep = func(step int) error {
		lr := optimizers.LearningRateVar(ctx, dtypes.Float32, 0).MustValue()
		rates = append(rates, float64(tensors.MustCopyFlatData[float32](lr)[0]))
		if global := int(optimizers.GetGlobalStep(ctx)); step != len(rates) || step != global {
			t.Errorf("OnStep says %d steps done after %d steps, global step %d", step, len(rates), global)
		}
		if onStep != nil {
			return onStep(step)
		}
		return nil
	}
	if err := Run(testBackend(t), ctx, modelFn, lossFn, batches, cfg); err != nil {
		t.Fatal(err)
	}
	return rates
}

// TestRestartScheduleInGraph checks that the learning rate each training step used follows
// RestartLR, boundaries included, for both optimisers.
func TestRestartScheduleInGraph(t *testing.T) {
	for _, opt := range Optimizers {
		t.Run(opt, func(t *testing.T) {
			rates := tinyRun(t, RunConfig{Steps: 30, LearningRate: 0.1, Optimizer: opt, Restarts: 2}, nil)
			if len(rates) != 30 {
				t.Fatalf("%d steps ran, want 30", len(rates))
			}
			for s, got := range rates {
				if want := RestartLR(s, 2, 0.1, 0.001); math.Abs(got-want) > 1e-6 {
					t.Errorf("step %d: learning rate %g, want %g", s, got, want)
				}
			}
		})
	}
}

// TestTimeBudgetStopsAtCycleEnd slows every step to 20 ms and gives the run a budget that fits
// the cycles of 2, 4 and 8 steps (14 steps, about 0.3 s) but not the next 16: the run must stop
// at step 14, a cycle's end, although Steps allows 1000. Without restarts it stops at the first
// step past the budget.
func TestTimeBudgetStopsAtCycleEnd(t *testing.T) {
	slow := func(int) error { time.Sleep(20 * time.Millisecond); return nil }
	// Compilation is inside the budget: give it room, measured from a first run.
	start := time.Now()
	tinyRun(t, RunConfig{Steps: 1, LearningRate: 0.1}, nil)
	compile := time.Since(start).Seconds()
	rates := tinyRun(t, RunConfig{Steps: 1000, LearningRate: 0.1, Restarts: 2, Seconds: compile + 0.5}, slow)
	if len(rates) != 14 {
		t.Errorf("with restarts the run took %d steps, want 14 (the end of the third cycle)", len(rates))
	}
	rates = tinyRun(t, RunConfig{Steps: 1000, LearningRate: 0.1, Seconds: compile + 0.5}, slow)
	if len(rates) < 10 || len(rates) > 40 {
		t.Errorf("without restarts the run took %d steps, want about 25 (0.5 s of 20 ms steps)", len(rates))
	}
	// A first cycle longer than the budget: the budget still ends the run.
	rates = tinyRun(t, RunConfig{Steps: 1000, LearningRate: 0.1, Restarts: 500, Seconds: compile + 0.5}, slow)
	if len(rates) < 10 || len(rates) > 40 {
		t.Errorf("with a long first cycle the run took %d steps, want about 25 (0.5 s of 20 ms steps)", len(rates))
	}
}
