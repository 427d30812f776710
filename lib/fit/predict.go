package fit

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/killpoint"
)

// Predict evaluates fn (images [B, H, W, C] → outputs [B, D]) in inference mode on the images
// idx of ds (all of them when idx is nil), batchSize at a time, and returns the outputs as a
// row-major len(idx)×D matrix. The last batch is padded to full size so one graph serves all.
// It compiles fn anew at every call; a Predictor keeps the compiled graph.
func Predict(backend backends.Backend, ctx *context.Context, fn func(ctx *context.Context, images *graph.Node) *graph.Node,
	ds *data.Dataset, idx []int, batchSize int, progress Progress, stage string) (out []float32, dim int, err error) {
	defer catch(&err, stage)
	p, err := NewPredictor(backend, ctx, fn, batchSize)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", stage, err)
	}
	return p.Predict(ds, idx, progress, stage)
}

// Predictor evaluates a network as Predict does, compiling its graph once for every call: a
// monitor that measures a network at every cycle's end of a long run uses one. Each call reads
// the variables' current values, so it sees the training's latest weights. It is not safe for
// concurrent use.
type Predictor struct {
	exec      *context.Exec
	batchSize int
}

// NewPredictor returns a Predictor of fn on the variables of ctx, batchSize images at a time.
func NewPredictor(backend backends.Backend, ctx *context.Context, fn func(ctx *context.Context, images *graph.Node) *graph.Node,
	batchSize int) (*Predictor, error) {
	if batchSize < 1 {
		return nil, fmt.Errorf("prediction batch size %d must be positive", batchSize)
	}
	// The trainer leaves the context in training mode; batch norm would then normalise with the
	// statistics of each (padded) inference batch instead of its moving averages.
	inference := func(ctx *context.Context, images *graph.Node) *graph.Node {
		ctx.SetTraining(images.Graph(), false)
		return fn(ctx, images)
	}
	exec, err := context.NewExec(backend, ctx.Reuse(), inference)
	if err != nil {
		return nil, err
	}
	return &Predictor{exec: exec, batchSize: batchSize}, nil
}

// Predict returns the outputs on the images idx of ds (all of them when idx is nil) as a
// row-major len(idx)×D matrix, reporting progress under stage.
func (p *Predictor) Predict(ds *data.Dataset, idx []int, progress Progress, stage string) (out []float32, dim int, err error) {
	defer catch(&err, stage)
	if idx == nil {
		idx = make([]int, ds.N)
		for i := range idx {
			idx[i] = i
		}
	}
	if len(idx) == 0 {
		return nil, 0, fmt.Errorf("%s: no images to evaluate", stage)
	}
	batchSize := p.batchSize
	for start := 0; start < len(idx); start += batchSize {
		end := min(start+batchSize, len(idx))
		batch := make([]int, batchSize)
		for i := range batch {
			batch[i] = idx[min(start+i, end-1)]
		}
		x := tensors.FromFlatDataAndDimensions(ds.Float32(batch), batchSize, ds.H, ds.W, ds.C)
		res, err := p.exec.Exec(x)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", stage, err)
		}
		vals := tensors.MustCopyFlatData[float32](res[0])
		dim = len(vals) / batchSize
		if out == nil {
			out = make([]float32, 0, len(idx)*dim)
		}
		out = append(out, vals[:(end-start)*dim]...)
		killpoint.Hit("predict: batch")
		if progress != nil {
			progress(stage, end, len(idx))
		}
	}
	return out, dim, nil
}
