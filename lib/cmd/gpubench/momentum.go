package main

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// momentumSGD is SGD with heavy-ball momentum and L2 weight decay with PyTorch's update rule
// (torch.optim.SGD: g += wd·w; v = μ·v + g; w -= lr·v), the optimiser of the WRN papers.
// GoMLX v0.26.0 ships SGD without momentum, and the benchmark must do the same work per step
// as torch_bench.py: one velocity buffer read and written per parameter.
type momentumSGD struct {
	lr, momentum, weightDecay float64
}

const momentumScope = "momentum_sgd"

// UpdateGraph implements optimizers.Interface.
func (o momentumSGD) UpdateGraph(ctx *context.Context, g *graph.Graph, loss *graph.Node) {
	if !loss.Shape().IsScalar() {
		panic(fmt.Sprintf("momentumSGD: the loss must be a scalar, got %s", loss.Shape()))
	}
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	optimizers.IncrementGlobalStepGraph(ctx, g, dtypes.Int64)
	i := 0
	for v := range ctx.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if i >= len(grads) {
			panic("momentumSGD: more trainable variables than gradients")
		}
		w := v.ValueGraph(g)
		grad := graph.Add(grads[i], graph.MulScalar(w, o.weightDecay))
		velVar := ctx.Checked(false).InAbsPath(context.ScopeSeparator+momentumScope+v.Scope()).
			WithInitializer(initializers.Zero).VariableWithShape(v.Name()+"_velocity", v.Shape()).SetTrainable(false)
		vel := graph.Add(graph.MulScalar(velVar.ValueGraph(g), o.momentum), grad)
		velVar.SetValueGraph(vel)
		v.SetValueGraph(graph.Sub(w, graph.MulScalar(vel, o.lr)))
		i++
	}
	if i != len(grads) {
		panic(fmt.Sprintf("momentumSGD: %d gradients for %d trainable variables", len(grads), i))
	}
}

// Clear implements optimizers.Interface.
func (o momentumSGD) Clear(ctx *context.Context) error {
	return ctx.InAbsPath(context.ScopeSeparator + momentumScope).DeleteVariablesInScope()
}
