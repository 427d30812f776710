package fit

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// TestNesterovSGD runs three steps on L = Σ c_i·w_i² (gradient 2·c_i·w_i) and checks the weights
// against PyTorch's update rule for SGD with Nesterov momentum and weight decay, written here in
// float64.
func TestNesterovSGD(t *testing.T) {
	backend := testBackend(t)
	c := []float64{1, 0.5, -0.25}
	w0 := []float32{1, -2, 3}
	const lr, mu, wd = 0.1, 0.9, 0.01
	for _, tc := range []struct {
		name         string
		momentum, wd float64
	}{
		{"momentum and weight decay", mu, wd},
		{"plain SGD", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.New()
			ctx.SetParam(optimizers.ParamLearningRate, lr)
			wVar := ctx.In("model").VariableWithValue("w", append([]float32(nil), w0...))
			opt := NesterovSGD{Momentum: tc.momentum, WeightDecay: tc.wd}
			exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, g *graph.Graph) *graph.Node {
				w := wVar.ValueGraph(g)
				loss := graph.ReduceAllSum(graph.Mul(graph.Square(w), graph.Const(g, []float32{float32(c[0]), float32(c[1]), float32(c[2])})))
				opt.UpdateGraph(ctx, g, loss)
				return loss
			})
			if err != nil {
				t.Fatal(err)
			}
			w := []float64{float64(w0[0]), float64(w0[1]), float64(w0[2])}
			b := make([]float64, 3)
			for step := 1; step <= 3; step++ {
				if _, err := exec.Exec(); err != nil {
					t.Fatal(err)
				}
				for i := range w {
					d := 2*c[i]*w[i] + tc.wd*w[i]
					b[i] = tc.momentum*b[i] + d
					w[i] -= lr * (d + tc.momentum*b[i])
				}
				got := tensors.MustCopyFlatData[float32](wVar.MustValue())
				for i := range w {
					if math.Abs(float64(got[i])-w[i]) > 1e-5 {
						t.Fatalf("step %d: w[%d] = %g, PyTorch's rule gives %g", step, i, got[i], w[i])
					}
				}
			}
			if err := opt.Clear(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
