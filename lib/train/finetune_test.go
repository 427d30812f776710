// The finetuning tests start classifiers from metrics that package metric trains, and package
// metric imports this one: hence an external test package.
package train_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/train"
)

// lumaY is the Y row of the sRGB → XYZ matrix (IEC 61966-2-1), what a colorization backbone's
// 1-channel first kernel is spread over R, G and B by.
var lumaY = [3]float64{0.2126729, 0.7151522, 0.0721750}

// tinted makes synthetic stripes in colour: each grey level v becomes (v, 0.8v, 0.5v).
func tinted(t *testing.T, n int, seed uint64) *data.Dataset {
	t.Helper()
	g := datatest.Synthetic(t, n, 8, 2, seed)
	d := *g
	d.C = 3
	d.Images = make([]uint8, 3*len(g.Images))
	for p, v := range g.Images {
		d.Images[3*p], d.Images[3*p+1], d.Images[3*p+2] = v, uint8(0.8*float64(v)), uint8(0.5*float64(v))
	}
	return &d
}

// backendFor returns the pure-Go backend, sequential for a WRN: its parallel executor can
// deadlock on a WRN with 2 cores.
func backendFor(t *testing.T, net string) backends.Backend {
	if net == nets.NetWRN28x2 {
		return backendtest.New(t, "go:ops_sequential")
	}
	return backendtest.New(t, "go")
}

func pretrain(t *testing.T, ds *data.Dataset, method, net string, steps, channels int) *metric.Pretrained {
	t.Helper()
	cfg := metric.DefaultPretrainConfig(method)
	cfg.Net, cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.EmbeddingDim, cfg.ColorHeadChannels = net, steps, 16, channels, 8, 4
	cfg.Augment = fit.Augment{}
	p, err := metric.Pretrain(backendFor(t, net), ds, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func initOf(t *testing.T, p *metric.Pretrained) *train.Init {
	t.Helper()
	b, err := p.Backbone()
	if err != nil {
		t.Fatal(err)
	}
	return &train.Init{Net: p.Info.Net, Backbone: b, Lightness: p.Info.Method == metric.MethodColor}
}

// fitAll trains a classifier on every image of ds with its label.
func fitAll(t *testing.T, ds *data.Dataset, cfg train.Config) (*train.Classifier, error) {
	t.Helper()
	examples := make([]train.Example, ds.N)
	for i, y := range ds.Labels {
		examples[i] = train.Example{Index: i, Label: y, Weight: 1}
	}
	return train.Fit(backendFor(t, cfg.Net), ds, examples, ds.NumClasses(), cfg)
}

// fittedBackbone is the backbone of a classifier trained by cfg on all of ds (fitAll).
func fittedBackbone(t *testing.T, ds *data.Dataset, cfg train.Config) map[string]*tensors.Tensor {
	t.Helper()
	c, err := fitAll(t, ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Backbone()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func smallConfig(channels int) train.Config {
	cfg := train.DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.Augment = 2, 16, channels, fit.Augment{}
	return cfg
}

func values(t *testing.T, x *tensors.Tensor) []float32 {
	t.Helper()
	v, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// isStatistic says whether a backbone key is a batch-norm moving statistic, which Fit
// recomputes after training (fit.PreciseBatchNorm) whatever it started from.
func isStatistic(key string) bool {
	return strings.HasSuffix(key, "/mean") || strings.HasSuffix(key, "/variance") || strings.HasSuffix(key, "/avg_weight")
}

// TestFitInitCopiesBackbone starts classifiers from metrics of three methods (and a WRN) and
// trains them
// at a negligible learning rate: their backbone's learned variables must be the metric's (for
// colorization's first kernel, spread over R, G, B by luminance), while a classifier trained
// from scratch the same way must differ from the metric everywhere. (GoMLX's Adam reads a
// learning rate of 0 as unset; two Adam steps at 1e-9 move a weight by at most about 2e-9.)
func TestFitInitCopiesBackbone(t *testing.T) {
	gray := datatest.Synthetic(t, 32, 8, 2, 1)
	rgb := tinted(t, 32, 1)
	const tolerance = 1e-6
	for _, tc := range []struct {
		method, net string
		ds          *data.Dataset
	}{
		{metric.MethodBootstrap, nets.NetConv4, gray},
		{metric.MethodInstance, nets.NetConv4, gray},
		{metric.MethodColor, nets.NetConv4, rgb},
		{metric.MethodInstance, nets.NetWRN28x2, gray},
	} {
		t.Run(tc.method+"/"+tc.net, func(t *testing.T) {
			init := initOf(t, pretrain(t, tc.ds, tc.method, tc.net, 2, 4))
			cfg := smallConfig(4)
			cfg.Net, cfg.LearningRate = tc.net, 1e-9
			cfg.Init, cfg.InitFrom = init, "test-"+tc.method
			got := fittedBackbone(t, tc.ds, cfg)
			cfg.Init, cfg.InitFrom, cfg.Seed = nil, "", 2
			fresh := fittedBackbone(t, tc.ds, cfg)
			if len(got) != len(init.Backbone) || len(fresh) != len(got) {
				t.Fatalf("%d pretrained variables, %d in the finetuned backbone, %d from scratch", len(init.Backbone), len(got), len(fresh))
			}
			spread := 0
			for key, want := range init.Backbone {
				if isStatistic(key) {
					continue
				}
				w := values(t, want)
				g := values(t, got[key])
				if len(g) == 3*len(w) {
					// [k, k, 1, c] → [k, k, 3, c]: channel ch of position p is Y[ch]·w[p].
					spread++
					c := want.Shape().Dimensions[3]
					for i, v := range g {
						p, ch, o := i/(3*c), i/c%3, i%c
						if e := lumaY[ch] * float64(w[p*c+o]); math.Abs(float64(v)-e) > tolerance {
							t.Fatalf("%s[%d]: %g, want %g (luminance-weighted)", key, i, v, e)
						}
					}
				} else {
					for i := range w {
						if math.Abs(float64(g[i]-w[i])) > tolerance {
							t.Fatalf("%s[%d]: finetuned %g, pretrained %g", key, i, g[i], w[i])
						}
					}
				}
				if f := values(t, fresh[key]); len(f) == len(w) && !strings.Contains(key, "biases") && !strings.Contains(key, "batch_normalization") {
					same := 0
					for i := range f {
						if math.Abs(float64(f[i]-w[i])) <= tolerance {
							same++
						}
					}
					if same == len(f) {
						t.Errorf("%s: the classifier trained from scratch has the pretrained values", key)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.method == metric.MethodColor]; spread != want {
				t.Errorf("%d kernels spread over RGB, want %d", spread, want)
			}
		})
	}
}

// TestFitInitErrors: a backbone that does not fit the classifier fails Fit with an error naming
// the problem, never a panic.
func TestFitInitErrors(t *testing.T) {
	ds := datatest.Synthetic(t, 16, 8, 2, 1)
	c, err := fitAll(t, ds, smallConfig(4))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(in *train.Init, cfg *train.Config)
		want string
	}{
		{"missing entry", func(in *train.Init, _ *train.Config) { delete(in.Backbone, "block_2/conv/weights") },
			"1 classifier variables without a pretrained value: block_2/conv/weights"},
		{"extra entry", func(in *train.Init, _ *train.Config) {
			in.Backbone["block_4/conv/weights"] = in.Backbone["block_3/conv/weights"]
		}, "1 pretrained values without a classifier variable: block_4/conv/weights"},
		{"wrong shape", func(in *train.Init, _ *train.Config) {
			in.Backbone["block_1/conv/biases"] = tensors.FromFlatDataAndDimensions(make([]float32, 5), 5)
		}, "shapes that differ: block_1/conv/biases"},
		{"wider network", func(_ *train.Init, cfg *train.Config) { cfg.Channels = 8 }, "shapes that differ"},
		{"1-channel kernel without Lightness", func(in *train.Init, _ *train.Config) {
			in.Backbone["block_1/conv/weights"] = tensors.FromFlatDataAndDimensions(make([]float32, 9*4), 3, 3, 1, 4)
		}, "shapes that differ: block_1/conv/weights"},
		{"other network", func(in *train.Init, _ *train.Config) { in.Net = nets.NetWRN28x2 }, `set Config.Net to "wrn-28-2"`},
		{"unnamed", func(_ *train.Init, cfg *train.Config) { cfg.InitFrom = "" }, "Config.InitFrom is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := c.Backbone()
			if err != nil {
				t.Fatal(err)
			}
			in := &train.Init{Net: nets.NetConv4, Backbone: b}
			cfg := smallConfig(4)
			cfg.Init, cfg.InitFrom = in, "test"
			tc.edit(in, &cfg)
			if _, err := fitAll(t, ds, cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestFitInitResume: a run resumed from its checkpoint keeps the trained weights that the
// checkpoint holds, not Init's, which only start a fresh run.
func TestFitInitResume(t *testing.T) {
	ds := datatest.Synthetic(t, 16, 8, 2, 1)
	init := initOf(t, pretrain(t, ds, metric.MethodBootstrap, nets.NetConv4, 2, 4))
	cfg := smallConfig(4)
	cfg.Steps, cfg.LearningRate, cfg.Init, cfg.InitFrom, cfg.CheckpointDir = 3, 1e-2, init, "test", t.TempDir()
	var runs [2]map[string]*tensors.Tensor
	for i := range runs {
		c, err := fitAll(t, ds, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if runs[i], err = c.Backbone(); err != nil {
			t.Fatal(err)
		}
	}
	const key = "block_1/conv/weights"
	first, resumed, start := values(t, runs[0][key]), values(t, runs[1][key]), values(t, init.Backbone[key])
	moved := false
	for i := range first {
		if first[i] != resumed[i] {
			t.Fatalf("%s[%d]: %g after training, %g after resuming from the checkpoint", key, i, first[i], resumed[i])
		}
		moved = moved || math.Abs(float64(first[i]-start[i])) > 1e-4
	}
	if !moved {
		t.Errorf("%s: training did not move the weights from their pretrained values", key)
	}
}
