package fit

import "github.com/gomlx/gomlx/pkg/ml/context"

// Seed makes the random initial values of the variables created in ctx, and the graph's other
// random draws, follow seed: it sets GoMLX's context.ParamInitialSeed, without which every run
// starts from a fresh cryptographic seed and no two runs are alike. Call it before the first
// graph is built.
func Seed(ctx *context.Context, seed uint64) {
	ctx.SetParam(context.ParamInitialSeed, int64(seed))
}
