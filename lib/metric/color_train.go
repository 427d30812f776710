package metric

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// trainColor learns a metric by colorization (Eq. 3 of the paper, after Zhang et al. 2016 and
// Doersch & Zisserman 2017): the backbone sees the L channel of Lab (scaled to [0, 1]);
// ColorHead on its last feature map predicts the colour bins of the default gamut per position,
// against the ab channels averaged to the map's resolution and soft-encoded
// (DefaultSoftEncoding); ColorLoss without class rebalancing. Its features are the L2-normalised
// pooled base-network features of the L channel. ds must be RGB; subset (all of ds when nil)
// needs no labels. Pretrain calls it for MethodColor, with checkpoints in dir (none when nil).
func trainColor(backend backends.Backend, ds *data.Dataset, subset []int, cfg PretrainConfig, dir *checkpoint.Dir) (*Pretrained, error) {
	const stage = "colorization"
	net, err := cfg.check(stage, len(subset))
	if err != nil {
		return nil, err
	}
	if ds.C != 3 {
		return nil, fmt.Errorf("%s: %s has %d channel(s); colorization needs RGB images", stage, ds.Name, ds.C)
	}
	if cfg.ColorHeadChannels < 1 {
		return nil, fmt.Errorf("%s: colour head width %d must be positive (default %d)", stage, cfg.ColorHeadChannels, DefaultColorHeadChannels)
	}
	info, ctx, features, err := setup(cfg, ds, stage)
	if err != nil {
		return nil, err
	}
	gamut := DefaultGamut()
	batches := fit.NewBatches(ds, subset, cfg.BatchSize, cfg.Augment, cfg.Seed)
	batches.Extra = func(positions []int) (inputs, labels []*tensors.Tensor) {
		return nil, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(make([]float32, len(positions)), len(positions), 1)}
	}
	modelFn := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		lab := RGBToLabGraph(inputs[0])
		metric := ctx.In("metric")
		m := net.Map(metric.In("backbone"), lightnessOf(lab))
		d := m.Shape().Dimensions
		ab := boxResize(graph.StopGradient(graph.Slice(lab, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(1, 3))), d[1], d[2])
		bins, weights := gamut.SoftEncodeGraph(ab, DefaultSoftEncoding())
		logits := ColorHead(metric.In("color_head"), m)
		train.AddLoss(ctx, ColorLoss(logits, bins, weights, nil))
		return []*graph.Node{logits}
	}
	return finishTraining(backend, ctx, modelFn, batches, info, features, ds, subset, cfg.TrainConfig, stage, dir)
}

// lightness is the network input of colorization for RGB images [B, H, W, 3] in [0, 1]: the L
// channel of Lab scaled to [0, 1], [B, H, W, 1].
func lightness(images *graph.Node) *graph.Node { return lightnessOf(RGBToLabGraph(images)) }

func lightnessOf(lab *graph.Node) *graph.Node {
	l := graph.Slice(lab, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(0, 1))
	return graph.DivScalar(graph.StopGradient(l), 100)
}

// boxResize averages x [B, H, W, C] over the h×w cells of equal area that tile it (cells may
// cut pixels; a cut pixel counts by the fraction inside), giving [B, h, w, C].
func boxResize(x *graph.Node, h, w int) *graph.Node {
	d := x.Shape().Dimensions
	if d[1] == h && d[2] == w {
		return x
	}
	ry := graph.ConstAs(x, boxWeights(h, d[1]))
	rx := graph.ConstAs(x, boxWeights(w, d[2]))
	t := graph.Einsum("iy,byxc->bixc", ry, x)
	return graph.Einsum("jx,bixc->bijc", rx, t)
}

// boxWeights is the n×size matrix whose row i averages the pixels of cell i of n equal cells.
func boxWeights(n, size int) [][]float64 {
	r := make([][]float64, n)
	cell := float64(size) / float64(n)
	for i := range r {
		r[i] = make([]float64, size)
		lo, hi := float64(i)*cell, float64(i+1)*cell
		for y := range r[i] {
			overlap := min(hi, float64(y+1)) - max(lo, float64(y))
			if overlap > 0 {
				r[i][y] = overlap / cell
			}
		}
	}
	return r
}
