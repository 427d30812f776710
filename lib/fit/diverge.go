package fit

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
)

// DivergedError stops a training run whose loss, or one of whose variables, became NaN or
// ±Inf.
type DivergedError struct {
	Stage string
	// Step is the step at which it was seen: the step's loss, or the variables at a checkpoint.
	Step int
	// What is what was found, e.g. "the loss is NaN".
	What         string
	LearningRate float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("%s: training diverged by step %d: %s; the learning rate (%g) is likely too high, lower it; "+
		"or the inputs hold non-finite values", e.Stage, e.Step, e.What, e.LearningRate)
}

// checkLoss returns a *DivergedError when the step's loss, the first of the trainer's metrics,
// is not finite. The loop has copied the metrics to the host already, so this reads one number.
func checkLoss(cfg RunConfig, step int, metrics []*tensors.Tensor) error {
	if len(metrics) == 0 {
		return nil
	}
	loss := shapes.ConvertTo[float64](metrics[0].Value())
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return &DivergedError{Stage: cfg.Stage, Step: step, What: fmt.Sprintf("the loss is %v", loss), LearningRate: cfg.LearningRate}
	}
	return nil
}

// saveError explains a failed checkpoint save at step: a *DivergedError when a variable was not
// finite.
func saveError(cfg RunConfig, step int, err error) error {
	var nf *checkpoint.NonFiniteError
	if errors.As(err, &nf) {
		return &DivergedError{Stage: cfg.Stage, Step: step, What: nf.Error() + ", so no checkpoint was saved", LearningRate: cfg.LearningRate}
	}
	return fmt.Errorf("%s: saving the checkpoint of step %d in %s: %w", cfg.Stage, step, cfg.Checkpoints.Path, err)
}
