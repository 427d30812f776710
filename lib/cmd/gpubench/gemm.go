package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// parseGEMM reads "MxKxN", the sizes of a product of an M×K by a K×N matrix.
func parseGEMM(s string) ([3]int, error) {
	var mkn [3]int
	parts := strings.Split(s, "x")
	if len(parts) != 3 {
		return mkn, fmt.Errorf("-gemm %q: want MxKxN, e.g. 2048x2048x2048", s)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 {
			return mkn, fmt.Errorf("-gemm %q: %q is not a positive size", s, p)
		}
		mkn[i] = v
	}
	return mkn, nil
}

// timeGEMM times the float32 product of a random M×K by a random K×N matrix on backend: one
// untimed call that compiles the graph, then calls for budget seconds (at least one, each
// waited for) or steps calls when budget is 0. It returns the rate in GFLOP/s, counting
// 2·M·K·N operations a product, and the calls timed.
func timeGEMM(backend backends.Backend, mkn [3]int, steps int, budget float64) (gflops float64, timed int, seconds float64, err error) {
	m, k, n := mkn[0], mkn[1], mkn[2]
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(size int) []float32 {
		v := make([]float32, size)
		for i := range v {
			v[i] = rng.Float32()
		}
		return v
	}
	a := tensors.FromFlatDataAndDimensions(random(m*k), m, k)
	b := tensors.FromFlatDataAndDimensions(random(k*n), k, n)
	exec, err := graph.NewExec(backend, func(a, b *graph.Node) *graph.Node { return graph.MatMul(a, b) })
	if err != nil {
		return 0, 0, 0, fmt.Errorf("gemm %dx%dx%d: %w", m, k, n, err)
	}
	defer exec.Finalize()
	call := func() error {
		out, err := exec.Exec1(a, b)
		if err != nil {
			return fmt.Errorf("gemm %dx%dx%d: %w", m, k, n, err)
		}
		// Reading one value back waits for the product.
		_ = tensors.MustCopyFlatData[float32](out)[0]
		out.FinalizeAll()
		return nil
	}
	if err := call(); err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	if budget > 0 {
		timed, err = timeBoxed(budget, call)
	} else {
		for timed = 0; timed < steps && err == nil; timed++ {
			err = call()
		}
	}
	if err != nil {
		return 0, 0, 0, err
	}
	seconds = time.Since(start).Seconds()
	return 2 * float64(m) * float64(k) * float64(n) * float64(timed) / seconds / 1e9, timed, seconds, nil
}
