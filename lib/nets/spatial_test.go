package nets

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The maps, flattened or pooled, must be the backbones' features with the same variables.
func TestMapsMatchBackbones(t *testing.T) {
	flat := func(m *graph.Node) *graph.Node { return graph.Reshape(m, m.Shape().Dimensions[0], -1) }
	mean := func(m *graph.Node) *graph.Node { return graph.ReduceMean(m, 1, 2) }
	for _, tc := range []struct {
		name     string
		params   map[string]any
		features func(*context.Context, *graph.Node) *graph.Node
		mapFn    func(*context.Context, *graph.Node) *graph.Node
		pool     func(*graph.Node) *graph.Node
		mapDims  []int
	}{
		{"conv-4", map[string]any{ParamChannels: 4}, Conv4, Conv4Map, flat, []int{2, 1, 1, 4}},
		{"wrn-10-1", map[string]any{ParamWRNDepth: 10, ParamWRNWidth: 1}, WRN, WRNMap, mean, []int{2, 2, 2, 64}},
		{"resnet-18", map[string]any{ParamResNetDepth: 18, ParamResNetStem: string(ResNetStemCIFAR)}, ResNet, ResNetMap, mean, []int{2, 1, 1, 512}},
	} {
		ctx := context.New()
		for k, v := range tc.params {
			ctx.SetParam(k, v)
		}
		x := tensors.FromFlatDataAndDimensions(randSlice(rand.New(rand.NewPCG(7, 9)), 2*8*8*1), 2, 8, 8, 1)
		outs := context.MustExecOnceN(wrnBackend(t), ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
			f := tc.features(ctx.In("backbone"), x)
			m := tc.mapFn(ctx.Reuse().In("backbone"), x)
			return []*graph.Node{f, tc.pool(m), m}
		}, x)
		if got := outs[2].Shape().Dimensions; len(got) != 4 || got[0] != tc.mapDims[0] || got[1] != tc.mapDims[1] ||
			got[2] != tc.mapDims[2] || got[3] != tc.mapDims[3] {
			t.Errorf("%s: map shape %v, want %v", tc.name, got, tc.mapDims)
		}
		want, got := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
		if len(want) != len(got) {
			t.Fatalf("%s: %d pooled values, want %d", tc.name, len(got), len(want))
		}
		for i := range want {
			if math.Abs(float64(want[i]-got[i])) > 1e-5 {
				t.Fatalf("%s: pooled map value %d is %g, backbone feature %g", tc.name, i, got[i], want[i])
			}
		}
	}
}
