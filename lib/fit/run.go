package fit

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers/cosineschedule"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/killpoint"
)

// Progress reports that done of total units of a named stage are complete. Notebooks pass a
// function that draws a progress bar; nil reports nothing.
type Progress func(stage string, done, total int)

// RunConfig configures a training run.
type RunConfig struct {
	// Stage names the run in progress reports.
	Stage string
	// Steps is the total number of optimisation steps (a fixed iteration budget, as the paper
	// fixes 200K iterations whatever the number of labels).
	Steps int
	// LearningRate is the initial learning rate, decayed to 1% of it by a cosine schedule over
	// Steps, or over each cycle with Restarts.
	LearningRate float64
	// Restarts, if positive, replaces the single cosine by cosine annealing with warm restarts
	// (RestartLR): cycles of Restarts, 2·Restarts, 4·Restarts, … steps, as the authors'
	// CIFAR-10 pretraining (first cycle 10 epochs). Steps is then an upper bound.
	Restarts int
	// Seconds, if positive, bounds the wall time of the run, graph compilation included: it ends
	// at the first step past the budget, and with Restarts earlier, at the end of the last cycle
	// that the measured step rate says will fit, so that the learning rate has annealed.
	Seconds float64
	// Pause, if positive, is the wall time after which the run saves a checkpoint and stops
	// with a *PausedError, its training unfinished: a later Run with the same checkpoint
	// directory (Checkpoints, which Pause needs) resumes mid-schedule, ending bit for bit where
	// an uninterrupted run does. Unlike Seconds, it changes no result. It is counted from the
	// start of Run, graph compilation included; the step under way when it runs out completes.
	Pause time.Duration
	// AtCycleEnd, if not nil, is called at the end of every cycle of the warm-restart schedule
	// (Restarts) with the number of steps done, before that step's checkpoint, which is then
	// saved whatever CheckpointEvery says: a monitor measures the network there (its variables
	// are the step's; any it computes must not change them). A run killed before the checkpoint
	// calls it again for that step when it is resumed. An error stops training and is returned.
	AtCycleEnd func(step int) error
	// Optimizer names the optimiser (see NewOptimizer): "adam" (the default) or "sgd".
	Optimizer string
	// Checkpoints, if set, is the run's checkpoint directory (checkpoint.Open): its newest
	// checkpoint is loaded at the start, so that a killed run resumes where it stopped, and
	// checkpoints are saved every CheckpointEvery, every CheckpointSteps steps and at the end,
	// the last as checkpoint.Trained: a rerun that finds it trains no more.
	Checkpoints *checkpoint.Dir
	// CheckpointEvery is the wall-clock period between checkpoints (default 1 minute).
	CheckpointEvery time.Duration
	// CheckpointSteps, if positive, also saves a checkpoint at every multiple of this many
	// steps; so does $MT_CHECKPOINT_STEPS (EnvCheckpointSteps), for every run.
	CheckpointSteps int
	// OnStep, if not nil, is called after every step with the number of steps done (with
	// StepsPerCall, after every call); an error stops training and is returned (the checkpoints
	// saved so far stay, as after a kill).
	OnStep func(step int) error
	// StepsPerCall, if above 1, trains that many steps in each call to the compiled graph, one
	// after the other with nothing in between on the host, for a device whose per-call overhead
	// is a large part of a step (a GPU at small batches); the weights end bit for bit where one
	// step per call leaves them. The hooks then act after each call: progress, OnStep, the
	// budget, the pause and the periodic checkpoints see the last step of a call; a call never
	// runs past a cycle's end (Restarts) or a CheckpointSteps multiple, so that those act at
	// their step.
	StepsPerCall int
	// Progress receives (Stage, step, Steps) about every second.
	Progress Progress
}

// EnvCheckpointSteps names the environment variable that, set to n, adds a checkpoint every n
// steps to every run with a checkpoint directory: kill-and-resume tests set it so that a kill
// anywhere has a recent checkpoint behind it. Saving changes no result.
const EnvCheckpointSteps = "MT_CHECKPOINT_STEPS"

// Run trains the variables in ctx with modelFn and lossFn on ds for cfg.Steps steps with Adam
// (or cfg.Optimizer) and a cosine learning-rate decay, reporting progress and saving checkpoints. GoMLX reports
// graph-building errors by panicking; they are returned as errors here.
//
// A run restored from a checkpoint at step s first moves ds on by s batches (with Skip when ds
// has it, as Batches does, else by yielding and dropping them), so it goes on with the batches
// the uninterrupted run would have seen: its weights end bit for bit where the uninterrupted
// run's do.
//
// A run whose loss becomes NaN or ±Inf stops at that step with a *DivergedError, and so does
// one with a non-finite variable when a checkpoint is due: no checkpoint holds one.
func Run(backend backends.Backend, ctx *context.Context, modelFn train.ModelFn, lossFn train.LossFn,
	ds train.Dataset, cfg RunConfig) (err error) {
	defer catch(&err, cfg.Stage)
	if cfg.Steps <= 0 {
		return fmt.Errorf("%s: the number of training steps must be positive, got %d", cfg.Stage, cfg.Steps)
	}
	if cfg.Restarts < 0 || cfg.Seconds < 0 || cfg.Pause < 0 {
		return fmt.Errorf("%s: restart period %d, time budget %g s and pause %v must not be negative", cfg.Stage, cfg.Restarts, cfg.Seconds, cfg.Pause)
	}
	if cfg.Pause > 0 && cfg.Checkpoints == nil {
		return fmt.Errorf("%s: a pause after %v needs a checkpoint directory to resume from", cfg.Stage, cfg.Pause)
	}
	everySteps, err := checkpointSteps(cfg)
	if err != nil {
		return err
	}
	if c, ok := ds.(interface{ Close() }); ok {
		defer c.Close()
	}
	if cfg.Checkpoints != nil {
		c, err := cfg.Checkpoints.Load(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.Stage, err)
		}
		if c != nil && c.Phase != checkpoint.Training {
			// Trained already (all steps, or as many as the time budget allowed): a rerun killed
			// in what follows training. No trainer is built, as it would drop the learning rate
			// that the checkpoint holds.
			return nil
		}
	}
	done := int(optimizers.GetGlobalStep(ctx))
	if done >= cfg.Steps {
		return nil
	}
	start := time.Now()
	opt, err := NewOptimizer(cfg.Optimizer)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Stage, err)
	}
	if done > 0 {
		if err := skip(ds, done); err != nil {
			return fmt.Errorf("%s: moving the data on to step %d: %w", cfg.Stage, done, err)
		}
	}
	save := saver(ctx, cfg)
	hooks := stepHooks(cfg, everySteps, start, save)
	modelFn = scheduled(ctx, modelFn, cfg)
	if cfg.StepsPerCall > 1 {
		err = runCalls(backend, ctx, modelFn, lossFn, opt, ds, cfg, everySteps, hooks, done)
	} else {
		err = runLoop(backend, ctx, modelFn, lossFn, opt, ds, cfg, hooks, done)
	}
	if err != nil && !errors.Is(err, errBudgetSpent) {
		var diverged *DivergedError
		if errors.As(err, &diverged) {
			return diverged
		}
		if errors.Is(err, errPaused) {
			step := int(optimizers.GetGlobalStep(ctx))
			return &PausedError{Stage: cfg.Stage, Step: step, Steps: cfg.Steps, Seconds: time.Since(start).Seconds()}
		}
		return fmt.Errorf("%s: training: %w", cfg.Stage, err)
	}
	done = int(optimizers.GetGlobalStep(ctx))
	if cfg.Progress != nil {
		cfg.Progress(cfg.Stage, done, done)
	}
	return save(done, checkpoint.Trained)
}

// runLoop trains from step done to cfg.Steps one step per call, with GoMLX's trainer and loop:
// the divergence check, then the hooks, after every step.
func runLoop(backend backends.Backend, ctx *context.Context, modelFn train.ModelFn, lossFn train.LossFn,
	opt optimizers.Interface, ds train.Dataset, cfg RunConfig, hooks []stepHook, done int) error {
	trainer := train.NewTrainer(backend, ctx, modelFn, lossFn, opt, nil, nil)
	if done > 0 {
		trainer.SetContext(ctx.Reuse())
	}
	loop := train.NewLoop(trainer)
	// First of the step hooks, so that a diverged step is never saved.
	loop.OnStep("divergence", -3, func(loop *train.Loop, metrics []*tensors.Tensor) error {
		return checkLoss(cfg, stepsDone(loop), metrics)
	})
	for _, h := range hooks {
		loop.OnStep(h.name, h.priority, func(loop *train.Loop, _ []*tensors.Tensor) error { return h.after(stepsDone(loop)) })
	}
	_, err := loop.RunSteps(ds, cfg.Steps-done)
	return err
}

// scheduled returns modelFn with the learning-rate schedule of cfg set in its graph: the cosine
// decay over Steps, or with Restarts the warm restarts; it sets the initial rate on ctx.
func scheduled(ctx *context.Context, modelFn train.ModelFn, cfg RunConfig) train.ModelFn {
	lr, steps := cfg.LearningRate, cfg.Steps
	ctx.SetParam(optimizers.ParamLearningRate, lr)
	return func(ctx *context.Context, spec any, inputs []*graph.Node) []*graph.Node {
		if cfg.Restarts > 0 {
			restartSchedule(ctx, inputs[0].Graph(), cfg.Restarts, lr, lr/100)
		} else {
			cosineschedule.New(ctx, inputs[0].Graph(), dtypes.Float32).
				LearningRate(lr).MinLearningRate(lr / 100).PeriodSteps(steps).Done()
		}
		return modelFn(ctx, spec, inputs)
	}
}

// saver returns the function that saves a checkpoint of ctx's variables at a step and phase
// in cfg.Checkpoints: once per step and phase, and nothing without a directory.
func saver(ctx *context.Context, cfg RunConfig) func(step int, phase checkpoint.Phase) error {
	savedStep, savedPhase := -1, checkpoint.Phase("")
	return func(step int, phase checkpoint.Phase) error {
		if cfg.Checkpoints == nil || (step == savedStep && phase == savedPhase) {
			return nil
		}
		if _, err := cfg.Checkpoints.Save(ctx, step, phase); err != nil {
			return saveError(cfg, step, err)
		}
		savedStep, savedPhase = step, phase
		return nil
	}
}

// stepHook is what Run does after a step, given the number of steps done; hooks run by
// increasing priority.
type stepHook struct {
	name     string
	priority train.Priority
	after    func(done int) error
}

// stepHooks returns the hooks of a run that began at start, in their order: the monitor at a
// cycle's end, the periodic checkpoints by steps, progress, OnStep, the time budget, the pause,
// the periodic checkpoints by time and the kill point. save saves a checkpoint. Those that act
// at given steps (cycle ends, CheckpointSteps) are the run's boundaries, which a call of
// several steps never crosses (nextBoundary).
func stepHooks(cfg RunConfig, everySteps []int, start time.Time, save func(int, checkpoint.Phase) error) []stepHook {
	steps := cfg.Steps
	var hooks []stepHook
	add := func(name string, priority train.Priority, after func(done int) error) {
		hooks = append(hooks, stepHook{name, priority, after})
	}
	if cfg.AtCycleEnd != nil && cfg.Restarts > 0 {
		// Before the periodic checkpoints, so that the checkpoint of a cycle's end follows its
		// measurement: a run killed in between measures again when resumed.
		add("cycle-end", -2, func(done int) error {
			if end, _ := CycleEnd(done, cfg.Restarts); !end {
				return nil
			}
			if err := cfg.AtCycleEnd(done); err != nil {
				return err
			}
			if done >= steps {
				return nil // Run saves the last step as Trained
			}
			return save(done, checkpoint.Training)
		})
	}
	if cfg.Checkpoints != nil && len(everySteps) > 0 {
		// Before the OnStep hook (priority 0), so a stop requested at step s keeps step s.
		add("checkpoint-steps", -1, func(done int) error {
			if done >= steps {
				return nil // Run saves the last step as Trained
			}
			for _, n := range everySteps {
				if done%n == 0 {
					return save(done, checkpoint.Training)
				}
			}
			return nil
		})
	}
	last := time.Time{}
	add("progress", 0, func(done int) error {
		if cfg.Progress != nil && (time.Since(last) > time.Second || done >= steps) {
			last = time.Now()
			cfg.Progress(cfg.Stage, done, steps)
		}
		return nil
	})
	if cfg.OnStep != nil {
		add("on-step", 0, cfg.OnStep)
	}
	if cfg.Seconds > 0 {
		add("time-budget", 1, budget(cfg, start))
	}
	if cfg.Pause > 0 {
		// After the time budget, so that a run whose budget and pause run out at the same step
		// ends as trained.
		add("pause", 2, func(done int) error {
			if time.Since(start) < cfg.Pause || done >= steps {
				return nil
			}
			if err := save(done, checkpoint.Training); err != nil {
				return err
			}
			return errPaused
		})
	}
	if cfg.Checkpoints != nil {
		every := cfg.CheckpointEvery
		if every == 0 {
			every = time.Minute
		}
		lastSave := time.Now()
		add("checkpoint", 100, func(done int) error {
			if time.Since(lastSave) < every {
				return nil
			}
			lastSave = time.Now()
			return save(done, checkpoint.Training)
		})
	}
	// Last, after whatever the step saved.
	add("kill point", 1000, func(int) error {
		killpoint.Hit("fit: step")
		return nil
	})
	return hooks
}

// nextBoundary returns the first step after done at which a hook of stepHooks acts by step
// count: a cycle's end (with Restarts, where the monitor measures and the time budget may end
// the run), a multiple of everySteps, or the end of the run.
func nextBoundary(cfg RunConfig, everySteps []int, done int) int {
	next := cfg.Steps
	if cfg.Restarts > 0 {
		// Cycles end at Restarts·(2^k − 1) steps.
		end := cfg.Restarts
		for end <= done {
			end = 2*end + cfg.Restarts
		}
		next = min(next, end)
	}
	if cfg.Checkpoints != nil {
		for _, n := range everySteps {
			next = min(next, (done/n+1)*n)
		}
	}
	return next
}

// checkpointSteps returns the step periods at which Run saves: cfg.CheckpointSteps and
// $MT_CHECKPOINT_STEPS, when set.
func checkpointSteps(cfg RunConfig) ([]int, error) {
	var every []int
	if cfg.CheckpointSteps > 0 {
		every = append(every, cfg.CheckpointSteps)
	}
	if v := os.Getenv(EnvCheckpointSteps); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %s=%q: want a positive number of steps, or unset it", cfg.Stage, EnvCheckpointSteps, v)
		}
		every = append(every, n)
	}
	return every, nil
}

// skip moves ds on by n batches.
func skip(ds train.Dataset, n int) error {
	if s, ok := ds.(interface{ Skip(int) }); ok {
		s.Skip(n)
		return nil
	}
	for range n {
		if _, _, _, err := ds.Yield(); err != nil {
			return err
		}
	}
	return nil
}

// catch turns a panic (GoMLX's way of reporting graph errors) into an error naming the stage.
func catch(err *error, stage string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: %v", stage, r)
	}
}

// errPaused stops a run whose pause (RunConfig.Pause) has come, after its checkpoint; Run
// returns a *PausedError.
var errPaused = errors.New("paused")

// PausedError is returned by Run when RunConfig.Pause stopped it: training is unfinished, and
// its checkpoint of Step is saved, so a rerun with the same directory goes on from there.
type PausedError struct {
	Stage       string
	Step, Steps int     // steps done, and of the whole run
	Seconds     float64 // wall time of this Run call
}

func (e *PausedError) Error() string {
	return fmt.Sprintf("%s: paused after %.0f s at step %d of %d; the checkpoint is saved, run again with the same checkpoint directory to go on",
		e.Stage, e.Seconds, e.Step, e.Steps)
}

// errBudgetSpent stops a run whose time budget (RunConfig.Seconds) is spent; Run returns
// normally.
var errBudgetSpent = errors.New("time budget spent")

// budget returns the step hook that ends a run by RunConfig.Seconds, counted from start: once
// the budget is spent, and with Restarts also at a cycle's end when the next cycle would not fit
// at the step rate measured since the first step (which includes compilation, so it is left
// out).
func budget(cfg RunConfig, start time.Time) func(done int) error {
	var first time.Time
	firstStep := 0
	return func(done int) error {
		now := time.Now()
		if first.IsZero() {
			first, firstStep = now, done
		}
		elapsed := now.Sub(start).Seconds()
		if elapsed >= cfg.Seconds {
			return errBudgetSpent
		}
		end, next := CycleEnd(done, cfg.Restarts)
		if cfg.Restarts <= 0 || !end {
			return nil
		}
		if done == firstStep {
			return nil // no rate measured yet
		}
		rate := float64(done-firstStep) / now.Sub(first).Seconds()
		if elapsed+float64(next)/rate > cfg.Seconds {
			return errBudgetSpent
		}
		return nil
	}
}

// stepsDone is the number of optimisation steps done when a step hook runs: the loop's step
// counter, which starts at the context's global step, so the hooks need not read the global
// step variable back from the device after every step.
func stepsDone(loop *train.Loop) int { return loop.LoopStep + 1 }

// runCalls trains from step done to cfg.Steps, cfg.StepsPerCall steps per call to the compiled
// graph (fewer, one at a time, before a boundary: nextBoundary), checking every step's loss and
// running the hooks after each call.
func runCalls(backend backends.Backend, ctx *context.Context, modelFn train.ModelFn, lossFn train.LossFn,
	opt optimizers.Interface, ds train.Dataset, cfg RunConfig, everySteps []int, hooks []stepHook, done int) error {
	exec, err := newStepsExec(backend, ctx, modelFn, lossFn, opt, done > 0)
	if err != nil {
		return err
	}
	// As GoMLX's loop records it, so that a checkpoint holds the same variables either way.
	if err := train.GetTrainLastStepVar(ctx).SetValue(tensors.FromScalar(int64(cfg.Steps))); err != nil {
		return err
	}
	for done < cfg.Steps {
		n := cfg.StepsPerCall
		if nextBoundary(cfg, everySteps, done)-done < n {
			n = 1
		}
		var args []any
		for range n {
			_, inputs, labels, err := ds.Yield()
			if err != nil {
				return err
			}
			if exec.perStep == 0 {
				exec.inputs, exec.perStep = len(inputs), len(inputs)+len(labels)
			} else if len(inputs)+len(labels) != exec.perStep {
				return fmt.Errorf("the dataset yields %d inputs and %d labels, where it yielded %d tensors before", len(inputs), len(labels), exec.perStep)
			}
			for _, t := range inputs {
				args = append(args, t)
			}
			for _, t := range labels {
				args = append(args, t)
			}
		}
		out, err := exec.exec.Exec(args...)
		if err != nil {
			return err
		}
		for i, loss := range tensors.MustCopyFlatData[float32](out[0]) {
			if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
				return &DivergedError{Stage: cfg.Stage, Step: done + 1 + i, What: fmt.Sprintf("the loss is %v", loss), LearningRate: cfg.LearningRate}
			}
		}
		done += n
		for _, h := range hooks {
			if err := h.after(done); err != nil {
				return err
			}
		}
	}
	return nil
}

// stepsExec runs several training steps in one call: its graph takes each step's inputs and
// labels in turn and returns the steps' losses.
type stepsExec struct {
	exec            *context.Exec
	inputs, perStep int // inputs, and inputs plus labels, of one step
}

// newStepsExec returns the graph of one or more training steps on ctx's variables. Each step
// is built as GoMLX's trainer builds one (train.Trainer): the model in training mode, its
// losses (lossFn's, reduced to a scalar, plus those it added with train.AddLoss), the
// optimiser's update and the per-step update hooks, each step reading the variables as the
// previous one left them. resumed says that ctx's variables exist already (a checkpoint was
// loaded), as they do for every graph after the first.
func newStepsExec(backend backends.Backend, ctx *context.Context, modelFn train.ModelFn, lossFn train.LossFn,
	opt optimizers.Interface, resumed bool) (*stepsExec, error) {
	e := &stepsExec{}
	built := resumed
	exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, args []*graph.Node) *graph.Node {
		g := args[0].Graph()
		n := len(args) / e.perStep
		losses := make([]*graph.Node, n)
		trainer := ctx.InAbsPath(train.TrainerAbsoluteScope)
		for i := range n {
			c := ctx
			if built || i > 0 {
				c = ctx.Checked(false) // the variables exist: the steps share them
			}
			c.SetTraining(g, true)
			if i > 0 {
				// Each step's loss starts afresh (GetLosses would sum every step's): from a zero,
				// which adds nothing.
				trainer.SetGraphParam(g, train.TrainerLossGraphParamKey, graph.ZerosLike(losses[i-1]))
			}
			step := args[i*e.perStep : (i+1)*e.perStep]
			predictions := modelFn(c, nil, step[:e.inputs])
			if lossFn != nil {
				loss := lossFn(step[e.inputs:], predictions)
				if !loss.Shape().IsScalar() {
					loss = graph.ReduceAllMean(loss)
				}
				train.AddLoss(c, loss)
			}
			losses[i] = train.GetLosses(c, g)
			opt.UpdateGraph(c, g, losses[i])
			train.ExecPerStepUpdateGraphFn(c, g)
		}
		built = true
		return graph.Stack(losses, 0)
	})
	if err != nil {
		return nil, err
	}
	e.exec = exec
	return e, nil
}
