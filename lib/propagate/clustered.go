package propagate

import (
	"math"
	"math/rand/v2"
)

// Clustered draws n seeded rows of dimension d around classes random unit centres: row i
// belongs to class i % classes, centre plus Gaussian noise of standard deviation noise per
// coordinate. It is the synthetic feature matrix of the tests, benchmarks and the propagation
// bench: easy to separate at noise 0.2, hard at 1.
func Clustered(n, d, classes int, noise float64, seed uint64) (Matrix, []int32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float64, classes)
	for c := range centres {
		v := make([]float64, d)
		var ss float64
		for j := range v {
			v[j] = rng.NormFloat64()
			ss += v[j] * v[j]
		}
		for j := range v {
			v[j] /= math.Sqrt(ss)
		}
		centres[c] = v
	}
	x := NewMatrix(n, d)
	truth := make([]int32, n)
	for i := 0; i < n; i++ {
		c := i % classes
		truth[i] = int32(c)
		row := x.Row(i)
		for j := range row {
			row[j] = float32(centres[c][j] + noise*rng.NormFloat64())
		}
	}
	return x, truth
}
