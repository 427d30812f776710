package main

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/backendtest"
)

func TestMatmulFLOPs(t *testing.T) {
	backend := backendtest.New(t, "go")
	param := func(g *graph.Graph, name string, dims ...int) *graph.Node {
		return graph.Parameter(g, name, shapes.Make(dtypes.Float32, dims...))
	}
	// Conv-4's forward pass on one 32×32×3 image, by hand: four 3×3 convolutions to 64
	// channels at 32², 16², 8² and 4² pixels (27 then 576 inputs a pixel), and the 2·2·64 → 10
	// linear layer; 2 FLOPs a multiply-add.
	conv4 := 2.0 * (32*32*27*64 + 16*16*576*64 + 8*8*576*64 + 4*4*576*64 + 256*10)
	for _, tc := range []struct {
		name  string
		build func(g *graph.Graph)
		flops float64
		convs int
	}{
		{"Dot matrix", func(g *graph.Graph) { graph.Dot(param(g, "a", 4, 5), param(g, "b", 5, 3)) }, 2 * 4 * 3 * 5, 0},
		{"Dot vector", func(g *graph.Graph) { graph.Dot(param(g, "a", 4, 5), param(g, "b", 5)) }, 2 * 4 * 5, 0},
		{"DotGeneral batched", func(g *graph.Graph) {
			graph.Einsum("bij,bjk->bik", param(g, "a", 2, 4, 5), param(g, "b", 2, 5, 3))
		}, 2 * 2 * 4 * 3 * 5, 0},
		{"DotGeneral two contracted axes", func(g *graph.Graph) {
			graph.Einsum("ijk,jkl->il", param(g, "a", 4, 5, 6), param(g, "b", 5, 6, 3))
		}, 2 * 4 * 3 * 5 * 6, 0},
		{"two products", func(g *graph.Graph) {
			a := param(g, "a", 4, 5)
			graph.Dot(graph.Dot(a, param(g, "b", 5, 3)), param(g, "c", 3, 2))
		}, 2*4*3*5 + 2*4*2*3, 0},
		{"native convolution left out", func(g *graph.Graph) {
			graph.Convolve(param(g, "x", 1, 8, 8, 3), param(g, "k", 3, 3, 3, 4)).Strides(1).NoPadding().Done()
		}, 0, 1},
		{"Conv-4 forward, 32×32×3", func(g *graph.Graph) {
			ctx := context.New()
			b, err := newBackbone(ctx, "conv-4")
			if err != nil {
				t.Fatal(err)
			}
			b.classify(ctx, param(g, "images", 1, 32, 32, 3))
		}, conv4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.NewGraph(backend, tc.name)
			tc.build(g)
			flops, convs, err := matmulFLOPs(g)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(flops-tc.flops) > 1e-9*tc.flops || convs != tc.convs {
				t.Errorf("matmulFLOPs = %g FLOPs and %d native convolutions, want %g and %d", flops, convs, tc.flops, tc.convs)
			}
		})
	}
}
