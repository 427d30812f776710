package train

import (
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/data"
)

// Init is a pretrained base network that a classifier starts from instead of random weights:
// finetuning, the "metric pretraining + no propagation" rows of Table 2. Fit copies every value
// into the classifier's backbone before training; the linear head starts from its usual random
// initialisation and everything trains at Config.LearningRate. Name it in Config.InitFrom.
//
// With tiny budgets the random head costs: on 3-class synthetic stripes, Conv-4 started from a
// bootstrap backbone (whose features already separate the classes; each class went to one
// predicted class, not always its own) reached 0.33–0.66 test accuracy after 20 Adam steps at
// 1e-3, where from scratch reached 0.86–1.0; at 1e-2 and 10 steps, 0.66–1.0 against 1.0.
//
// From a pretrained metric p (package metric imports this one, so the caller builds it):
//
//	b, err := p.Backbone()
//	init := &train.Init{Net: p.Info.Net, Backbone: b, Lightness: p.Info.Method == metric.MethodColor}
type Init struct {
	// Net is the base network's name (metric.PretrainInfo.Net); Fit fails unless Config.Net
	// names the same network.
	Net string
	// Backbone holds the base network's variables keyed by scope and name relative to the
	// backbone's scope, as metric.Pretrained.Backbone returns them. Every variable of the
	// classifier's backbone must have an entry with its shape, and every entry a variable.
	Backbone map[string]*tensors.Tensor
	// Lightness says the base network read one channel, the L of Lab scaled to [0, 1]
	// (colorization, metric.MethodColor). A [k, k, 1, c] kernel (the first convolution, the
	// only layer that sees the image) then initialises the classifier's [k, k, 3, c] kernel as
	// the 1-channel kernel times the luminance weights of R, G and B (lumaWeights): the
	// classifier's first layer starts out seeing the luma of the image, close to the lightness
	// it was trained on, rather than dropping the pretrained kernel.
	Lightness bool
}

// lumaWeights are the weights of R, G and B in the luminance Y, the row of the sRGB → XYZ
// matrix (lib/metric/lab.go) that L is a monotone function of. They sum to 1, so a grey image
// (R = G = B = v) gives the spread kernel exactly the response of the 1-channel kernel to v;
// on other images, the gamma-encoded luma differs from L/100 by a few hundredths.
var lumaWeights = [3]float32{0.2126729, 0.7151522, 0.0721750}

// backboneScope is where Fit's classifiers keep their base network: Fit's ctx.In("classifier")
// and the ctx.In("backbone") of nets.Classify and nets.ClassifyWRN.
const backboneScope = "/classifier/backbone"

// apply creates the variables of the classifier net for images like those of ds in ctx, by
// building its graph once without running it, and sets those of its backbone from in. It
// fails, naming the variables, when the classifier's backbone and in.Backbone differ in names
// or shapes; the head is left without a value, for the trainer to initialise.
func (in *Init) apply(backend backends.Backend, ctx *context.Context, net func(*context.Context, *graph.Node, int) *graph.Node,
	numClasses int, ds *data.Dataset) (err error) {
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("building the classifier: %v", r)
			}
		}()
		g := graph.NewGraph(backend, "classifier variables")
		defer g.Finalize()
		net(ctx.In("classifier"), graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 1, ds.H, ds.W, ds.C)), numClasses)
	}()
	if err != nil {
		return err
	}
	var missing, mismatched []string
	used := map[string]bool{}
	values := map[*context.Variable]*tensors.Tensor{}
	for key, v := range backboneVariables(ctx) {
		t, found := in.Backbone[key]
		if !found {
			missing = append(missing, key)
			continue
		}
		used[key] = true
		value, err := in.adapt(t, v.Shape())
		if err != nil {
			mismatched = append(mismatched, fmt.Sprintf("%s (%v)", key, err))
			continue
		}
		values[v] = value
	}
	var unused []string
	for key := range in.Backbone {
		if !used[key] {
			unused = append(unused, key)
		}
	}
	var problems []string
	for _, p := range []struct {
		what  string
		names []string
	}{
		{"classifier variables without a pretrained value", missing},
		{"pretrained values without a classifier variable", unused},
		{"shapes that differ", mismatched},
	} {
		if len(p.names) > 0 {
			slices.Sort(p.names)
			problems = append(problems, fmt.Sprintf("%d %s: %s", len(p.names), p.what, abbreviate(p.names, 4)))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the pretrained backbone (%s) does not fit the classifier: %s; use the metric's network and width (Config.Net, Config.Channels)",
			in.Net, strings.Join(problems, "; "))
	}
	for v, t := range values {
		if err := v.SetValue(t); err != nil {
			return fmt.Errorf("setting %s: %w", v.ScopeAndName(), err)
		}
	}
	return nil
}

// Backbone returns copies of the values of the classifier's base network, keyed as
// Init.Backbone and metric.Pretrained.Backbone are: what a finetuned classifier started from
// can be compared with what it became.
func (c *Classifier) Backbone() (map[string]*tensors.Tensor, error) {
	values := map[string]*tensors.Tensor{}
	for key, v := range backboneVariables(c.ctx) {
		t, err := v.Value()
		if err == nil {
			t, err = t.LocalClone()
		}
		if err != nil {
			return nil, fmt.Errorf("classifier backbone: copying %s: %w", v.ScopeAndName(), err)
		}
		values[key] = t
	}
	return values, nil
}

// backboneVariables yields the variables under backboneScope in ctx with their keys, scope
// and name relative to it.
func backboneVariables(ctx *context.Context) iter.Seq2[string, *context.Variable] {
	return func(yield func(string, *context.Variable) bool) {
		for v := range ctx.IterVariables() {
			rel, ok := strings.CutPrefix(v.Scope(), backboneScope)
			if !ok || (rel != "" && rel[0] != '/') {
				continue
			}
			if !yield(strings.TrimPrefix(rel+"/"+v.Name(), "/"), v) {
				return
			}
		}
	}
}

// adapt returns a copy of t for a variable of shape want: t itself when the shapes are equal (a
// copy, because training donates the variables' buffers and Init may serve several runs), the
// luma-weighted kernel for a first convolution of a Lightness backbone, else an error.
func (in *Init) adapt(t *tensors.Tensor, want shapes.Shape) (*tensors.Tensor, error) {
	have := t.Shape()
	if have.Equal(want) {
		return t.LocalClone()
	}
	d, w := have.Dimensions, want.Dimensions
	if !in.Lightness || have.DType != dtypes.Float32 || want.DType != dtypes.Float32 || have.Rank() != 4 || want.Rank() != 4 ||
		d[0] != w[0] || d[1] != w[1] || d[2] != 1 || w[2] != len(lumaWeights) || d[3] != w[3] {
		return nil, fmt.Errorf("pretrained %s, classifier %s", have, want)
	}
	src, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, err
	}
	// [k, k, 1, c] → [k, k, 3, c]: position p of the kernel, output o, input channel ch.
	cout := d[3]
	dst := make([]float32, 0, len(src)*len(lumaWeights))
	for p := 0; p < len(src); p += cout {
		for _, lw := range lumaWeights {
			for _, x := range src[p : p+cout] {
				dst = append(dst, lw*x)
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(dst, w...), nil
}

// abbreviate lists up to n names and how many more there are.
func abbreviate(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
