package fewshot

import "math"

// Interval is a mean over episodes with its 95 % confidence interval, the ± of Table 7.
type Interval struct {
	Mean float64 `json:"mean"`
	// HalfWidth is 1.96·σ/√n, σ the standard deviation of the values (divided by n, as numpy's
	// default and the usual few-shot evaluation code compute it): the interval is Mean ±
	// HalfWidth.
	HalfWidth float64 `json:"half_width"`
	Std       float64 `json:"std"`
	N         int     `json:"n"`
}

// Summarize returns the mean of values and its 95 % interval (normal approximation); no values
// give the zero Interval.
func Summarize(values []float64) Interval {
	n := len(values)
	if n == 0 {
		return Interval{}
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	mean := sum / float64(n)
	var ss float64
	for _, v := range values {
		ss += (v - mean) * (v - mean)
	}
	std := math.Sqrt(ss / float64(n))
	return Interval{Mean: mean, HalfWidth: 1.96 * std / math.Sqrt(float64(n)), Std: std, N: n}
}
