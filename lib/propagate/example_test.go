package propagate_test

import (
	"fmt"

	"github.com/metric-transfer/mtlp/lib/propagate"
)

// Two classes of 3-d features and one labelled row of each: Run gives every row a pseudo label
// (Eq. 7) and a confidence (Eq. 9), by either method. DefaultConfig holds the paper's settings,
// made for thousands of rows; its kNN graph of 20 needs more rows than the ten here.
func ExampleRun() {
	x := propagate.Matrix{N: 10, D: 3, Data: []float32{
		1.0, 0.1, 0.0, // class 0
		0.9, 0.2, 0.1,
		1.0, 0.0, 0.2,
		0.8, 0.1, 0.1,
		0.9, 0.0, 0.0,
		0.1, 1.0, 0.0, // class 1
		0.2, 0.9, 0.1,
		0.0, 1.0, 0.2,
		0.1, 0.8, 0.1,
		0.0, 0.9, 0.0,
	}}
	labelled := []int{0, 5} // row indices
	labels := []int32{0, 1} // their classes
	for _, m := range []propagate.Method{propagate.NearestNeighbour, propagate.Spectral} {
		cfg := propagate.DefaultConfig(m)
		cfg.GraphK = 4
		res, err := propagate.Run(x, labelled, labels, 2, cfg, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		// res.Confidence (Eq. 9) and res.Score rank the pseudo labels, most trustworthy first.
		fmt.Printf("%-8s %v\n", m, res.Labels)
	}
	// Output:
	// nn       [0 0 0 0 0 1 1 1 1 1]
	// spectral [0 0 0 0 0 1 1 1 1 1]
}
