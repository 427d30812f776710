package propagate

import "math"

// Softmax writes Eq. 8, z̄_c = exp(σ·z_c) / Σ_j exp(σ·z_j), into dst (len(z)), computed with
// the maximum subtracted so that large σ·z cannot overflow.
//
// σ multiplies the logits. The paper writes exp(z/τ) with a "temperature", but its σ = 40 is
// the authors' temperature_nc, which multiplies: notebooks/nc.ipynb computes
// exp = (logits * temperature_nc).exp(), and notebooks/nc-colorization.ipynb sweeps
// temperature_nc over 1, 2, 3, 5, …, 35, 40, 100. Dividing O(1) logits by 40 would flatten every
// distribution to near-uniform and every confidence to near zero. So σ = 1/τ.
func Softmax(dst, z []float64, sigma float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	var sum float64
	for c, v := range z {
		dst[c] = math.Exp(sigma * (v - m))
		sum += dst[c]
	}
	for c := range z {
		dst[c] /= sum
	}
}

// Confidence returns α_i of Eq. 9 for every row of logits: the largest minus the second
// largest entry of the Eq. 8 softmax with scale sigma (σ = 40 in the paper; see Softmax). It
// lies in [0, 1]; a single-class row gets 1.
func Confidence(logits Matrix, sigma float64) []float32 {
	out := make([]float32, logits.N)
	p := make([]float64, logits.D)
	z := make([]float64, logits.D)
	for i := 0; i < logits.N; i++ {
		for c, v := range logits.Row(i) {
			z[c] = float64(v)
		}
		Softmax(p, z, sigma)
		out[i] = float32(topTwoGap(p))
	}
	return out
}

// ConfidenceScore returns −log(1 − α_i) for every row of logits, α_i the Eq. 9 confidence with
// scale sigma: the same order as Confidence, but without its saturation. α = p₁ − p₂ rounds to
// 1 once σ·(z₁ − z₂) passes about 20 (float32) or 37 (float64), so rows that are all "sure"
// would tie; the score stays finite and ordered up to σ·(z₁ − z₂) ≈ 700. With
// R = Σ_{j≠1} exp(σ(z_j − z₁)) and S = 1 + R, 1 − α = (R + exp(σ(z₂ − z₁)))/S, so the score is
// log1p(R) − log(R + exp(σ(z₂ − z₁))). A single-class row, or one whose margin is beyond that
// range, gets +Inf.
func ConfidenceScore(logits Matrix, sigma float64) []float64 {
	out := make([]float64, logits.N)
	for i := 0; i < logits.N; i++ {
		row := logits.Row(i)
		best := Argmax(row)
		z1 := float64(row[best])
		second := math.Inf(-1)
		var r float64
		for c, v := range row {
			if c == best {
				continue
			}
			r += math.Exp(sigma * (float64(v) - z1))
			second = math.Max(second, float64(v))
		}
		e2 := math.Exp(sigma * (second - z1))
		if r+e2 == 0 {
			out[i] = math.Inf(1)
			continue
		}
		out[i] = math.Log1p(r) - math.Log(r+e2)
	}
	return out
}

// MarginConfidence returns the authors' pseudo-label weight 1 − exp(−(z₁ − z₂)) for every row,
// z₁ ≥ z₂ the two largest logits (notebooks/nc.ipynb, temperature_nc = 1). It ranks rows the
// same way as the raw logit margin; it is offered to compare with Eq. 9, which Run uses.
func MarginConfidence(logits Matrix) []float32 {
	out := make([]float32, logits.N)
	z := make([]float64, logits.D)
	for i := 0; i < logits.N; i++ {
		for c, v := range logits.Row(i) {
			z[c] = float64(v)
		}
		out[i] = float32(-math.Expm1(-topTwoGap(z)))
	}
	return out
}

// topTwoGap returns the largest minus the second largest entry (the largest when len is 1).
func topTwoGap(p []float64) float64 {
	first, second := math.Inf(-1), math.Inf(-1)
	for _, v := range p {
		if v > first {
			first, second = v, first
		} else if v > second {
			second = v
		}
	}
	if math.IsInf(second, -1) {
		return first
	}
	return first - second
}
