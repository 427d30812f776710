package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/metric-transfer/mtlp/lib/featio"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// propagateOptions are the flags of "mt propagate".
type propagateOptions struct {
	Features, Labels, Out string
	Method                string
	K, Eta, VoteK         int
	Sigma                 float64
	Classes, Chunks       int
	outputOptions
}

// propagateCommand parses the flags of "mt propagate" and runs it, with progress on stderr.
func propagateCommand(args []string) error {
	d := propagate.DefaultConfig(propagate.Spectral)
	var o propagateOptions
	fs := flag.NewFlagSet("propagate", flag.ContinueOnError)
	fs.StringVar(&o.Features, "features", "", "N×D float32 NumPy array (.npy), one feature row per example (required)")
	fs.StringVar(&o.Labels, "labels", "", `CSV with header "index,label", one row per labelled example (required)`)
	fs.StringVar(&o.Method, "method", "", "nn (Eq. 5, nearest-neighbour voting) or spectral (Eq. 6) (required)")
	fs.StringVar(&o.Out, "out", "", `output CSV: "index,label,confidence" for all N rows, - for standard output (required)`)
	fs.IntVar(&o.K, "k", d.GraphK, "spectral: kNN graph size, the row itself included")
	fs.IntVar(&o.Eta, "eta", d.Eta, "spectral: η of Eq. 6, eigenpairs kept")
	fs.Float64Var(&o.Sigma, "sigma", d.ConfidenceScale, "σ of Eq. 8, the logit scale of the confidence")
	fs.IntVar(&o.VoteK, "vote-k", d.VoteK, "nn: labelled voters per row (Eq. 5)")
	fs.IntVar(&o.Classes, "classes", 0, "number of classes (default: largest label + 1)")
	o.addFlags(fs)
	fs.IntVar(&o.Chunks, "chunks", 1, "spectral: split the unlabelled rows into this many chunks, each propagated with all the labels (the paper uses 10 for ImageNet)")
	if err := parseFlags(fs, args, "mt propagate --features X.npy --labels L.csv --method nn|spectral --out P.csv [flags]"); err != nil {
		return err
	}
	return runPropagate(o, os.Stderr)
}

// runPropagate checks the output, reads the features and labels, propagates and writes the
// pseudo labels atomically; log receives progress. Errors name the file and, for the labels,
// the line.
func runPropagate(o propagateOptions, log io.Writer) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	out, err := o.checkOutput("out", o.Out, false)
	if err != nil {
		return err
	}
	start := time.Now()
	x, err := featio.ReadNPYFile(o.Features)
	if err != nil {
		return err
	}
	if err := propagate.CheckRows(x); err != nil {
		return fmt.Errorf("%s: %w", o.Features, err)
	}
	fmt.Fprintf(log, "features: %s, %d rows × %d dimensions\n", o.Features, x.N, x.D)
	if cfg.Method == propagate.Spectral && cfg.GraphK >= x.N {
		return fmt.Errorf("--k %d must be smaller than the %d rows of %s (k counts the row itself); lower --k", cfg.GraphK, x.N, o.Features)
	}
	lab, err := featio.ReadLabelsCSVFile(o.Labels)
	if err != nil {
		return err
	}
	classes, err := lab.Check(x.N, o.Classes)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Labels, err)
	}
	fmt.Fprintf(log, "labels: %s, %d labelled rows in %d classes\n", o.Labels, lab.Len(), classes)
	res, err := propagate.Run(x, lab.Index, lab.Class, classes, cfg, progressTo(log, isTerminal(log), time.Now))
	if err != nil {
		return fmt.Errorf("propagating %s: %w", o.Features, err)
	}
	fmt.Fprintln(log)
	if res.Components > 1 {
		fmt.Fprintf(log, "note: the kNN graph has %d connected components; labels do not cross them\n", res.Components)
	}
	if res.TiedRows > 0 {
		fmt.Fprintf(log, "note: %d of %d rows have more equally similar rows than the %d neighbours --k keeps, so the row order chose among them (duplicate features?)\n",
			res.TiedRows, x.N, cfg.GraphK-1)
	}
	err = out.Write(func(w io.Writer) error {
		return featio.WritePredictionsCSV(w, res.Labels, res.Confidence)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s: %d rows, %s propagation in %.1f s\n", out, x.N, cfg.Method, time.Since(start).Seconds())
	return nil
}

// config checks the flags and turns them into a propagate.Config.
func (o propagateOptions) config() (propagate.Config, error) {
	var missing []error
	for _, f := range []struct{ name, v string }{{"features", o.Features}, {"labels", o.Labels}, {"method", o.Method}, {"out", o.Out}} {
		if f.v == "" {
			missing = append(missing, fmt.Errorf("--%s is required", f.name))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return propagate.Config{}, err
	}
	m := propagate.Method(o.Method)
	if m != propagate.NearestNeighbour && m != propagate.Spectral {
		return propagate.Config{}, fmt.Errorf("--method %q: want nn or spectral", o.Method)
	}
	switch {
	case o.K < 2:
		return propagate.Config{}, fmt.Errorf("--k %d: the kNN graph needs k ≥ 2 (it counts the row itself)", o.K)
	case o.Eta < 2:
		return propagate.Config{}, fmt.Errorf("--eta %d: need at least 2 eigenpairs (the trivial one is dropped)", o.Eta)
	case o.VoteK < 1:
		return propagate.Config{}, fmt.Errorf("--vote-k %d: need at least one voter", o.VoteK)
	case !(o.Sigma > 0) || math.IsInf(o.Sigma, 0):
		return propagate.Config{}, fmt.Errorf("--sigma %v: want a positive scale (default 40)", o.Sigma)
	case o.Chunks < 1:
		return propagate.Config{}, fmt.Errorf("--chunks %d: want at least 1", o.Chunks)
	case o.Classes < 0:
		return propagate.Config{}, fmt.Errorf("--classes %d: want a positive number, or 0 for largest label + 1", o.Classes)
	}
	cfg := propagate.DefaultConfig(m)
	cfg.GraphK, cfg.Eta, cfg.VoteK, cfg.ConfidenceScale, cfg.Chunks = o.K, o.Eta, o.VoteK, o.Sigma, o.Chunks
	return cfg, nil
}
