package train

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// The unsupervised terms of the semi-supervised baselines, per example ([B, C] logits in, [B]
// out), written as realistic-ssl-evaluation's lib/ssl_utils.py and third_party/vat/vat_utils.py
// compute them (Oliver et al. 2018); FitSSL averages them over the unlabeled half of a batch.

// SoftmaxMSE is the consistency cost of the Π-model and Mean Teacher: the mean over the C
// classes of the squared difference between the two softmax outputs,
// (1/C) Σ_c (softmax(a)_c − softmax(b)_c)² (ssl_utils.mse_from_logits).
func SoftmaxMSE(a, b *graph.Node) *graph.Node {
	return graph.ReduceMean(graph.Square(graph.Sub(graph.Softmax(a, -1), graph.Softmax(b, -1))), -1)
}

// SoftmaxKL is KL(q ‖ p) = Σ_c q_c (log q_c − log p_c) with q = softmax(q_logits) and
// p = softmax(p_logits) (vat_utils.kl_divergence_with_logit): VAT's local distributional
// smoothness with q the clean prediction and p the perturbed one (Miyato et al. 2018, Eq. 4).
func SoftmaxKL(qLogits, pLogits *graph.Node) *graph.Node {
	logQ := graph.LogSoftmax(qLogits, -1)
	logP := graph.LogSoftmax(pLogits, -1)
	return graph.ReduceSum(graph.Mul(graph.Exp(logQ), graph.Sub(logQ, logP)), -1)
}

// SoftmaxEntropy is the entropy −Σ_c p_c log p_c of p = softmax(logits): the entropy
// minimisation term of VAT+EM (Grandvalet & Bengio 2005; Miyato et al. 2018, §4.2;
// ssl_utils.entropy_from_logits).
func SoftmaxEntropy(logits *graph.Node) *graph.Node {
	logP := graph.LogSoftmax(logits, -1)
	return graph.Neg(graph.ReduceSum(graph.Mul(graph.Exp(logP), logP), -1))
}

// RampUp is the weight of the consistency cost after step optimisation steps:
// exp(−5 (1 − step/steps)²) while step < steps, then 1 (the sigmoid-shaped ramp-up of Laine &
// Aila 2017 and Tarvainen & Valpola 2017, App. B.1, as realistic-ssl-evaluation's
// ssl_framework.py applies it). steps ≤ 0 means no ramp-up.
func RampUp(step, steps int) float64 {
	if steps <= 0 || step >= steps {
		return 1
	}
	x := 1 - float64(step)/float64(steps)
	return math.Exp(-5 * x * x)
}

// rampUpGraph is RampUp in the graph, step a scalar (any numeric dtype) and the result float32.
func rampUpGraph(step *graph.Node, steps int) *graph.Node {
	g := step.Graph()
	s := graph.ConvertDType(step, graphFloat)
	if steps <= 0 {
		return graph.OnesLike(s)
	}
	x := graph.OneMinus(graph.Min(graph.DivScalar(s, float64(steps)), graph.Scalar(g, graphFloat, 1)))
	return graph.Exp(graph.MulScalar(graph.Square(x), -5))
}
