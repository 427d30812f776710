package fit

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// NesterovSGD is stochastic gradient descent with Nesterov momentum and L2 weight decay, the
// optimiser of the authors' pretraining and classifier code (SGD, Nesterov momentum 0.9, weight
// decay 5e-4), computed as PyTorch's torch.optim.SGD(nesterov=True) does:
//
//	d = g + WeightDecay·w,  b ← Momentum·b + d,  w ← w − lr·(d + Momentum·b),
//
// with the velocity b starting at 0. The learning rate is GoMLX's learning-rate variable, so a
// cosine schedule (see Run) drives it. GoMLX v0.26.0's own SGD has no momentum. It implements
// GoMLX's optimizers.Interface; the velocities are variables (saved in checkpoints) under the
// absolute scope "/nesterov_sgd".
type NesterovSGD struct {
	Momentum, WeightDecay float64
}

// Optimizers are the names NewOptimizer knows.
var Optimizers = []string{OptimizerAdam, OptimizerSGD}

// The optimisers' names.
const (
	OptimizerAdam = "adam"
	OptimizerSGD  = "sgd"
)

// NewOptimizer returns the optimiser name selects: "adam" (or ""), GoMLX's Adam; "sgd",
// NesterovSGD with the authors' momentum 0.9 and weight decay 5e-4.
func NewOptimizer(name string) (optimizers.Interface, error) {
	switch name {
	case "", OptimizerAdam:
		return optimizers.Adam().Done(), nil
	case OptimizerSGD:
		return NesterovSGD{Momentum: 0.9, WeightDecay: 5e-4}, nil
	}
	return nil, fmt.Errorf("unknown optimiser %q, want one of %v", name, Optimizers)
}

// nesterovScope holds the velocities.
const nesterovScope = "nesterov_sgd"

// UpdateGraph adds one update of every trainable variable used by the graph; it panics, as GoMLX
// optimisers do, on a non-scalar loss.
func (o NesterovSGD) UpdateGraph(ctx *context.Context, g *graph.Graph, loss *graph.Node) {
	if !loss.Shape().IsScalar() {
		panic(fmt.Sprintf("NesterovSGD: the loss must be a scalar, got shape %s", loss.Shape()))
	}
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	dtype := loss.DType()
	lr := optimizers.LearningRateVar(ctx, dtype, context.GetParamOr(ctx, optimizers.ParamLearningRate, 0.03)).ValueGraph(g)
	optimizers.IncrementGlobalStepGraph(ctx, g, dtype)
	i := 0
	for v := range ctx.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		grad := grads[i]
		i++
		w := v.ValueGraph(g)
		d := graph.Add(grad, graph.MulScalar(w, o.WeightDecay))
		velocity := ctx.Checked(false).InAbsPath(context.ScopeSeparator+nesterovScope+v.Scope()).
			WithInitializer(initializers.Zero).VariableWithShape(v.Name()+"_velocity", v.Shape()).SetTrainable(false)
		b := graph.Add(graph.MulScalar(velocity.ValueGraph(g), o.Momentum), d)
		step := graph.Add(d, graph.MulScalar(b, o.Momentum))
		v.SetValueGraph(graph.Sub(w, graph.Mul(step, graph.ConvertDType(lr, w.DType()))))
		velocity.SetValueGraph(b)
	}
}

// Clear deletes the velocities.
func (o NesterovSGD) Clear(ctx *context.Context) error {
	return ctx.InAbsPath(context.ScopeSeparator + nesterovScope).DeleteVariablesInScope()
}
