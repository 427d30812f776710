package nets

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// bnReference is batch norm in training mode written directly (scale 1, offset 0): x is
// [n, c] row-major, normalised per column with the biased batch variance.
func bnReference(x []float64, n, c int) []float64 {
	out := make([]float64, len(x))
	for j := 0; j < c; j++ {
		var mean, v float64
		for i := 0; i < n; i++ {
			mean += x[i*c+j]
		}
		mean /= float64(n)
		for i := 0; i < n; i++ {
			v += (x[i*c+j] - mean) * (x[i*c+j] - mean)
		}
		v /= float64(n)
		for i := 0; i < n; i++ {
			out[i*c+j] = (x[i*c+j] - mean) / math.Sqrt(v+batchNormEpsilon)
		}
	}
	return out
}

// TestBatchNormTrainingForwardAndGradient checks BatchNorm's training output against
// bnReference and its input gradient against central finite differences of bnReference. The
// gradient includes the terms through the batch mean and variance; without them it would be
// off by O(1).
func TestBatchNormTrainingForwardAndGradient(t *testing.T) {
	backend := testBackend(t)
	const b, h, w, c = 3, 2, 2, 3
	n := b * h * w
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float64, n*c)
	r := make([]float64, n*c)
	for i := range x {
		x[i] = 2*rng.NormFloat64() + 1
		r[i] = rng.NormFloat64()
	}
	// loss = Σ r·sin(BN(x)): a non-constant adjoint.
	lossOf := func(x []float64) float64 {
		var s float64
		for i, y := range bnReference(x, n, c) {
			s += r[i] * math.Sin(y)
		}
		return s
	}
	ctx := context.New()
	exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, xs, rs *graph.Node) []*graph.Node {
		ctx.SetTraining(xs.Graph(), true)
		y := BatchNorm(ctx.In("bn"), xs)
		loss := graph.ReduceAllSum(graph.Mul(rs, graph.Sin(y)))
		return []*graph.Node{y, graph.Gradient(loss, xs)[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, b, h, w, c), tensors.FromFlatDataAndDimensions(r, b, h, w, c))
	if err != nil {
		t.Fatal(err)
	}
	y := tensors.MustCopyFlatData[float64](outs[0])
	grad := tensors.MustCopyFlatData[float64](outs[1])
	for i, want := range bnReference(x, n, c) {
		if math.Abs(y[i]-want) > 1e-9 {
			t.Fatalf("output %d = %v, want %v", i, y[i], want)
		}
	}
	for i := range x {
		const eps = 1e-6
		orig := x[i]
		x[i] = orig + eps
		up := lossOf(x)
		x[i] = orig - eps
		down := lossOf(x)
		x[i] = orig
		if want := (up - down) / (2 * eps); math.Abs(grad[i]-want) > 1e-6 {
			t.Errorf("d loss/d x[%d] = %.8f, finite differences %.8f", i, grad[i], want)
		}
	}
}

// In inference BatchNorm uses the moving averages: after one training step they are the
// batch's own statistics (the debiased average of one value), so inference on the same batch
// reproduces the training output.
func TestBatchNormInferenceUsesAverages(t *testing.T) {
	backend := testBackend(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const n, c = 16, 4
	x := make([]float32, n*c)
	for i := range x {
		x[i] = float32(3*rng.NormFloat64() - 2)
	}
	ctx := context.New()
	run := func(training bool) []float32 {
		vars := ctx
		if !training {
			vars = ctx.Reuse()
		}
		exec, err := context.NewExec(backend, vars, func(ctx *context.Context, xs *graph.Node) *graph.Node {
			ctx.SetTraining(xs.Graph(), training)
			return BatchNorm(ctx.In("bn"), xs)
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, n, c))
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](out[0])
	}
	train := run(true)
	infer := run(false)
	for i := range train {
		if math.Abs(float64(train[i]-infer[i])) > 1e-4 {
			t.Fatalf("inference %d = %v, training %v", i, infer[i], train[i])
		}
	}
}
