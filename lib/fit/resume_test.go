package fit

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
)

var errKilled = errors.New("killed")

// TestResumeMatchesUninterrupted stops a run after each of its steps in turn (by an error from
// OnStep, after the step's checkpoint; the last step's is saved only when training ends, so a
// stop there redoes it), resumes it from the checkpoint directory, recomputes
// the batch-norm statistics, and checks that every variable (weights, batch-norm averages,
// optimiser state, step, random state) equals bit for bit that of an uninterrupted run with
// the same seed. With the augmentation (padding, flips) and the data order both random, a
// resumed run that replayed the first batches instead of the ones after the checkpoint would
// end elsewhere; so would one that restarted the learning-rate schedule or the optimiser's
// state (Adam's moments, SGD's velocities), or a statistics pass that added to the loaded
// averages instead of replacing them. One case saves every 3 steps only, so that it resumes
// from a checkpoint older than the stop.
func TestResumeMatchesUninterrupted(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	const steps = 8
	run := func(t *testing.T, optimizer string, dir *checkpoint.Dir, every int, onStep func(int) error) (map[string][]byte, error) {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{Pad: 1, Flip: true})
		err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{
			Stage: "resume test", Steps: steps, LearningRate: 0.05, Optimizer: optimizer,
			Checkpoints: dir, CheckpointSteps: every, OnStep: onStep,
		})
		if err != nil {
			return nil, err
		}
		if err := PreciseBatchNorm(backend, ctx, denseInference, ds, seq(0, 24), 4, 3, nil, "statistics"); err != nil {
			t.Fatal(err)
		}
		return checkpointtest.Values(t, ctx), nil
	}
	for _, optimizer := range Optimizers {
		want, err := run(t, optimizer, nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ every, killAt int }{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}, {1, 7}, {1, 8}, {3, 5}} {
			t.Run(fmt.Sprintf("%s every %d stopped after %d", optimizer, tc.every, tc.killAt), func(t *testing.T) {
				dir := openDir(t, t.TempDir())
				if _, err := run(t, optimizer, dir, tc.every, func(step int) error {
					if step == tc.killAt {
						return errKilled
					}
					return nil
				}); !errors.Is(err, errKilled) {
					t.Fatalf("the stopped run returned %v, want %v", err, errKilled)
				}
				first := 0
				got, err := run(t, optimizer, dir, tc.every, func(step int) error {
					first = cmpOr(first, step)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				// The last step is saved once training ends (as trained), not by the periodic save.
				resumeAt := min(tc.killAt, steps-1) / tc.every * tc.every
				if first != resumeAt+1 {
					t.Errorf("the resumed run's first step is %d, want the one after step %d", first, resumeAt)
				}
				checkpointtest.Same(t, want, got)
			})
		}
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// TestCheckpointsChangeNothing: a run that saves after every step ($MT_CHECKPOINT_STEPS) ends
// where one without a checkpoint directory does.
func TestCheckpointsChangeNothing(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	run := func(dir *checkpoint.Dir) map[string][]byte {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{Pad: 1, Flip: true})
		if err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{Stage: "test", Steps: 5, LearningRate: 0.05, Checkpoints: dir}); err != nil {
			t.Fatal(err)
		}
		return checkpointtest.Values(t, ctx)
	}
	want := run(nil)
	t.Setenv(EnvCheckpointSteps, "1")
	dir := t.TempDir()
	checkpointtest.Same(t, want, run(openDir(t, dir)))
	if kept, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.json")); len(kept) != 2 {
		t.Errorf("checkpoints kept: %v, want 2", kept)
	}
	t.Setenv(EnvCheckpointSteps, "0")
	batches, ctx, modelFn, lossFn := denseTask(ds, Augment{})
	if err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{Stage: "test", Steps: 1}); err == nil || !strings.Contains(err.Error(), EnvCheckpointSteps) {
		t.Errorf("%s=0: error %v, want one naming the variable", EnvCheckpointSteps, err)
	}
}

// openDir opens a checkpoint directory for the tests' runs, closed when the test ends.
func openDir(t *testing.T, path string) *checkpoint.Dir {
	t.Helper()
	d, err := checkpoint.Open(path, "resume test", "dense task")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// denseTask is the small training task of the run tests: seeded batches of 4 of ds (its first
// 24 images) with their labels, a seeded context, and batch norm then a dense layer over the
// pixels with noise, trained by cross-entropy over 2 classes.
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
		// Noise drawn in the graph makes the context's random state part of what a resumed run
		// must restore, as it is and untrained.
		x := inputs[0]
		x = graph.Add(x, graph.MulScalar(ctx.RandomNormal(x.Graph(), x.Shape()), 0.05))
		return []*graph.Node{denseInference(ctx, x)}
	}
	lossFn := func(labels, predictions []*graph.Node) *graph.Node {
		return graph.ReduceAllMean(losses.SparseCategoricalCrossEntropyLogits(labels, predictions))
	}
	return batches, ctx, modelFn, lossFn
}

func denseInference(ctx *context.Context, images *graph.Node) *graph.Node {
	x := graph.Reshape(images, images.Shape().Dimensions[0], -1)
	x = batchnorm.New(ctx.In("bn"), x, -1).UseBackendInference(false).Done()
	return layers.Dense(ctx.In("dense"), x, true, 2)
}

// TestBudgetEndsTraining: a run whose time budget ends it early saves its last step as
// trained, so that a rerun (killed after training, in the passes that follow it) trains no
// further, even with a new budget, and ends where the first run did.
func TestBudgetEndsTraining(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	dir := openDir(t, t.TempDir())
	run := func(onStep func(int) error) map[string][]byte {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{})
		if err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{Stage: "budget test", Steps: 8, LearningRate: 0.05,
			Checkpoints: dir, CheckpointSteps: 3, OnStep: onStep}); err != nil {
			t.Fatal(err)
		}
		return checkpointtest.Values(t, ctx)
	}
	want := run(func(step int) error {
		if step == 3 {
			return errBudgetSpent // as the time budget does
		}
		return nil
	})
	got := run(func(step int) error {
		t.Errorf("the rerun trained step %d", step)
		return nil
	})
	checkpointtest.Same(t, want, got)
	c, err := checkpoint.Read(dir.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Step != 3 || c.Phase != checkpoint.Trained {
		t.Errorf("newest checkpoint: step %d, %s; want 3, %s", c.Step, c.Phase, checkpoint.Trained)
	}
}

// TestStepsPerCall trains 2 or 3 steps per call and checks that every variable ends bit for bit
// where one step per call leaves it, with Adam and SGD, the warm-restart schedule (cycles end at
// steps 3 and 9, where the monitor must see the network of that step) and a checkpoint every 5
// steps: uninterrupted, stopped after step 7 and resumed from step 5, and paused after every
// call and resumed until done.
func TestStepsPerCall(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	const steps = 11
	type state struct {
		final  map[string][]byte
		cycles map[int]map[string][]byte // the variables the monitor saw, by step
	}
	run := func(t *testing.T, optimizer string, perCall int, dir *checkpoint.Dir, pause time.Duration, onStep func(int) error) (state, error) {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{Pad: 1, Flip: true})
		s := state{cycles: map[int]map[string][]byte{}}
		err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{
			Stage: "steps per call", Steps: steps, LearningRate: 0.05, Optimizer: optimizer, Restarts: 3,
			Checkpoints: dir, CheckpointSteps: 5, Pause: pause, OnStep: onStep, StepsPerCall: perCall,
			AtCycleEnd: func(step int) error { s.cycles[step] = checkpointtest.Values(t, ctx); return nil },
		})
		if err == nil {
			s.final = checkpointtest.Values(t, ctx)
		}
		return s, err
	}
	for _, optimizer := range Optimizers {
		want, err := run(t, optimizer, 1, nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		check := func(t *testing.T, got state, cycles ...int) {
			t.Helper()
			checkpointtest.Same(t, want.final, got.final)
			for _, step := range cycles {
				if got.cycles[step] == nil {
					t.Fatalf("the monitor did not run at step %d (it ran at %v)", step, slices.Sorted(maps.Keys(got.cycles)))
				}
				checkpointtest.Same(t, want.cycles[step], got.cycles[step])
			}
		}
		for _, perCall := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s, %d per call", optimizer, perCall), func(t *testing.T) {
				got, err := run(t, optimizer, perCall, nil, 0, nil)
				if err != nil {
					t.Fatal(err)
				}
				check(t, got, 3, 9)
			})
		}
		t.Run(optimizer+", stopped and resumed", func(t *testing.T) {
			dir := openDir(t, t.TempDir())
			if _, err := run(t, optimizer, 2, dir, 0, func(step int) error {
				if step == 7 {
					return errKilled
				}
				return nil
			}); !errors.Is(err, errKilled) {
				t.Fatalf("the stopped run returned %v, want %v", err, errKilled)
			}
			got, err := run(t, optimizer, 2, dir, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			check(t, got, 9)
		})
		t.Run(optimizer+", paused after every call", func(t *testing.T) {
			dir := openDir(t, t.TempDir())
			for call := 1; ; call++ {
				got, err := run(t, optimizer, 2, dir, time.Nanosecond, nil)
				var paused *PausedError
				if errors.As(err, &paused) && call < steps {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				check(t, got)
				break
			}
		})
	}
}

// TestStepsExecLosses: a call of three steps returns each step's own loss, the ones three
// calls of one step return.
func TestStepsExecLosses(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	losses := func(perCall int) []float32 {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{})
		opt, err := NewOptimizer(OptimizerSGD)
		if err != nil {
			t.Fatal(err)
		}
		ctx.SetParam(optimizers.ParamLearningRate, 0.5)
		exec, err := newStepsExec(backend, ctx, modelFn, lossFn, opt, false)
		if err != nil {
			t.Fatal(err)
		}
		exec.inputs, exec.perStep = 1, 2
		var out []float32
		for call := 0; call < 3/perCall; call++ {
			var args []any
			for range perCall {
				_, inputs, labels, err := batches.Yield()
				if err != nil {
					t.Fatal(err)
				}
				args = append(args, inputs[0], labels[0])
			}
			res, err := exec.exec.Exec(args...)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tensors.MustCopyFlatData[float32](res[0])...)
		}
		return out
	}
	want, got := losses(1), losses(3)
	if !slices.Equal(want, got) || want[0] == want[2] {
		t.Errorf("losses of 3 steps in one call %v, in three calls %v", got, want)
	}
}
