// Command gpubench measures the training throughput of the project's backbones on the GoMLX
// backend that GOMLX_BACKEND selects, so the same step can be timed on the pure-Go backend and
// on a GPU through XLA, beside PyTorch (lib/gpu/torch_bench.py prints the same JSON):
//
//	gpubench -net wrn-28-2 -batch 256 -steps 50 -warmup 5
//	gpubench -task instance -net wrn-28-2 -batch 256
//	GOMLX_BACKEND=go:parallelism=-1 gpubench -net resnet-50 -batch 64 -image 32x32x3 -warmup 1 -seconds 20
//	GOMLX_BACKEND=xla:/abs/path/xla_cuda_plugin.so GOMLX_NO_AUTO_INSTALL=1 gpubench …
//
// A step of -task classify is a forward pass, the cross-entropy against random labels, the
// backward pass and an SGD step with momentum 0.9 and weight decay 5e-4. A step of -task
// instance is instance-discrimination pretraining (instance.go): the network with a linear
// layer to a 128-d L2-normalised embedding, NCE over a memory bank of 50,000 rows with 4096
// negatives, the bank update, and the same SGD step. Both run on a fixed batch of random images
// (32×32×3 for a WRN or a ResNet, which has the CIFAR stem; 28×28×1 for Conv-4; -image sets
// another size) kept on the device. Warm-up steps (the first one compiles the graph) are timed
// apart. -seconds time-boxes the timed steps for slow backends, where one step of a large net
// takes seconds to minutes: as many steps as fit in the budget by the mean step time so far, at
// least one, each waited for (on a GPU, -steps lets the device queue them instead). On XLA the
// WRN and the ResNet use the backend's fused batch norm by default; -bn graph selects
// nets.BatchNorm, plain graph ops with the same exact gradient (and Conv-4's only batch norm). It prints one JSON line:
//
//	{"task":…, "net":…, "batch":…, "images_per_s":…, "backend":…, "device":…, "steps":…, …}
//
// GOMLX_BACKEND unset or "go" runs the pure-Go backend as mt does (pipeline.DefaultCPUBackend: no cap
// on its goroutines, with which GoMLX v0.26.0 deadlocked WRN-28-2 on 2 CPUs).
//
// The binary links the pure-Go backend ("go") and, when built with cgo (the default where a C
// compiler is found), the XLA backend ("xla"). cgo needs only a C compiler and libc: the PJRT
// plugin is opened with dlopen at run time, so no GPU library is needed to build the binary
// or to run it with GOMLX_BACKEND=go.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // "go": the pure-Go backend; "xla" is in xla.go
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// The optimiser of the WRN papers (Zagoruyko & Komodakis; Oliver et al. 2018), the same in
// torch_bench.py. The learning rate only matters for the loss printed as a sanity check.
const (
	learningRate = 0.01
	momentum     = 0.9
	weightDecay  = 5e-4
	numClasses   = 10
)

// Tasks: what one timed step trains.
const (
	taskClassify = "classify"
	taskInstance = "instance"
	taskGEMM     = "gemm"
)

// Result is the JSON line printed by gpubench and by torch_bench.py.
type Result struct {
	Task          string  `json:"task"`
	Net           string  `json:"net"`
	Batch         int     `json:"batch"`
	ImagesPerS    float64 `json:"images_per_s"`
	Backend       string  `json:"backend"`
	Device        string  `json:"device"`
	Steps         int     `json:"steps"`
	Seconds       float64 `json:"seconds"`
	Warmup        int     `json:"warmup"`
	WarmupSeconds float64 `json:"warmup_seconds"` // includes compiling the graph
	Conv          string  `json:"conv"`
	// Precision is the convolutions' (nets.Precision): float32, or bfloat16 mixed precision.
	Precision      string  `json:"precision"`
	BatchNorm      string  `json:"bn"`
	Params         int     `json:"params"`
	Image          []int   `json:"image"` // H, W, C
	LossFirst      float64 `json:"loss_first"`
	LossLast       float64 `json:"loss_last"`
	BackendDetails string  `json:"backend_details"`
	BudgetSeconds  float64 `json:"budget_seconds,omitempty"` // -seconds, when it set the steps
	// Parallel is the number of models trained at once (-parallel), each for Steps steps;
	// ImagesPerS is their sum.
	Parallel int `json:"parallel,omitempty"`
	// TimedStart and TimedEnd bound the timed steps, in seconds since 1970: processes that
	// share a GPU (-barrier) give their aggregate rate as all their images over the union of
	// their windows.
	TimedStart float64 `json:"timed_start,omitempty"`
	TimedEnd   float64 `json:"timed_end,omitempty"`
	// Instance discrimination only.
	Bank        []int   `json:"bank,omitempty"` // rows, embedding dimension
	Negatives   int     `json:"negatives,omitempty"`
	Temperature float64 `json:"temperature,omitempty"`
	// The matrix products of a classify or instance step (flops.go): GFLOP per image of the
	// step's Dot and DotGeneral nodes, and how many native convolutions the count leaves out.
	MatmulGFLOPPerImage float64 `json:"matmul_gflop_per_image,omitempty"`
	NativeConvs         int     `json:"native_convs,omitempty"`
	// -task gemm only: the product's sizes M, K, N and its rate.
	GEMM      []int   `json:"gemm,omitempty"`
	GFLOPPerS float64 `json:"gflop_per_s,omitempty"`
}

func main() {
	var (
		task       = flag.String("task", taskClassify, `what a step trains: "classify" (cross-entropy over 10 classes) or "instance" (instance discrimination with NCE, as lib/metric); or "gemm": time one float32 matrix product (-gemm) instead`)
		gemm       = flag.String("gemm", "2048x2048x2048", "-task gemm: the product's sizes MxKxN (an M×K by a K×N matrix)")
		net        = flag.String("net", "wrn-28-2", "backbone: conv-4, wrn-D-K (wrn-28-2, wrn-28-10) or resnet-D (resnet-18, resnet-50; CIFAR stem)")
		batch      = flag.Int("batch", 256, "images per step")
		steps      = flag.Int("steps", 50, "timed steps (ignored when -seconds > 0)")
		budget     = flag.Float64("seconds", 0, "if > 0, time as many steps as fit in this many seconds (at least one) instead of -steps")
		image      = flag.String("image", "", `image size "HxWxC" (e.g. 32x32x3); default 28x28x1 for conv-4, 32x32x3 otherwise`)
		warmup     = flag.Int("warmup", 5, "untimed steps before timing; the first compiles the graph")
		bn         = flag.String("bn", "auto", `WRN batch norm (nets.BatchNormImpl): "backend" (XLA's fused op, XLA only), "graph" (nets.BatchNorm), or "auto" (backend on XLA); Conv-4 always uses "graph"`)
		cpuProfile = flag.String("cpuprofile", "", "if set, write a Go CPU profile of the whole run to this file (go tool pprof reads it); on the pure-Go backend it shows which ops take the time")
		conv       = flag.String("conv", "auto", `convolution implementation (nets.ConvImpl): "native", "patches", or "auto" (native on XLA, patches elsewhere)`)
		precision  = flag.String("precision", string(nets.Float32), `the convolutions' products: "float32", or "bfloat16" (mixed precision: bfloat16 products, float32 weights, batch norm and loss)`)
		parallel   = flag.Int("parallel", 1, "train this many models at once, each its own copy in its own goroutine on one backend (several cells of a table sharing a GPU); images/s is then their sum")
		barrier    = flag.String("barrier", "", `"DIR:N": once warmed up, wait until N processes given the same DIR are, so that processes sharing a GPU time the same window (timed_start and timed_end in the result; needs -seconds 0)`)
	)
	flag.Parse()
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gpubench:", err)
			os.Exit(1)
		}
		defer stop()
	}
	var res Result
	var err error
	if *task == taskGEMM {
		res, err = runGEMM(*gemm, *steps, *budget)
	} else {
		res, err = run(*task, *net, *image, *batch, *steps, *budget, *warmup, *conv, *bn, *precision, *parallel, *barrier)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gpubench:", err)
		os.Exit(1)
	}
	line, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gpubench:", err)
		os.Exit(1)
	}
	fmt.Println(string(line))
}

// runGEMM times the matrix product of sizes gemm ("MxKxN") on the backend, as timeGEMM.
func runGEMM(gemm string, steps int, budget float64) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gemm %s: %v", gemm, r)
		}
	}()
	if steps < 1 || budget < 0 {
		return res, fmt.Errorf("-steps must be ≥ 1 and -seconds ≥ 0, got %d and %g", steps, budget)
	}
	mkn, err := parseGEMM(gemm)
	if err != nil {
		return res, err
	}
	backend, err := pipeline.NewBackend()
	if err != nil {
		return res, err
	}
	defer backend.Finalize()
	if res.GFLOPPerS, res.Steps, res.Seconds, err = timeGEMM(backend, mkn, steps, budget); err != nil {
		return res, err
	}
	res.Task, res.Net, res.GEMM, res.Warmup = taskGEMM, "gemm", mkn[:], 1
	if budget > 0 {
		res.BudgetSeconds = budget
	}
	res.Backend = backend.Name()
	res.Device = backend.DeviceDescription(backends.DeviceNum(0))
	res.BackendDetails = backend.Description()
	return res, nil
}

// run builds the train step and times it. GoMLX reports graph errors by panicking; they are
// returned as errors.
func run(task, net, image string, batch, steps int, budget float64, warmup int, conv, bn, precision string, parallel int, barrier string) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s %s, batch %d: %v", task, net, batch, r)
		}
	}()
	if batch < 1 || steps < 1 || warmup < 1 || budget < 0 || parallel < 1 {
		return res, fmt.Errorf("-batch, -steps, -warmup and -parallel must be ≥ 1 and -seconds ≥ 0, got %d, %d, %d, %d, %g", batch, steps, warmup, parallel, budget)
	}
	if task != taskClassify && task != taskInstance {
		return res, fmt.Errorf("-task %q: want %s or %s", task, taskClassify, taskInstance)
	}
	var wait func() error
	if barrier != "" {
		if budget > 0 {
			return res, fmt.Errorf("-barrier times -steps steps: give -seconds 0")
		}
		if wait, err = newBarrier(barrier, barrierTimeout); err != nil {
			return res, err
		}
	}
	backend, err := pipeline.NewBackend()
	if err != nil {
		return res, err
	}
	defer backend.Finalize()
	var copies []*benchModel
	for range parallel {
		m, err := newBenchModel(backend, task, net, image, batch, conv, bn, precision)
		if err != nil {
			return res, err
		}
		copies = append(copies, m)
	}
	m := copies[0]
	res.Image, res.Conv, res.BatchNorm, res.Precision = m.image, m.conv, m.bn, precision
	res.Bank, res.Negatives, res.Temperature = m.bank, m.negatives, m.temperature

	start := time.Now()
	for i, c := range copies {
		if loss := c.step(); i == 0 {
			res.LossFirst = loss
		}
		for range warmup - 1 {
			c.step()
		}
	}
	res.WarmupSeconds = time.Since(start).Seconds()
	if m.stepGraph == nil {
		return res, fmt.Errorf("%s %s: the step built no graph", task, net)
	}
	flops, convs, err := matmulFLOPs(m.stepGraph)
	if err != nil {
		return res, fmt.Errorf("%s %s: %w", task, net, err)
	}
	res.MatmulGFLOPPerImage, res.NativeConvs = flops/float64(batch)/1e9, convs
	if wait != nil {
		if err := wait(); err != nil {
			return res, err
		}
	}
	timedStart := time.Now()
	if budget > 0 {
		start = time.Now()
		steps, _ = timeBoxed(budget, func() error { res.LossLast = m.step(); return nil })
		res.BudgetSeconds, res.Seconds = budget, time.Since(start).Seconds()
	}
	if parallel > 1 || budget == 0 {
		// Timed afresh with every copy (with -seconds, as many steps as the first copy fit).
		if res.Seconds, err = trainAll(copies, steps, &res.LossLast); err != nil {
			return res, err
		}
	}

	res.TimedStart, res.TimedEnd = unixSeconds(timedStart), unixSeconds(time.Now())
	for v := range m.ctx.IterVariables() {
		if v.Trainable {
			res.Params += v.Shape().Size()
		}
	}
	res.Task, res.Net, res.Batch, res.Steps, res.Warmup = task, net, batch, steps, warmup
	if parallel > 1 {
		res.Parallel = parallel
	}
	res.ImagesPerS = float64(parallel*steps*batch) / res.Seconds
	res.Backend = backend.Name()
	res.Device = backend.DeviceDescription(backends.DeviceNum(0))
	res.BackendDetails = backend.Description()
	return res, nil
}

// trainAll trains steps steps of every copy at once, each in its own goroutine, and returns
// the wall time; lossLast receives the first copy's last loss.
func trainAll(copies []*benchModel, steps int, lossLast *float64) (float64, error) {
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(copies))
	for i, c := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("copy %d: %v", i, r)
				}
			}()
			for s := 0; s < steps; s++ {
				// Only the last step syncs; the loss of earlier ones is never read back, so the
				// device can queue the steps as PyTorch does.
				loss := c.trainStep(s == steps-1)
				if i == 0 && s == steps-1 {
					*lossLast = loss
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start).Seconds(), errors.Join(errs...)
}

// benchModel is one model that run trains: its context, its train step and its inputs.
type benchModel struct {
	ctx             *context.Context
	trainer         *train.Trainer
	inputs, targets []*tensors.Tensor
	stepGraph       *graph.Graph // the step's graph, to count its matrix products
	image           []int
	conv, bn        string
	bank            []int
	negatives       int
	temperature     float64
}

// step trains one step and returns its loss, waiting for it.
func (m *benchModel) step() float64 { return m.trainStep(true) }

// trainStep trains one step; with wait it reads the loss back, which waits for the step.
func (m *benchModel) trainStep(wait bool) float64 {
	metrics, err := m.trainer.TrainStep(nil, m.inputs, m.targets)
	if err != nil {
		panic(err)
	}
	if !wait {
		return 0
	}
	return float64(tensors.ToScalar[float32](metrics[0]))
}

// newBenchModel builds a model of net for task on backend, with one fixed batch of random
// images (and labels, or memory-bank rows) to train on.
func newBenchModel(backend backends.Backend, task, net, image string, batch int, conv, bn, precision string) (*benchModel, error) {
	m := &benchModel{ctx: context.New()}
	ctx := m.ctx
	model, err := newBackbone(ctx, net)
	if err != nil {
		return nil, err
	}
	if m.image, err = parseImage(image, model.image); err != nil {
		return nil, err
	}
	classify := func(ctx *context.Context, x *graph.Node) *graph.Node {
		m.stepGraph = x.Graph()
		return model.classify(ctx, x)
	}
	embed := func(ctx *context.Context, x *graph.Node) *graph.Node {
		m.stepGraph = x.Graph()
		return model.embed(ctx, x)
	}
	switch conv {
	case "auto":
		// Patches are an order of magnitude faster on the pure-Go backend (see nets.Conv2D);
		// XLA has fast convolutions of its own (cuDNN on a GPU).
		conv = string(nets.ConvPatches)
		if backend.Name() == "xla" {
			conv = string(nets.ConvNative)
		}
	case string(nets.ConvNative), string(nets.ConvPatches):
	default:
		return nil, fmt.Errorf("-conv %q: want auto, native or patches", conv)
	}
	ctx.SetParam(nets.ParamConvImpl, conv)
	if err := nets.CheckPrecision(precision); err != nil {
		return nil, fmt.Errorf("-precision: %w", err)
	}
	ctx.SetParam(nets.ParamPrecision, precision)
	switch {
	case net == "conv-4" && (bn == "auto" || bn == string(nets.BatchNormGraph)):
		bn = string(nets.BatchNormGraph) // fixed in nets.Conv4
	case net == "conv-4":
		return nil, fmt.Errorf("-bn %q: Conv-4 has only the graph batch norm", bn)
	case bn == "auto":
		bn = string(nets.BatchNormGraph)
		if backend.Name() == "xla" {
			bn = string(nets.BatchNormBackend) // XLA's fused op, as cuDNN's in PyTorch.
		}
	case bn != string(nets.BatchNormGraph) && bn != string(nets.BatchNormBackend):
		return nil, fmt.Errorf("-bn %q: want auto, backend or graph", bn)
	}
	ctx.SetParam(nets.ParamBatchNormImpl, bn)

	rng := rand.New(rand.NewPCG(1, 2))
	h, w, c := m.image[0], m.image[1], m.image[2]
	pixels := make([]float32, batch*h*w*c)
	for i := range pixels {
		pixels[i] = rng.Float32()
	}
	images := tensors.FromFlatDataAndDimensions(pixels, batch, h, w, c)
	optimizer := momentumSGD{lr: learningRate, momentum: momentum, weightDecay: weightDecay}
	if task == taskInstance {
		if batch > bankSize {
			return nil, fmt.Errorf("-batch %d: instance discrimination needs at most %d, the memory bank's rows", batch, bankSize)
		}
		m.trainer, m.inputs, m.targets = instanceTrainer(backend, ctx, embed, images, optimizer, rng)
		m.bank, m.negatives, m.temperature = []int{bankSize, nets.DefaultEmbeddingDim}, nceNegatives, nceTemperature
	} else {
		labels := make([]int32, batch)
		for i := range labels {
			labels[i] = int32(rng.IntN(numClasses))
		}
		m.inputs = []*tensors.Tensor{images}
		m.targets = []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, batch, 1)}
		m.trainer = train.NewTrainer(backend, ctx,
			func(ctx *context.Context, _ any, in []*graph.Node) []*graph.Node {
				return []*graph.Node{classify(ctx, in[0])}
			},
			losses.SparseCategoricalCrossEntropyLogits, optimizer, nil, nil)
	}
	m.conv, m.bn = conv, bn
	return m, nil
}
