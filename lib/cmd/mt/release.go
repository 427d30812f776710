package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/release"
	"github.com/x448/float16"
)

// releaseOptions are the flags of "mt release".
type releaseOptions struct {
	Checkpoint, Out, Name, Data, DataDir, Command string
}

// releaseCommand parses the flags of "mt release" and runs it, with progress on stderr.
func releaseCommand(args []string) error {
	var o releaseOptions
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "a finished mt pretrain --out directory (required)")
	fs.StringVar(&o.Out, "out", "", "the release folder to write, which must not exist, e.g. figures/metrics/instance-wrn-28-2 (required)")
	fs.StringVar(&o.Name, "name", "", "the release's name (default: the last element of --out)")
	fs.StringVar(&o.Data, "data", "", "dataset whose train and test splits are released: "+strings.Join(data.Names, ", ")+" (default: the one the metric was trained on)")
	fs.StringVar(&o.DataDir, "data-dir", data.DataDir(), "data directory (default $"+data.EnvDataDir+", else ~/.cache/mtlp/data)")
	fs.StringVar(&o.Command, "command", "", "the command recorded in the provenance (default: this mt release call)")
	if err := parseFlags(fs, args, "mt release --checkpoint DIR --out figures/metrics/NAME [flags]"); err != nil {
		return err
	}
	if o.Command == "" {
		o.Command = strings.Join(append([]string{"mt", "release"}, args...), " ")
	}
	backend, err := pipeline.NewBackend()
	if err != nil {
		return err
	}
	_, err = runRelease(o, backend, data.Load, os.Stderr)
	return err
}

// runRelease computes the features of the train and test splits with the finished metric of
// o.Checkpoint and writes them, its network, and what its history says, as a release in o.Out.
func runRelease(o releaseOptions, backend backends.Backend, load loadFunc, log io.Writer) (*release.Info, error) {
	switch {
	case o.Checkpoint == "" || o.Out == "":
		return nil, fmt.Errorf("release: --checkpoint and --out are required")
	}
	if _, err := os.Lstat(o.Out); err == nil {
		return nil, fmt.Errorf("--out %s exists; give a new folder (move the old release aside first)", o.Out)
	}
	start := time.Now()
	p, dataName, err := loadPretrained(backend, o.Checkpoint, o.Data, log)
	if err != nil {
		return nil, err
	}
	o.Data = dataName
	hist, err := release.ReadHistory(o.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("--checkpoint: %w", err)
	}
	info := release.Info{Name: o.Name, Metric: p.Info, Data: o.Data, EpochSteps: hist.EpochSteps, KNN: hist.KNN, Slices: hist.Slices}
	if info.Name == "" {
		info.Name = filepath.Base(filepath.Clean(o.Out))
	}
	if info.EpochSteps > 0 {
		info.Epochs = float64(p.Info.Steps) / float64(info.EpochSteps)
	}
	var images, trainSeconds float64
	for _, s := range hist.Slices {
		info.TrainSeconds += s.Seconds
		images += float64((s.ToStep - s.FromStep) * p.Info.BatchSize)
		trainSeconds += s.Seconds - s.MonitorSeconds
	}
	if trainSeconds > 0 {
		info.ImagesPerSecond = images / trainSeconds
	}
	if raw, err := os.ReadFile(filepath.Join(o.Checkpoint, checkpoint.OriginFile)); err == nil {
		var origin checkpoint.Origin
		if err := json.Unmarshal(raw, &origin); err != nil {
			return nil, fmt.Errorf("--checkpoint: %s: %w", checkpoint.OriginFile, err)
		}
		info.Settings = origin.Settings
	}
	var splits []release.Split
	for _, name := range []string{"train", "test"} {
		ds, err := load(o.DataDir, o.Data, name)
		if err != nil {
			return nil, fmt.Errorf("--data %s (%s split): %w", o.Data, name, err)
		}
		x, d, err := p.Features(ds, nil, progressTo(log, isTerminal(log), time.Now))
		fmt.Fprintln(log)
		if err != nil {
			return nil, err
		}
		splits = append(splits, release.Split{Name: name, Features: propagate.Matrix{N: ds.N, D: d, Data: x}, Labels: ds.Labels})
	}
	k, temperature := 200, 0.1
	if hist.KNN != nil {
		k, temperature = hist.KNN.K, hist.KNN.Temperature
	}
	k = min(k, splits[0].Features.N)
	train, test := roundFloat16(splits[0].Features), roundFloat16(splits[1].Features)
	classes := 0
	for _, s := range splits {
		for _, y := range s.Labels {
			classes = max(classes, int(y)+1)
		}
	}
	if info.KNNReleased, err = propagate.KNNTestAccuracy(train, splits[0].Labels, test, splits[1].Labels, classes, k, temperature); err != nil {
		return nil, err
	}
	prov := pipeline.NewProvenance(backend.Name(), "", 0, o.Command)
	info.Provenance = release.Provenance{Commit: prov.Commit, Backend: prov.Backend, Device: prov.Device, Date: prov.Date, Command: o.Command}
	if err := release.Write(o.Out, info, p, splits...); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "wrote %s: %s with %s, %d steps (%.4g epochs); %d-NN accuracy of the released features on %s's test split %.2f %% (%.0f s)\n",
		o.Out, p.Info.Method, p.Info.Net, p.Info.Steps, info.Epochs, k, o.Data, 100*info.KNNReleased, time.Since(start).Seconds())
	return &info, nil
}

// roundFloat16 returns a copy of x with every value rounded to float16, as a release stores it.
func roundFloat16(x propagate.Matrix) propagate.Matrix {
	out := propagate.Matrix{N: x.N, D: x.D, Data: make([]float32, len(x.Data))}
	for i, v := range x.Data {
		out.Data[i] = float16.Fromfloat32(v).Float32()
	}
	return out
}
