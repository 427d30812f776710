package fit

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
)

// TestPauseResumes pauses a run after every step (a pause of 1 ns runs out during the first
// one), reruns it until it finishes, and checks that each call reports where it paused, that
// it went on from there, and that every variable ends bit for bit where an uninterrupted run's
// does, with the warm-restart schedule (whose learning rate depends on the step) and SGD's
// velocities in play.
func TestPauseResumes(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	const steps = 7
	run := func(dir *checkpoint.Dir, pause time.Duration, onStep func(int) error) (map[string][]byte, error) {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{Pad: 1, Flip: true})
		err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{
			Stage: "pause test", Steps: steps, LearningRate: 0.05, Optimizer: "sgd", Restarts: 1,
			Checkpoints: dir, Pause: pause, OnStep: onStep,
		})
		if err != nil {
			return nil, err
		}
		return checkpointtest.Values(t, ctx), nil
	}
	want, err := run(nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := openDir(t, t.TempDir())
	var got map[string][]byte
	for call := 1; ; call++ {
		if call > steps {
			t.Fatalf("still paused after %d calls", call-1)
		}
		var first []int
		got, err = run(dir, time.Nanosecond, func(step int) error { first = append(first, step); return nil })
		if len(first) != 1 || first[0] != call {
			t.Fatalf("call %d trained steps %v, want only step %d", call, first, call)
		}
		var paused *PausedError
		if errors.As(err, &paused) {
			if paused.Step != call || paused.Steps != steps || !strings.Contains(err.Error(), "paused") {
				t.Fatalf("call %d: %v (step %d of %d), want a pause at step %d of %d", call, err, paused.Step, paused.Steps, call, steps)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if call != steps {
			t.Fatalf("finished at call %d, want a pause at every step before the last (%d)", call, steps)
		}
		break
	}
	checkpointtest.Same(t, want, got)
	c, err := dir.Newest()
	if err != nil || c == nil || c.Phase != checkpoint.Trained || c.Step != steps {
		t.Errorf("newest checkpoint %+v (%v), want the trained one of step %d", c, err, steps)
	}
}

// TestPauseNeedsCheckpoints: a pause without a checkpoint directory would lose the run.
func TestPauseNeedsCheckpoints(t *testing.T) {
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	batches, ctx, modelFn, lossFn := denseTask(ds, Augment{})
	err := Run(testBackend(t), ctx, modelFn, lossFn, batches, RunConfig{Stage: "test", Steps: 3, LearningRate: 0.05, Pause: time.Second})
	if err == nil || !strings.Contains(err.Error(), "needs a checkpoint directory") {
		t.Errorf("got %v, want a refusal naming the missing checkpoint directory", err)
	}
}

// TestAtCycleEnd: the monitor is called at the ends of the warm-restart cycles (2, 6 and 14
// steps for a first cycle of 2), each followed by a checkpoint of that step; a run stopped by
// the monitor (as a kill during a measurement) measures that step again when resumed, from
// the checkpoint of the cycle before, and still ends where an uninterrupted run does.
func TestAtCycleEnd(t *testing.T) {
	backend := testBackend(t)
	ds := datatest.Synthetic(t, 24, 6, 2, 5)
	const steps = 14
	run := func(dir *checkpoint.Dir, atEnd func(int) error) (map[string][]byte, error) {
		batches, ctx, modelFn, lossFn := denseTask(ds, Augment{Pad: 1, Flip: true})
		err := Run(backend, ctx, modelFn, lossFn, batches, RunConfig{
			Stage: "cycle test", Steps: steps, LearningRate: 0.05, Restarts: 2,
			Checkpoints: dir, CheckpointEvery: time.Hour, AtCycleEnd: atEnd,
		})
		if err != nil {
			return nil, err
		}
		return checkpointtest.Values(t, ctx), nil
	}
	want, err := run(nil, func(int) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir()
	dir := openDir(t, path)
	var seen []int
	var newest []int64
	_, err = run(dir, func(step int) error {
		seen = append(seen, step)
		newest = append(newest, newestStep(t, dir))
		if step == 6 {
			return errKilled
		}
		return nil
	})
	if !errors.Is(err, errKilled) {
		t.Fatalf("the stopped run returned %v, want %v", err, errKilled)
	}
	got, err := run(dir, func(step int) error {
		seen = append(seen, step)
		newest = append(newest, newestStep(t, dir))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 6, 6, 14}; !slices.Equal(seen, want) {
		t.Errorf("measured at steps %v, want %v", seen, want)
	}
	// Each measurement finds the checkpoint of the cycle before it (none before the first).
	if want := []int64{-1, 2, 2, 6}; !slices.Equal(newest, want) {
		t.Errorf("newest checkpoint when measuring: steps %v, want %v", newest, want)
	}
	checkpointtest.Same(t, want, got)
}

// newestStep is the step of dir's newest checkpoint, -1 when there is none.
func newestStep(t *testing.T, dir *checkpoint.Dir) int64 {
	t.Helper()
	c, err := dir.Newest()
	if err != nil {
		t.Fatal(err)
	}
	if c == nil {
		return -1
	}
	return c.Step
}
