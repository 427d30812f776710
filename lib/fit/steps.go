package fit

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

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
			for _, t := range append(inputs, labels...) {
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
