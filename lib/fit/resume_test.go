package fit

import (
	"errors"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/metric-transfer/mtlp/lib/data"
)

var errKilled = errors.New("killed")

// TestResumeMatchesUninterrupted kills a run after a checkpoint (by stopping it from OnStep,
// two steps past the checkpoint), resumes it from the checkpoint directory, and checks that
// the final weights equal those of an uninterrupted run with the same seed. With the
// augmentation (padding, flips) and the data order both random, a resumed run that replayed
// the first batches instead of the ones after the checkpoint would end elsewhere; so would one
// that restarted the learning-rate schedule or the optimiser's state (Adam's moments, SGD's
// velocities).
func TestResumeMatchesUninterrupted(t *testing.T) {
	for _, opt := range Optimizers {
		t.Run(opt, func(t *testing.T) { testResume(t, opt) })
	}
}

func testResume(t *testing.T, optimizer string) {
	backend := testBackend(t)
	ds, err := data.Synthetic(24, 6, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	const steps, every, killAt = 8, 3, 5
	run := func(dir string, onStep func(int) error) (map[string][]float32, error) {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{Pad: 1, Flip: true})
		err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{
			Stage: "resume test", Steps: steps, LearningRate: 0.05, Optimizer: optimizer,
			CheckpointDir: dir, CheckpointSteps: every, OnStep: onStep,
		})
		weights := map[string][]float32{}
		for v := range ctx.IterVariables() {
			if v.Trainable {
				weights[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](v.MustValue())
			}
		}
		return weights, err
	}

	want, err := run(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var stoppedAt int
	if _, err := run(dir, func(step int) error {
		if step == killAt {
			stoppedAt = step
			return errKilled
		}
		return nil
	}); !errors.Is(err, errKilled) || stoppedAt != killAt {
		t.Fatalf("the killed run returned %v after step %d, want %v after step %d", err, stoppedAt, errKilled, killAt)
	}
	var first int
	got, err := run(dir, func(step int) error {
		if first == 0 {
			first = step
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (killAt/every)*every + 1; first != want {
		t.Errorf("the resumed run's first step is %d, want %d (one after the last checkpoint)", first, want)
	}
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("resumed run has %d trainable variables, uninterrupted %d", len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		for i := range w {
			if math.Abs(float64(g[i]-w[i])) > 1e-6 {
				t.Fatalf("%s[%d] = %g after resuming, %g uninterrupted", name, i, g[i], w[i])
			}
		}
	}
}

// denseTask is the small training task of the run tests: seeded batches of 4 of ds (its first
// 24 images) with their labels, a seeded context, and a dense layer over the pixels trained by
// cross-entropy over 2 classes.
func denseTask(ds *data.Dataset, augment Augment) (*Batches, *context.Context, train.ModelFn, train.LossFn) {
	batches := NewBatches(ds, seq(0, 24), 4, augment, 11)
	batches.Extra = func(positions []int) (inputs, labels []*tensors.Tensor) {
		y := make([]int32, len(positions))
		for i, p := range positions {
			y[i] = ds.Labels[p]
		}
		return nil, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, len(y), 1)}
	}
	ctx := context.New()
	Seed(ctx, 3)
	modelFn := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		x := graph.Reshape(inputs[0], inputs[0].Shape().Dimensions[0], -1)
		return []*graph.Node{layers.Dense(ctx.In("dense"), x, true, 2)}
	}
	lossFn := func(labels, predictions []*graph.Node) *graph.Node {
		return graph.ReduceAllMean(losses.SparseCategoricalCrossEntropyLogits(labels, predictions))
	}
	return batches, ctx, modelFn, lossFn
}
