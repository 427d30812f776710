package metric

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func TestColorLossByHand(t *testing.T) {
	// One image of 1×2 pixels, Q = 3 bins, K = 2 bins of soft target per pixel.
	logits := [][][][]float32{{{{1, 2, 0}, {0, 0, 3}}}}
	bins := [][][][]int32{{{{1, 0}, {2, 1}}}}
	weights := [][][][]float32{{{{0.75, 0.25}, {0.5, 0.5}}}}
	classWeights := []float32{2, 1, 0.5}
	logSoftmax := func(row []float32, j int32) float64 {
		z := 0.0
		for _, v := range row {
			z += math.Exp(float64(v))
		}
		return float64(row[j]) - math.Log(z)
	}
	var plain, weighted float64
	for px := range 2 {
		row := logits[0][0][px]
		ce := 0.0
		for j := range 2 {
			ce -= float64(weights[0][0][px][j]) * logSoftmax(row, bins[0][0][px][j])
		}
		plain += ce / 2
		weighted += float64(classWeights[bins[0][0][px][0]]) * ce / 2 // weight of the nearest bin
	}
	// The same numbers written out: pixel 0 −(0.75·log σ(2) + 0.25·log σ(1)) over e¹+e²+e⁰.
	z0, z1 := math.E+math.E*math.E+1, 2+math.Exp(3)
	ce0 := -(0.75*(2-math.Log(z0)) + 0.25*(1-math.Log(z0)))
	ce1 := -(0.5*(3-math.Log(z1)) + 0.5*(0-math.Log(z1)))
	if math.Abs(plain-(ce0+ce1)/2) > 1e-12 || math.Abs(weighted-(ce0*1+ce1*0.5)/2) > 1e-12 {
		t.Fatalf("reference loop %g, %g disagrees with the written-out values", plain, weighted)
	}
	lt, bt, wt := tensors.FromValue(logits), tensors.FromValue(bins), tensors.FromValue(weights)
	got := graph.MustExecOnceN(testBackend(t), func(l, b, w, cw *graph.Node) []*graph.Node {
		return []*graph.Node{ColorLoss(l, b, w, nil), ColorLoss(l, b, w, cw)}
	}, lt, bt, wt, tensors.FromValue(classWeights))
	if g := float64(got[0].Value().(float32)); math.Abs(g-plain) > 1e-5 {
		t.Errorf("ColorLoss = %g, by hand %g", g, plain)
	}
	if g := float64(got[1].Value().(float32)); math.Abs(g-weighted) > 1e-5 {
		t.Errorf("ColorLoss with class weights = %g, by hand %g", g, weighted)
	}
}

// A dense soft target from SoftEncode (the paper's q of Eq. 3) against the sparse form.
func TestColorLossMatchesDenseCrossEntropy(t *testing.T) {
	g := DefaultGamut()
	cfg := DefaultSoftEncoding()
	rng := rand.New(rand.NewPCG(10, 11))
	const p = 6
	ab := make([]float32, 2*p)
	for i := range ab {
		ab[i] = float32(rng.Float64()*100 - 50)
	}
	bins, weights, err := g.SoftEncode(ab, cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, k := g.Q(), cfg.Neighbours
	logits := make([]float32, p*q)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64())
	}
	// The loss, and its gradient (softmax − target)/P.
	want, wantGrad := 0.0, make([]float64, p*q)
	for i := range p {
		target := make([]float64, q)
		for j := range k {
			target[bins[i*k+j]] += float64(weights[i*k+j])
		}
		z := 0.0
		for _, v := range logits[i*q : (i+1)*q] {
			z += math.Exp(float64(v))
		}
		for c, tq := range target {
			want -= tq * (float64(logits[i*q+c]) - math.Log(z)) / p
			wantGrad[i*q+c] = (math.Exp(float64(logits[i*q+c]))/z - tq) / p
		}
	}
	out := graph.MustExecOnceN(testBackend(t), func(l, b, w *graph.Node) []*graph.Node {
		loss := ColorLoss(l, b, w, nil)
		return []*graph.Node{loss, graph.Gradient(loss, l)[0]}
	}, tensors.FromFlatDataAndDimensions(logits, 2, 3, q), tensors.FromFlatDataAndDimensions(bins, 2, 3, k),
		tensors.FromFlatDataAndDimensions(weights, 2, 3, k))
	if got := out[0].Value().(float32); math.Abs(float64(got)-want) > 1e-4 {
		t.Errorf("ColorLoss = %g, dense cross-entropy %g", got, want)
	}
	for i, g := range tensors.MustCopyFlatData[float32](out[1]) {
		if math.Abs(float64(g)-wantGrad[i]) > 1e-6 {
			t.Fatalf("∂loss/∂logit %d = %g, want %g", i, g, wantGrad[i])
		}
	}
}

func TestColorHeadShape(t *testing.T) {
	backend := testBackend(t)
	features := tensors.FromFlatDataAndDimensions(make([]float32, 2*4*3*8), 2, 4, 3, 8)
	for _, tc := range []struct {
		bins, want int
	}{
		{0, DefaultGamut().Q()},
		{17, 17},
	} {
		ctx := context.New()
		ctx.SetParam(ParamColorHeadChannels, 6)
		if tc.bins > 0 {
			ctx.SetParam(ParamColorBins, tc.bins)
		}
		out := context.MustExecOnce(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
			return ColorHead(ctx.In("color_head"), x)
		}, features)
		if d := out.Shape().Dimensions; len(d) != 4 || d[0] != 2 || d[1] != 4 || d[2] != 3 || d[3] != tc.want {
			t.Errorf("ColorHead shape %v, want [2 4 3 %d]", d, tc.want)
		}
		// Two 3×3 layers of 6 channels (kernel, bias, batch norm) and a 1×1 layer to the bins.
		var convs int
		ctx.EnumerateVariables(func(v *context.Variable) {
			if strings.HasSuffix(v.Name(), "weights") {
				convs++
			}
		})
		if convs != 3 {
			t.Errorf("ColorHead has %d convolution kernels, want 3", convs)
		}
	}
}
