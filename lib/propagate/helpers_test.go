package propagate

import (
	"math"
	"math/rand/v2"
)

// clustered draws n rows of dimension d around classes random unit centres: row i belongs to
// class i % classes, centre plus Gaussian noise of standard deviation noise per coordinate.
func clustered(n, d, classes int, noise float64, seed uint64) (Matrix, []int32) {
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

// firstPerClass returns the first per rows of each class, in row order.
func firstPerClass(truth []int32, classes, per int) ([]int, []int32) {
	count := make([]int, classes)
	var idx []int
	var lab []int32
	for i, c := range truth {
		if count[c] < per {
			count[c]++
			idx = append(idx, i)
			lab = append(lab, c)
		}
	}
	return idx, lab
}
