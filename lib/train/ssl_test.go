package train

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// newTestContext returns an empty context whose random draws follow seed.
func newTestContext(seed uint64) *context.Context {
	ctx := context.New()
	fit.Seed(ctx, seed)
	return ctx
}

// mustContextExec compiles fn with ctx and returns a function running it on one input.
func mustContextExec(t testing.TB, backend backends.Backend, ctx *context.Context,
	fn func(*context.Context, *graph.Node) *graph.Node) func(*tensors.Tensor) *tensors.Tensor {
	t.Helper()
	exec, err := context.NewExec(backend, ctx, fn)
	if err != nil {
		t.Fatal(err)
	}
	return func(x *tensors.Tensor) *tensors.Tensor { return exec.MustExec(x)[0] }
}

// sslTask is the synthetic task of the end-to-end tests: 128 training and 64 test stripes of
// classes classes, labeled the first perClass examples of each class, all 128 unlabeled.
func sslTask(t testing.TB, classes, perClass int) (trainSet, testSet *data.Dataset, labeled []Example, unlabeled []int) {
	t.Helper()
	trainSet = datatest.Synthetic(t, 128, 8, classes, 1)
	testSet = datatest.Synthetic(t, 64, 8, classes, 2)
	for i := range classes * perClass {
		labeled = append(labeled, Example{Index: i, Label: trainSet.Labels[i], Weight: 1})
	}
	unlabeled = make([]int, trainSet.N)
	for i := range unlabeled {
		unlabeled[i] = i
	}
	return trainSet, testSet, labeled, unlabeled
}

// tinySSLConfig is a setting of method small enough for tests: Conv-4 of width 4, batches of
// 16 + 16, 30 Adam steps at 1e-2.
func tinySSLConfig(method string) SSLConfig {
	cfg := DefaultSSLConfig(method)
	cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.LearningRate = 30, 16, 4, 1e-2
	cfg.Augment = fit.Augment{Pad: 1, Flip: true}
	return cfg
}

// TestFitSSLLearns trains each method from 4 labels of two classes (flips keep horizontal
// and vertical stripes apart) and all images unlabeled, and checks the classifier it returns.
func TestFitSSLLearns(t *testing.T) {
	trainSet, testSet, labeled, unlabeled := sslTask(t, 2, 2)
	for _, method := range SSLMethods {
		t.Run(method, func(t *testing.T) {
			c, err := FitSSL(testBackend(t), trainSet, labeled, unlabeled, 2, tinySSLConfig(method))
			if err != nil {
				t.Fatal(err)
			}
			if c.Steps != 30 {
				t.Errorf("%d steps, want 30", c.Steps)
			}
			acc, err := c.Accuracy(testSet, nil)
			if err != nil {
				t.Fatal(err)
			}
			if acc < 0.9 {
				t.Errorf("test accuracy %.3f, want ≥ 0.9 on separable stripes", acc)
			}
		})
	}
}

// TestFitSSLPseudoLabels is Table 4's "+ Ours" path: the labeled examples come with extra
// pseudo-labeled ones that count as ground truth at their weight. From one true label per
// class, the other 126 training images are added with the two classes swapped: at weight 0.9
// they outweigh the true labels and the classifier learns the swap (test accuracy near 0); at
// weight 0.005, below MinWeight, they are dropped and it learns the classes.
func TestFitSSLPseudoLabels(t *testing.T) {
	trainSet, testSet, labeled, unlabeled := sslTask(t, 2, 1)
	for _, tc := range []struct {
		weight   float32
		min, max float64
	}{{0.9, 0, 0.1}, {0.005, 0.9, 1}} {
		examples := append([]Example(nil), labeled...)
		for i := len(labeled); i < trainSet.N; i++ {
			examples = append(examples, Example{Index: i, Label: 1 - trainSet.Labels[i], Weight: tc.weight})
		}
		c, err := FitSSL(testBackend(t), trainSet, examples, unlabeled, 2, tinySSLConfig(MethodVAT))
		if err != nil {
			t.Fatal(err)
		}
		acc, err := c.Accuracy(testSet, nil)
		if err != nil {
			t.Fatal(err)
		}
		if acc < tc.min || acc > tc.max {
			t.Errorf("swapped pseudo labels at weight %g: test accuracy %.3f, want in [%g, %g]", tc.weight, acc, tc.min, tc.max)
		}
	}
}

func TestFitSSLErrors(t *testing.T) {
	ds := datatest.Synthetic(t, 8, 8, 2, 1)
	one := []Example{{Index: 0, Label: 0, Weight: 1}}
	all := []int{0, 1, 2, 3, 4, 5, 6, 7}
	for _, tc := range []struct {
		name      string
		labeled   []Example
		unlabeled []int
		edit      func(*SSLConfig)
		want      string
	}{
		{"unknown method", one, all, func(c *SSLConfig) { c.Method = "mixmatch" }, "unknown semi-supervised method"},
		{"no labels", nil, all, nil, "no example"},
		{"labels dropped", []Example{{Index: 0, Label: 0, Weight: 0.001}}, all, nil, "no example"},
		{"labeled index", []Example{{Index: 8, Label: 0, Weight: 1}}, all, nil, "example index 8 out of range"},
		{"label", []Example{{Index: 0, Label: 2, Weight: 1}}, all, nil, "label 2"},
		{"no unlabeled", one, nil, nil, "no unlabeled"},
		{"unlabeled index", one, []int{0, -1}, nil, "unlabeled index -1"},
		{"EMA decay", one, all, func(c *SSLConfig) { c.EMADecay = 1 }, "EMA decay"},
		{"negative weight", one, all, func(c *SSLConfig) { c.Consistency = -1 }, "negative"},
		{"crop", one, all, func(c *SSLConfig) { c.Augment.CropScale = 0.2 }, "CropScale"},
		{"pad", one, all, func(c *SSLConfig) { c.Augment.Pad = 8 }, "translation"},
		{"batch", one, all, func(c *SSLConfig) { c.BatchSize = 0 }, "batch size"},
		{"steps", one, all, func(c *SSLConfig) { c.Steps = 0 }, "steps"},
		{"network", one, all, func(c *SSLConfig) { c.Net = "vgg" }, `unknown network "vgg"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultSSLConfig(MethodPi)
			cfg.Steps, cfg.BatchSize, cfg.Channels = 1, 2, 2
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			_, err := FitSSL(testBackend(t), ds, tc.labeled, tc.unlabeled, 2, cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSSLDefaults(t *testing.T) {
	for _, tc := range []struct {
		method                   string
		consistency, lr, entropy float64
	}{
		{MethodPi, 20, 3e-4, 0},
		{MethodMeanTeacher, 8, 4e-4, 0},
		{MethodVAT, 0.3, 3e-3, 0},
		{MethodVATEM, 0.3, 3e-3, 0.06},
	} {
		cfg := DefaultSSLConfig(tc.method)
		cfg.Steps = 1000
		got, err := cfg.WithDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if got.Consistency != tc.consistency || got.LearningRate != tc.lr || got.EntropyWeight != tc.entropy ||
			got.RampUp != 400 || got.EMADecay != 0.95 || got.VATEpsilon != 6 || got.VATIterations != 1 ||
			got.InputNoise != 0.15 || got.BatchSize != 50 {
			t.Errorf("%s: defaults %+v", tc.method, got)
		}
	}
	if len(sslMethods) != len(SSLMethods) {
		t.Errorf("%d methods defined, %d listed in SSLMethods", len(sslMethods), len(SSLMethods))
	}
	for _, m := range SSLMethods {
		if sslMethods[m].cost == nil {
			t.Errorf("SSLMethods lists %q, which has no cost", m)
		}
	}
}

// TestEpochOrder checks that each epoch of the unlabeled order is a permutation and that a
// batch depends on its number only, as resuming needs.
func TestEpochOrder(t *testing.T) {
	const n, size = 10, 4
	o := &epochOrder{n: n, seed: 3, epoch: -1}
	var all []int
	for k := range 5 {
		all = append(all, o.batch(k, size)...)
	}
	for e := 0; e+n <= len(all); e += n {
		seen := map[int]bool{}
		for _, p := range all[e : e+n] {
			seen[p] = true
		}
		if len(seen) != n {
			t.Errorf("epoch %d visits %d distinct images of %d", e/n, len(seen), n)
		}
	}
	fresh := &epochOrder{n: n, seed: 3, epoch: -1}
	if got := fresh.batch(3, size); !equalInts(got, all[3*size:4*size]) {
		t.Errorf("batch 3 alone is %v, in sequence %v", got, all[3*size:4*size])
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkSSLStep times one training step of each method, and of Fit's classifier on the
// labeled half alone ("fit") and on as many images as an SSL step sees ("fit-double"): Conv-4
// of width 32, batches of 32 + 32 grayscale 32×32 images, Adam.
//
//	GOMLX_BACKEND=go go test ./lib/train -run '^$' -bench SSLStep -benchtime 20x
func BenchmarkSSLStep(b *testing.B) {
	const batch = 32
	ds := datatest.Synthetic(b, 256, 32, 2, 1)
	var labeled []Example
	unlabeled := make([]int, ds.N)
	for i := range unlabeled {
		unlabeled[i] = i
		if i < 2*batch {
			labeled = append(labeled, Example{Index: i, Label: ds.Labels[i], Weight: 1})
		}
	}
	backend := testBackend(b)
	prepare := func(method string, size int) (*sslRun, []*tensors.Tensor, []*tensors.Tensor) {
		cfg := DefaultSSLConfig(method)
		cfg.Channels, cfg.BatchSize, cfg.Steps = 32, size, 1000
		r, err := newSSLRun(backend, ds, labeled, unlabeled, 2, cfg)
		if err != nil {
			b.Fatal(err)
		}
		r.batches.Workers = 1
		_, inputs, labels, err := r.batches.Yield()
		if err != nil {
			b.Fatal(err)
		}
		return r, inputs, labels
	}
	step := func(b *testing.B, r *sslRun, modelFn train.ModelFn, inputs, labels []*tensors.Tensor) {
		opt, err := fit.NewOptimizer(r.run.Optimizer)
		if err != nil {
			b.Fatal(err)
		}
		r.ctx.SetParam(optimizers.ParamLearningRate, r.run.LearningRate)
		trainer := train.NewTrainer(backend, r.ctx, modelFn, r.lossFn, opt, nil, nil)
		if _, err := trainer.TrainStep(nil, inputs, labels); err != nil { // compiles
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := trainer.TrainStep(nil, inputs, labels); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, tc := range []struct{ name, method string }{
		{"fit", ""}, {"fit-double", ""},
		{MethodPi, MethodPi}, {MethodMeanTeacher, MethodMeanTeacher}, {MethodVAT, MethodVAT}, {MethodVATEM, MethodVATEM},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if tc.method != "" {
				r, inputs, labels := prepare(tc.method, batch)
				step(b, r, r.model.modelFn, inputs, labels)
				return
			}
			size := batch
			if tc.name == "fit-double" {
				size *= 2
			}
			r, inputs, labels := prepare(MethodPi, size)
			net := r.model.net
			step(b, r, func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
				return []*graph.Node{net(ctx.In("classifier"), inputs[0], 2)} // Fit's model
			}, inputs[:1], labels)
		})
	}
}
