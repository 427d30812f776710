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
	"github.com/metric-transfer/mtlp/lib/repro"
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
}

// pretrainCommand parses the flags of "mt pretrain" and runs it, with progress on stderr.
func pretrainCommand(args []string) error {
	d := metric.DefaultTrainConfig()
	var o pretrainOptions
	fs := flag.NewFlagSet("pretrain", flag.ContinueOnError)
	fs.StringVar(&o.Method, "method", "", "pretraining objective: "+strings.Join(metric.Methods, ", ")+" (required)")
	fs.StringVar(&o.Net, "net", d.Net, "backbone: "+strings.Join(metric.NetNames, ", "))
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
	if done, err := parseFlags(fs, args, "mt pretrain --method M --data NAME --out DIR [flags]"); done || err != nil {
		return err
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	backend, err := repro.NewBackend()
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
	case !slices.Contains(metric.NetNames, o.Net):
		return metric.PretrainConfig{}, fmt.Errorf("--net %q: want one of %s", o.Net, strings.Join(metric.NetNames, ", "))
	case o.Steps < 1:
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
	}
	cfg := metric.DefaultPretrainConfig(o.Method)
	cfg.Net, cfg.Steps, cfg.BatchSize, cfg.LearningRate = o.Net, o.Steps, o.Batch, o.LearningRate
	cfg.Channels, cfg.Seed, cfg.CheckpointDir, cfg.Optimizer = o.Channels, o.Seed, o.Out, o.Optimizer
	return cfg, nil
}

// runPretrain loads the data, trains and saves the network in o.Out; log receives progress.
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
	fmt.Fprintf(log, "data: %s, %d images of %d×%d×%d, training on %d\n", ds.Name, ds.N, ds.H, ds.W, ds.C, n)
	if o.Restart {
		aside, err := checkpoint.Restart(o.Out, metric.InfoFile)
		if err != nil {
			return fmt.Errorf("--restart: %w", err)
		}
		if aside != "" {
			fmt.Fprintf(log, "restart: moved the earlier checkpoints of %s to %s\n", o.Out, aside)
		}
	}
	cfg.Progress = progressETA(log)
	p, err := metric.Pretrain(backend, ds, subset, cfg)
	fmt.Fprintln(log) // ends the progress line
	var foreign *checkpoint.OriginError
	if errors.As(err, &foreign) {
		return fmt.Errorf("%s; to go on, give another --out, or add --restart to move what is there aside and train from step 0", foreign.Refusal())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s: %s with %s, %d steps in %.1f s\n", o.Out, p.Info.Method, p.Info.Net, p.Info.Steps, time.Since(start).Seconds())
	return nil
}

// progressETA returns a progress callback that redraws one line per stage on w with the time
// left, extrapolated from the stage's pace so far.
func progressETA(w io.Writer) func(stage string, done, total int) {
	last := ""
	var began time.Time
	return func(stage string, done, total int) {
		if stage != last {
			if last != "" {
				fmt.Fprintln(w)
			}
			last, began = stage, time.Now()
		}
		eta := "?"
		if done > 0 && total >= done {
			left := time.Duration(float64(time.Since(began)) / float64(done) * float64(total-done))
			eta = left.Round(time.Second).String()
		}
		fmt.Fprintf(w, "\r%-40s %7d / %-7d ETA %-10s", stage, done, total, eta)
	}
}
