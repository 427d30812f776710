package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/featio"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// featuresOptions are the flags of "mt features".
type featuresOptions struct {
	Checkpoint, Data, DataDir, Split, Out string
	outputOptions
}

// featuresCommand parses the flags of "mt features" and runs it, with progress on stderr.
func featuresCommand(args []string) error {
	var o featuresOptions
	fs := flag.NewFlagSet("features", flag.ContinueOnError)
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "checkpoint directory written by mt pretrain --out (required)")
	fs.StringVar(&o.Data, "data", "", "dataset: "+strings.Join(data.Names, ", ")+" (required)")
	fs.StringVar(&o.DataDir, "data-dir", data.DataDir(), "data directory (default $"+data.EnvDataDir+", else ~/.cache/mtlp/data)")
	fs.StringVar(&o.Split, "split", "train", "split: train or test")
	fs.StringVar(&o.Out, "out", "", "output: N×D float32 NumPy array (.npy) of L2-normalised features, row i for image i; - for standard output when it is not a terminal (required)")
	o.addFlags(fs)
	if err := parseFlags(fs, args, "mt features --checkpoint DIR --data NAME --out X.npy [flags]"); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	backend, err := pipeline.NewBackend()
	if err != nil {
		return err
	}
	return runFeatures(o, backend, data.Load, os.Stderr)
}

func (o featuresOptions) check() error {
	var missing []error
	for _, f := range []struct{ name, v string }{{"checkpoint", o.Checkpoint}, {"data", o.Data}, {"out", o.Out}} {
		if f.v == "" {
			missing = append(missing, fmt.Errorf("--%s is required", f.name))
		}
	}
	return errors.Join(missing...)
}

// runFeatures checks the output, loads the network and the data, computes the features and
// writes them atomically as .npy; log receives progress.
func runFeatures(o featuresOptions, backend backends.Backend, load loadFunc, log io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	out, err := o.checkOutput("out", o.Out, true)
	if err != nil {
		return err
	}
	start := time.Now()
	p, err := metric.LoadPretrained(backend, o.Checkpoint)
	if err != nil {
		return fmt.Errorf("--checkpoint: %w", err)
	}
	ds, err := load(o.DataDir, o.Data, o.Split)
	if err != nil {
		return fmt.Errorf("--data %s: %w", o.Data, err)
	}
	fmt.Fprintf(log, "network: %s with %s on %s; data: %s, %d images\n", p.Info.Method, p.Info.Net, p.Info.Data, ds.Name, ds.N)
	f, d, err := p.Features(ds, nil, progressTo(log, isTerminal(log), time.Now))
	if err != nil {
		return err
	}
	fmt.Fprintln(log)
	m := propagate.Matrix{N: ds.N, D: d, Data: f}
	if err := propagate.CheckRows(m); err != nil {
		return fmt.Errorf("features of %s: %w", ds.Name, err)
	}
	if err := out.Write(func(w io.Writer) error { return featio.WriteNPY(w, m) }); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s: %d × %d float32 in %.1f s\n", out, m.N, m.D, time.Since(start).Seconds())
	return nil
}
