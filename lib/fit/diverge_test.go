package fit

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
)

// TestDivergence stops runs whose loss, or a variable, turns NaN or ±Inf, with an error naming
// the stage, the step, the value and the learning rate, and leaves on disk only checkpoints
// whose every float is finite. Two runs are poisoned from their third step on (the loss, or a
// variable the loss does not see); one runs at a learning rate of 1e30.
func TestDivergence(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name   string
		lr     float64
		poison func(ctx *context.Context, g *graph.Graph, fromStep2 *graph.Node)
		want   []string
	}{
		{"loss", 0.05, func(ctx *context.Context, g *graph.Graph, from *graph.Node) {
			train.AddLoss(ctx, graph.Where(from, graph.Scalar(g, dtypes.Float32, math.NaN()), graph.ScalarZero(g, dtypes.Float32)))
		}, []string{"step 3", "the loss is NaN", "(0.05)"}},
		{"variable", 0.05, func(ctx *context.Context, g *graph.Graph, from *graph.Node) {
			v := ctx.In("stats").VariableWithValue("running", float32(0)).SetTrainable(false)
			v.SetValueGraph(graph.Where(from, graph.Scalar(g, dtypes.Float32, inf), v.ValueGraph(g)))
		}, []string{"step 3", "/stats/running holds +Inf", "no checkpoint was saved"}},
		{"learning rate", 1e30, nil, []string{"learning rate (1e+30) is likely too high"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvCheckpointSteps, "1")
			batches, ctx, modelFn, lossFn := denseTask(ds, Augment{})
			poisoned := func(ctx *context.Context, spec any, inputs []*graph.Node) []*graph.Node {
				out := modelFn(ctx, spec, inputs)
				if tc.poison != nil {
					g := inputs[0].Graph()
					step := optimizers.GetGlobalStepVar(ctx).ValueGraph(g) // 0 during the first step
					tc.poison(ctx, g, graph.GreaterOrEqual(step, graph.Scalar(g, step.DType(), 2)))
				}
				return out
			}
			dir := t.TempDir()
			err := Run(backend, ctx, poisoned, lossFn, batches, RunConfig{Stage: "divergence test", Steps: 6, LearningRate: tc.lr, Checkpoints: openDir(t, dir)})
			var diverged *DivergedError
			if !errors.As(err, &diverged) {
				t.Fatalf("error %v, want a DivergedError", err)
			}
			for _, w := range append(tc.want, "divergence test") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			c, err := checkpoint.Read(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c != nil && int(c.Step) >= diverged.Step {
				t.Errorf("a checkpoint of step %d is on disk, diverged at step %d", c.Step, diverged.Step)
			}
			checkpointtest.Finite(t, c)
		})
	}
}

// BenchmarkLossCheck is the cost of Run's divergence check per step: reading the loss, which
// the loop has already copied to the host. Measured: 50 ns on 2 CPU cores, where a training
// step takes milliseconds.
func BenchmarkLossCheck(b *testing.B) {
	metrics := []*tensors.Tensor{tensors.FromValue(float32(0.7)), tensors.FromValue(float32(0.8))}
	metrics[0].MaterializeLocal()
	cfg := RunConfig{Stage: "benchmark"}
	for b.Loop() {
		if err := checkLoss(cfg, 1, metrics); err != nil {
			b.Fatal(err)
		}
	}
}
