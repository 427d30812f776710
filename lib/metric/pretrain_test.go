package metric

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// colourful makes n 8×8 RGB images of two classes: reddish and bluish noise.
func colourful(n int) *data.Dataset {
	rng := rand.New(rand.NewPCG(5, 1))
	d := &data.Dataset{Name: "colourful", N: n, H: 8, W: 8, C: 3, Images: make([]uint8, n*8*8*3),
		Labels: make([]int32, n), Classes: []string{"red", "blue"}}
	for i := range n {
		d.Labels[i] = int32(i % 2)
		img := d.Image(i)
		for p := 0; p < 64; p++ {
			base := [3]int{200, 60, 40}
			if i%2 == 1 {
				base = [3]int{40, 80, 200}
			}
			for c := range 3 {
				img[3*p+c] = uint8(base[c] + rng.IntN(40) - 20)
			}
		}
	}
	return d
}

// checkUnitRows fails unless f holds rows × d values with unit L2 norm per row.
func checkUnitRows(t *testing.T, f []float32, d, rows, wantD int) {
	t.Helper()
	if d != wantD || len(f) != rows*d {
		t.Fatalf("features: %d values of dimension %d, want %d×%d", len(f), d, rows, wantD)
	}
	for i := range rows {
		s := 0.0
		for _, v := range f[i*d : (i+1)*d] {
			if math.IsNaN(float64(v)) {
				t.Fatalf("feature %d has NaN", i)
			}
			s += float64(v) * float64(v)
		}
		if math.Abs(s-1) > 1e-4 {
			t.Fatalf("feature %d has squared norm %g, want 1", i, s)
		}
	}
}

func TestPretrainMethods(t *testing.T) {
	gray := stripes(t, 32)
	rgb := colourful(32)
	for _, tc := range []struct {
		method string
		ds     *data.Dataset
		dim    int // with 16 Conv-4 channels on 8×8 images the base features are 1×1×16.
	}{
		{MethodInstance, gray, 8},
		{MethodNCA, gray, 8},
		{MethodBootstrap, gray, 16},
		{MethodColor, rgb, 16},
	} {
		t.Run(tc.method, func(t *testing.T) {
			cfg := DefaultPretrainConfig(tc.method)
			cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.EmbeddingDim, cfg.ColorHeadChannels = 3, 8, 16, 8, 4
			cfg.CheckpointDir = t.TempDir()
			p, err := Pretrain(testBackend(t), tc.ds, nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			idx := []int{0, 1, 2}
			f, d, err := p.Features(tc.ds, idx, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkUnitRows(t, f, d, 3, tc.dim)
			if _, err := os.Stat(filepath.Join(cfg.CheckpointDir, InfoFile)); err != nil {
				t.Fatal(err)
			}
			// The saved network gives the same features.
			q, err := LoadPretrained(testBackend(t), cfg.CheckpointDir)
			if err != nil {
				t.Fatal(err)
			}
			g, _, err := q.Features(tc.ds, idx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range f {
				if math.Abs(float64(f[i]-g[i])) > 1e-5 {
					t.Fatalf("feature value %d: %g after training, %g after loading the checkpoint", i, f[i], g[i])
				}
			}
			checkBackbone(t, p, cfg.CheckpointDir)
		})
	}
}

// checkBackbone checks Backbone on a trained network p and on p freshly loaded from its
// checkpoint in dir, whose variables load only when a graph asks for them: the 4 Conv-4 blocks'
// convolution and batch-norm variables, none of a head, the first kernel reading the image's
// channels (1, the lightness, for colorization), and the same values from both.
func checkBackbone(t *testing.T, p *Pretrained, dir string) {
	t.Helper()
	trained, err := p.Backbone()
	if err != nil {
		t.Fatal(err)
	}
	q, err := LoadPretrained(testBackend(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := q.Backbone()
	if err != nil {
		t.Fatal(err)
	}
	// Per block: conv weights and biases; batch norm's scale, offset, mean, variance, avg_weight.
	if len(trained) != 4*7 || len(loaded) != len(trained) {
		t.Fatalf("%d backbone variables after training, %d after loading, want %d", len(trained), len(loaded), 4*7)
	}
	for key, want := range trained {
		if !strings.HasPrefix(key, "block_") {
			t.Errorf("backbone variable %q outside the Conv-4 blocks", key)
		}
		got, ok := loaded[key]
		if !ok {
			t.Fatalf("backbone variable %q missing after loading", key)
		}
		w, g := tensors.MustCopyFlatData[float32](want), tensors.MustCopyFlatData[float32](got)
		for i := range w {
			if w[i] != g[i] {
				t.Fatalf("%s[%d]: %g after training, %g after loading", key, i, w[i], g[i])
			}
		}
	}
	in := p.Info.C
	if p.Info.Method == MethodColor {
		in = 1
	}
	if d := trained["block_0/conv/weights"].Shape().Dimensions; len(d) != 4 || d[2] != in {
		t.Errorf("first kernel of %s: dimensions %v, want [3 3 %d %d]", p.Info.Method, d, in, p.Info.Channels)
	}
}

func TestPretrainErrors(t *testing.T) {
	gray := stripes(t, 8)
	for _, tc := range []struct {
		edit func(*PretrainConfig)
		want string
	}{
		{func(c *PretrainConfig) { c.Method = "x" }, "unknown method"},
		{func(c *PretrainConfig) { c.Net = "vgg" }, "unknown network"},
		{func(c *PretrainConfig) { c.BatchSize = 9 }, "batch size"},
		{func(c *PretrainConfig) { c.Method = MethodColor }, "RGB"},
		{func(c *PretrainConfig) { c.Method, c.Temperature = MethodNCA, -1 }, "temperature"},
		{func(c *PretrainConfig) { c.Steps = 0 }, "steps"},
	} {
		cfg := DefaultPretrainConfig(MethodBootstrap)
		cfg.BatchSize, cfg.Channels = 4, 2
		tc.edit(&cfg)
		if _, err := Pretrain(testBackend(t), gray, nil, cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
	if _, err := LoadPretrained(testBackend(t), t.TempDir()); err == nil || !strings.Contains(err.Error(), InfoFile) {
		t.Errorf("loading an empty directory: error %v, want one naming %s", err, InfoFile)
	}
}

// Methods and objectives must name the same methods, each with a trainer and its features.
func TestObjectives(t *testing.T) {
	if len(Methods) != len(objectives) {
		t.Errorf("Methods has %d names, objectives %d entries", len(Methods), len(objectives))
	}
	for _, m := range Methods {
		if o, err := lookupObjective(m); err != nil || o.train == nil || o.features == nil {
			t.Errorf("%s: objective %+v, error %v", m, o, err)
		}
	}
}

func TestBoxWeights(t *testing.T) {
	for _, tc := range []struct{ n, size int }{{2, 8}, {4, 28}, {3, 7}, {1, 5}} {
		r := boxWeights(tc.n, tc.size)
		for i, row := range r {
			s := 0.0
			for _, v := range row {
				s += v
			}
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("n=%d size=%d: row %d sums to %g, want 1", tc.n, tc.size, i, s)
			}
		}
	}
}

// Residual backbones go through the same trainers: one step each on 8×8 images.
func TestPretrainResidualNets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds WRN-28-2 and ResNet-18 graphs")
	}
	gray, rgb := stripes(t, 8), colourful(8)
	for _, tc := range []struct {
		method, net string
		ds          *data.Dataset
		dim         int
	}{
		{MethodInstance, nets.NetWRN28x2, gray, 8},
		{MethodColor, nets.NetResNet18, rgb, 512},
	} {
		cfg := DefaultPretrainConfig(tc.method)
		cfg.Net, cfg.Steps, cfg.BatchSize, cfg.EmbeddingDim, cfg.ColorHeadChannels = tc.net, 1, 4, 8, 4
		// The pure-Go backend's parallel executor can deadlock on a WRN with 2 cores.
		p, err := Pretrain(backendtest.New(t, "go:ops_sequential"), tc.ds, nil, cfg)
		if err != nil {
			t.Fatalf("%s with %s: %v", tc.method, tc.net, err)
		}
		f, d, err := p.Features(tc.ds, []int{0, 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkUnitRows(t, f, d, 2, tc.dim)
	}
}

// Training must learn. The synthetic classes are stripe directions; after 100 steps the
// bootstrap classifier fits its training images (its accuracy is 0.4–0.5 after one step) and
// NCA's embedding separates them for leave-one-out 1-NN (about 0.6 after one step).
func TestPretrainLearns(t *testing.T) {
	ds := datatest.Synthetic(t, 64, 8, 4, 2)
	train := func(method string) *Pretrained {
		cfg := DefaultPretrainConfig(method)
		cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.EmbeddingDim, cfg.LearningRate = 100, 16, 32, 16, 3e-3
		cfg.Augment = fit.Augment{} // a flip would swap the two diagonal classes.
		p, err := Pretrain(testBackend(t), ds, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	boot := train(MethodBootstrap)
	net := nets.Networks[nets.NetConv4]
	logits, _, err := fit.Predict(boot.backend, boot.ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		m := ctx.In("metric")
		return layers.Dense(m.In("classifier"), net.Features(m.In("backbone"), x), true, 4)
	}, ds, nil, 64, nil, "logits")
	if err != nil {
		t.Fatal(err)
	}
	if acc := accuracy(ds.Labels, func(i int) int { return argmax(logits[i*4 : (i+1)*4]) }); acc < 0.9 {
		t.Errorf("bootstrap: training accuracy %.2f after 100 steps, want ≥ 0.9", acc)
	}
	nca := train(MethodNCA)
	f, d, err := nca.Features(ds, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	nearest := func(i int) int {
		best, bestSim := -1, math.Inf(-1)
		for j := range ds.N {
			s := 0.0
			for k := range d {
				s += float64(f[i*d+k] * f[j*d+k])
			}
			if j != i && s > bestSim {
				best, bestSim = j, s
			}
		}
		return int(ds.Labels[best])
	}
	if acc := accuracy(ds.Labels, nearest); acc < 0.9 {
		t.Errorf("NCA: leave-one-out 1-NN accuracy %.2f after 100 steps, want ≥ 0.9", acc)
	}
}

func argmax(v []float32) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

func accuracy(labels []int32, predict func(i int) int) float64 {
	correct := 0
	for i, y := range labels {
		if predict(i) == int(y) {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}
