package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/release"
)

// loadFunc reads a dataset split; data.Load, or a stand-in in tests.
type loadFunc func(dir, name, split string) (*data.Dataset, error)

// pretrainOptions are the flags of "mt pretrain".
type pretrainOptions struct {
	Method, Net, Data, DataDir, Split, Out string
	Optimizer                              string
	Steps, Batch, Labels, Channels         int
	LearningRate                           float64
	Seed                                   uint64
	Restart                                bool
	// Epochs and RestartEpochs give the schedule in passes over the training images (of
	// ⌊images/batch⌋ steps): its length, replacing Steps, and the first warm-restart cycle.
	Epochs, RestartEpochs int
	// StepsSet says that --steps was given, which --epochs then contradicts.
	StepsSet      bool
	Bank16        bool
	DeviceAugment bool
	Precision     string
	Pause         time.Duration
	StepsPerCall  int
	// KNN, if positive, measures the metric by KNN-NN accuracy (temperature KNNTemperature) on
	// the test split at every cycle's end and once finished, into release.HistoryFile.
	KNN                int
	KNNTemperature     float64
	ResumeFrom, Export string
	// Command is recorded in release.HistoryFile.
	Command string
}

// pretrainCommand parses the flags of "mt pretrain" and runs it, with progress on stderr.
func pretrainCommand(args []string) error {
	d := metric.DefaultTrainConfig()
	var o pretrainOptions
	fs := flag.NewFlagSet("pretrain", flag.ContinueOnError)
	fs.StringVar(&o.Method, "method", "", "pretraining objective: "+strings.Join(metric.Methods, ", ")+" (required)")
	fs.StringVar(&o.Net, "net", d.Net, "backbone: "+strings.Join(nets.NetNames, ", "))
	fs.StringVar(&o.Data, "data", "", "dataset: "+strings.Join(data.Names, ", ")+" (required)")
	fs.StringVar(&o.DataDir, "data-dir", data.DataDir(), "data directory (default $"+data.EnvDataDir+", else ~/.cache/mtlp/data)")
	fs.StringVar(&o.Split, "split", "train", "split to train on: train or test")
	fs.StringVar(&o.Out, "out", "", "checkpoint directory; a rerun of the same command resumes from it, or returns the finished network (required)")
	fs.BoolVar(&o.Restart, "restart", false, "start over: move the checkpoints already in --out aside (into a replaced-… folder there), then train from step 0")
	fs.IntVar(&o.Steps, "steps", d.Steps, "optimisation steps")
	fs.IntVar(&o.Batch, "batch", d.BatchSize, "batch size")
	fs.Float64Var(&o.LearningRate, "lr", d.LearningRate, "initial learning rate (cosine decay to 1%); the authors use sgd at 0.03")
	fs.StringVar(&o.Optimizer, "optimizer", "adam", "optimiser: "+strings.Join(fit.Optimizers, ", ")+" (sgd: Nesterov momentum 0.9, weight decay 5e-4, as the authors)")
	fs.IntVar(&o.Channels, "channels", d.Channels, "conv-4: channels per block")
	fs.IntVar(&o.Labels, "labels", 0, "nca, bootstrap: train on this many class-balanced labelled images (0: every image of the split)")
	fs.Uint64Var(&o.Seed, "seed", d.Seed, "seed of initialisation, batches and the labelled subset")
	fs.IntVar(&o.Epochs, "epochs", 0, "train this many epochs (passes of ⌊images/batch⌋ steps) instead of --steps; the authors train 1270")
	fs.IntVar(&o.RestartEpochs, "restart-epochs", 0, "cosine with warm restarts: cycles of this many epochs, then twice as many, and so on (the authors: 10, for 10+20+…+640 = 1270 epochs); 0 for one cosine")
	fs.BoolVar(&o.Bank16, "bank16", false, "instance, nca: keep the memory bank in 16-bit fixed point (half the memory and checkpoint; entries within 2^-16 of float32's)")
	fs.BoolVar(&o.DeviceAugment, "device-augment", false, "instance, nca: draw and render the augmented views in the training graph, on the device, instead of on the host")
	fs.StringVar(&o.Precision, "precision", "float32", "the convolutions' products in training: float32, or bfloat16 (mixed precision: float32 weights, batch norm and loss)")
	fs.IntVar(&o.StepsPerCall, "steps-per-call", 1, "train this many steps in each call to the compiled graph (a GPU's per-call overhead is then paid once for them); the weights end where one step per call leaves them")
	fs.DurationVar(&o.Pause, "pause-after", 0, "after this much wall time (e.g. 9m), save a checkpoint and stop, unfinished; the same command goes on from there, exactly (0: never)")
	fs.IntVar(&o.KNN, "knn", 0, "measure the metric by weighted k-NN accuracy on the test split (the train split as memory) at the end of every warm-restart cycle and once finished, into "+release.HistoryFile+" in --out (the authors: 200; 0: never)")
	fs.Float64Var(&o.KNNTemperature, "knn-temperature", 0.1, "--knn vote weight exp(cos/temperature) (the authors' code: 0.1)")
	fs.StringVar(&o.ResumeFrom, "resume-from", "", "when --out holds no checkpoint yet, start from the checkpoint exported (--export) into this folder")
	fs.StringVar(&o.Export, "export", "", "when the call ends (finished or paused), export the newest checkpoint to this new folder, its data in parts of at most 15 MiB, with "+release.HistoryFile+" and "+metric.InfoFile)
	if err := parseFlags(fs, args, "mt pretrain --method M --data NAME --out DIR [flags]"); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { o.StepsSet = o.StepsSet || f.Name == "steps" })
	o.Command = strings.Join(append([]string{"mt", "pretrain"}, args...), " ")
	cfg, err := o.config()
	if err != nil {
		return err
	}
	backend, err := pipeline.NewBackend()
	if err != nil {
		return err
	}
	return runPretrain(o, cfg, backend, data.Load, os.Stderr)
}

// config checks the flags and turns them into a metric.PretrainConfig.
func (o pretrainOptions) config() (metric.PretrainConfig, error) {
	var missing []error
	for _, f := range []struct{ name, v string }{{"method", o.Method}, {"data", o.Data}, {"out", o.Out}} {
		if f.v == "" {
			missing = append(missing, fmt.Errorf("--%s is required", f.name))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return metric.PretrainConfig{}, err
	}
	switch {
	case !slices.Contains(metric.Methods, o.Method):
		return metric.PretrainConfig{}, fmt.Errorf("--method %q: want one of %s", o.Method, strings.Join(metric.Methods, ", "))
	case !slices.Contains(nets.NetNames, o.Net):
		return metric.PretrainConfig{}, fmt.Errorf("--net %q: want one of %s", o.Net, strings.Join(nets.NetNames, ", "))
	case o.Epochs == 0 && o.Steps < 1:
		return metric.PretrainConfig{}, fmt.Errorf("--steps %d: want at least 1", o.Steps)
	case o.Batch < 1:
		return metric.PretrainConfig{}, fmt.Errorf("--batch %d: want at least 1", o.Batch)
	case !(o.LearningRate > 0):
		return metric.PretrainConfig{}, fmt.Errorf("--lr %v: want a positive learning rate", o.LearningRate)
	case o.Optimizer != "" && !slices.Contains(fit.Optimizers, o.Optimizer):
		return metric.PretrainConfig{}, fmt.Errorf("--optimizer %q: want one of %s", o.Optimizer, strings.Join(fit.Optimizers, ", "))
	case o.Channels < 1:
		return metric.PretrainConfig{}, fmt.Errorf("--channels %d: want at least 1", o.Channels)
	case o.Labels < 0:
		return metric.PretrainConfig{}, fmt.Errorf("--labels %d: want a positive number, or 0 for every image", o.Labels)
	case o.Labels > 0 && o.Method != metric.MethodNCA && o.Method != metric.MethodBootstrap:
		return metric.PretrainConfig{}, fmt.Errorf("--labels %d: only nca and bootstrap train on labels; %s uses every image", o.Labels, o.Method)
	case o.Epochs < 0 || o.RestartEpochs < 0:
		return metric.PretrainConfig{}, fmt.Errorf("--epochs %d and --restart-epochs %d: want positive numbers (or 0: unset)", o.Epochs, o.RestartEpochs)
	case o.Epochs > 0 && o.StepsSet:
		return metric.PretrainConfig{}, fmt.Errorf("--epochs %d and --steps %d both give the schedule's length; give one", o.Epochs, o.Steps)
	case o.Bank16 && o.Method != metric.MethodInstance && o.Method != metric.MethodNCA:
		return metric.PretrainConfig{}, fmt.Errorf("--bank16: only instance and nca keep a memory bank, not %s", o.Method)
	case o.DeviceAugment && o.Method != metric.MethodInstance && o.Method != metric.MethodNCA:
		return metric.PretrainConfig{}, fmt.Errorf("--device-augment: only instance and nca augment on the device, not %s", o.Method)
	case nets.CheckPrecision(o.Precision) != nil:
		return metric.PretrainConfig{}, fmt.Errorf("--precision: %w", nets.CheckPrecision(o.Precision))
	case o.Pause < 0:
		return metric.PretrainConfig{}, fmt.Errorf("--pause-after %v: want a positive duration, or 0 for none", o.Pause)
	case o.StepsPerCall < 0:
		return metric.PretrainConfig{}, fmt.Errorf("--steps-per-call %d: want a positive count", o.StepsPerCall)
	case o.KNN < 0 || (o.KNN > 0 && !(o.KNNTemperature > 0)):
		return metric.PretrainConfig{}, fmt.Errorf("--knn %d and --knn-temperature %v: want k ≥ 0 and a positive temperature", o.KNN, o.KNNTemperature)
	}
	cfg := metric.DefaultPretrainConfig(o.Method)
	cfg.Net, cfg.Steps, cfg.BatchSize, cfg.LearningRate = o.Net, o.Steps, o.Batch, o.LearningRate
	cfg.Channels, cfg.Seed, cfg.CheckpointDir, cfg.Optimizer = o.Channels, o.Seed, o.Out, o.Optimizer
	cfg.Bank16, cfg.Pause, cfg.DeviceAugment, cfg.StepsPerCall = o.Bank16, o.Pause, o.DeviceAugment, o.StepsPerCall
	if o.Precision != string(nets.Float32) {
		cfg.Precision = o.Precision // float32 is the default, left out of the run's origin
	}
	return cfg, nil
}

// runPretrain loads the data, trains and saves the network in o.Out; log receives progress.
// A run paused by o.Pause returns nil, having said where it stopped.
func runPretrain(o pretrainOptions, cfg metric.PretrainConfig, backend backends.Backend, load loadFunc, log io.Writer) error {
	start := time.Now()
	ds, err := load(o.DataDir, o.Data, o.Split)
	if err != nil {
		return fmt.Errorf("--data %s: %w", o.Data, err)
	}
	if o.Method == metric.MethodColor && ds.C != 3 {
		return fmt.Errorf("--method color needs RGB images; --data %s has %d channel(s) (cifar10 has 3)", o.Data, ds.C)
	}
	var subset []int
	if o.Labels > 0 {
		if subset, err = data.SampleLabeled(ds.Labels, ds.NumClasses(), o.Labels, int64(o.Seed)); err != nil {
			return fmt.Errorf("--labels %d: %w", o.Labels, err)
		}
	}
	n := ds.N
	if subset != nil {
		n = len(subset)
	}
	if cfg.BatchSize > n {
		return fmt.Errorf("--batch %d: larger than the %d training images; lower --batch", cfg.BatchSize, n)
	}
	epoch := n / cfg.BatchSize
	if o.Epochs > 0 {
		cfg.Steps = o.Epochs * epoch
	}
	cfg.Restarts = o.RestartEpochs * epoch
	fmt.Fprintf(log, "data: %s, %d images of %d×%d×%d, training on %d (%d steps an epoch), %d steps\n",
		ds.Name, ds.N, ds.H, ds.W, ds.C, n, epoch, cfg.Steps)
	if o.Restart {
		aside, err := checkpoint.Restart(o.Out, metric.InfoFile, release.HistoryFile)
		if err != nil {
			return fmt.Errorf("--restart: %w", err)
		}
		if aside != "" {
			fmt.Fprintf(log, "restart: moved the earlier checkpoints of %s to %s\n", o.Out, aside)
		}
	}
	from, err := resumeFrom(o, log)
	if err != nil {
		return err
	}
	hist, err := release.ReadHistory(o.Out)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	slice := newSlice(backend.Name(), o.Command, from)
	hist.EpochSteps, hist.Slices = epoch, append(hist.Slices, slice)
	record := func() error {
		hist.Slices[len(hist.Slices)-1] = slice
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			return err
		}
		return hist.Write(o.Out)
	}
	var mon *knnMonitor
	if o.KNN > 0 {
		if mon, err = newKNNMonitor(o, hist, load, ds, epoch, record, log); err != nil {
			return err
		}
		cfg.AtCycleEnd = func(step int, f metric.Featurer) error { return mon.measure(step, f, false) }
	}
	if err := record(); err != nil {
		return fmt.Errorf("--out: recording the call in %s: %w", release.HistoryFile, err)
	}
	finish := func(to int, outcome string) error {
		slice.ToStep, slice.Outcome, slice.Seconds = to, outcome, time.Since(start).Seconds()
		if mon != nil {
			slice.MonitorSeconds = mon.seconds
		}
		if train := slice.Seconds - slice.MonitorSeconds; train > 0 {
			slice.ImagesPerSecond = float64((to-slice.FromStep)*cfg.BatchSize) / train
		}
		return record()
	}
	cfg.Progress = progressTo(log, isTerminal(log), time.Now)
	p, err := metric.Pretrain(backend, ds, subset, cfg)
	fmt.Fprintln(log) // ends the progress line
	var foreign *checkpoint.OriginError
	var paused *fit.PausedError
	switch {
	case errors.As(err, &foreign):
		return fmt.Errorf("%s; to go on, give another --out, or add --restart to move what is there aside and train from step 0", foreign.Refusal())
	case errors.As(err, &paused):
		if err := finish(paused.Step, "paused"); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		fmt.Fprintf(log, "paused after %.0f s at step %d of %d (epoch %.4g of %.4g), %.0f images/s; run the same command again to go on\n",
			slice.Seconds, paused.Step, paused.Steps, float64(paused.Step)/float64(epoch), float64(paused.Steps)/float64(epoch), slice.ImagesPerSecond)
		return export(o, log)
	case err != nil:
		return err
	}
	if mon != nil && !mon.curve.Has(p.Info.Steps, true) {
		if err := mon.measure(p.Info.Steps, p, true); err != nil {
			return err
		}
	}
	if err := finish(p.Info.Steps, "finished"); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(log, "wrote %s: %s with %s, %d steps in %.1f s\n", o.Out, p.Info.Method, p.Info.Net, p.Info.Steps, time.Since(start).Seconds())
	return export(o, log)
}

// resumeFrom imports the export o.ResumeFrom into o.Out when that holds no checkpoint yet, and
// returns the step that training goes on from.
func resumeFrom(o pretrainOptions, log io.Writer) (int, error) {
	c, err := checkpoint.Read(o.Out, nil) // none, and no error, when --out does not exist yet
	if err != nil {
		return 0, fmt.Errorf("--out: %w", err)
	}
	if c != nil {
		if o.ResumeFrom != "" {
			fmt.Fprintf(log, "--resume-from %s: not used, %s holds a checkpoint already (step %d)\n", o.ResumeFrom, o.Out, c.Step)
		}
		return int(c.Step), nil
	}
	if o.ResumeFrom == "" {
		return 0, nil
	}
	m, err := checkpoint.Import(o.ResumeFrom, o.Out)
	if err != nil {
		return 0, fmt.Errorf("--resume-from: %w", err)
	}
	fmt.Fprintf(log, "resume: imported the checkpoint of step %d (%s) from %s\n", m.Step, m.Phase, o.ResumeFrom)
	return int(m.Step), nil
}

// export exports the newest checkpoint of o.Out into o.Export, when given.
func export(o pretrainOptions, log io.Writer) error {
	if o.Export == "" {
		return nil
	}
	m, err := checkpoint.Export(o.Out, o.Export, 0, metric.InfoFile, release.HistoryFile)
	if err != nil {
		return fmt.Errorf("--export: %w", err)
	}
	fmt.Fprintf(log, "exported the checkpoint of step %d (%s, %d bytes of data) to %s\n", m.Step, m.Phase, m.Size, o.Export)
	return nil
}

// newKNNMonitor loads the test split of o.Data for the kNN monitor, whose curve is hist's (a
// new one when hist has none, or one of other settings).
func newKNNMonitor(o pretrainOptions, hist *release.History, load loadFunc, train *data.Dataset, epoch int, save func() error, log io.Writer) (*knnMonitor, error) {
	test, err := load(o.DataDir, o.Data, "test")
	if err != nil {
		return nil, fmt.Errorf("--knn: the test split of %s: %w", o.Data, err)
	}
	if o.Split != "train" {
		// The memory is the train split whatever the metric trained on, and never the queries.
		if train, err = load(o.DataDir, o.Data, "train"); err != nil {
			return nil, fmt.Errorf("--knn: the train split of %s: %w", o.Data, err)
		}
	}
	if o.KNN > train.N {
		return nil, fmt.Errorf("--knn %d: more neighbours than the %d train images", o.KNN, train.N)
	}
	c := hist.KNN
	if c == nil || c.K != o.KNN || c.Temperature != o.KNNTemperature || c.Data != train.Name {
		c = &release.Curve{Data: train.Name, K: o.KNN, Temperature: o.KNNTemperature, Points: []release.Point{}}
		hist.KNN = c
	}
	return &knnMonitor{train: train, test: test, curve: c, epochSteps: epoch, log: log, save: save}, nil
}
