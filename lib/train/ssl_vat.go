package train

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// vat is the unsupervised term of virtual adversarial training (Miyato et al. 2018) on the view
// x of the unlabeled images, whose student logits are clean: KL(p̂(x) ‖ p(x + r_adv)) per
// example, with p̂ the clean prediction held fixed (Eq. 4 and 7) and r_adv from one power
// iteration (vatPerturbation). All passes see the same view x, as in Miyato et al.'s code;
// realistic-ssl-evaluation draws a new translation, flip and noise inside each pass, and its
// "forward_kl" consistency is KL(p(x + r_adv) ‖ p̂(x)), the reverse of the paper's.
func (m *sslModel) vat(ctx *context.Context, x, clean *graph.Node) *graph.Node {
	forward := func(x *graph.Node) *graph.Node {
		return m.net(ctx.Reuse().In("classifier"), x, m.numClasses)
	}
	clean = graph.StopGradient(clean)
	d := ctx.RandomNormal(x.Graph(), x.Shape())
	r := vatPerturbation(x, clean, d, forward, m.cfg.VATXi, m.cfg.VATEpsilon, m.cfg.VATIterations)
	return SoftmaxKL(clean, forward(graph.Add(x, r)))
}

// vatPerturbation returns the virtual adversarial perturbation of x [B, …] (Miyato et al. 2018,
// Alg. 1): starting from the random direction d, iterations times d ← ∇_d KL(p̂ ‖ p(x + ξ·d̂))
// at d̂ = d/‖d‖, a power iteration towards the dominant eigenvector of the Hessian of the
// divergence at x; then r_adv = ε·d/‖d‖, per example. clean holds the logits of p̂ and takes no
// gradient; forward maps inputs to logits. The normalisation divides by the largest |d| first,
// as vat_utils.get_normalized_vector, so that tiny gradients do not underflow when squared.
func vatPerturbation(x, clean, d *graph.Node, forward func(*graph.Node) *graph.Node, xi, epsilon float64, iterations int) *graph.Node {
	for range iterations {
		d = graph.MulScalar(normalizePerExample(d), xi)
		kl := graph.ReduceAllMean(SoftmaxKL(clean, forward(graph.Add(x, d))))
		d = graph.StopGradient(graph.Gradient(kl, d)[0])
	}
	return graph.MulScalar(normalizePerExample(d), epsilon)
}

// normalizePerExample scales each example (the first axis) of d to unit L2 norm, as
// vat_utils.get_normalized_vector: by its largest magnitude (+1e-12), then by its norm
// (+1e-6 under the root).
func normalizePerExample(d *graph.Node) *graph.Node {
	axes := make([]int, d.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	d = graph.Div(d, graph.AddScalar(graph.ReduceAndKeep(graph.Abs(d), graph.ReduceMax, axes...), 1e-12))
	return graph.Div(d, graph.Sqrt(graph.AddScalar(graph.ReduceAndKeep(graph.Square(d), graph.ReduceSum, axes...), 1e-6)))
}
