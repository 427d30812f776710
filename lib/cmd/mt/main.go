// Command mt runs the project's pipelines headless, with the same calls the notebooks make.
//
//	mt quickstart [-scale small|smoke] [-data-dir DIR] [-cache-dir DIR] [-publish DIR]
//	mt propagate --features X.npy --labels L.csv --method nn|spectral --out P.csv
//	mt pretrain --method instance|nca|color|bootstrap --net NET --data NAME --out DIR
//	mt features --checkpoint DIR --data NAME --split train|test --out X.npy
//	mt evaluate --checkpoint DIR [--data NAME] [--json OUT.json]
//	mt repro --table N [--scale smoke|bench] [--publish DIR]
//
// quickstart learns an instance-discrimination metric on Fashion-MNIST, propagates 100 labels
// by nearest neighbours (Eq. 5) and spectral embedding (Eq. 6), trains confidence-weighted
// classifiers (Eq. 10) and prints their test accuracy beside a classifier trained on the
// labels alone. Stages are cached (see -cache-dir), so a rerun or a killed run resumes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "quickstart":
		err = quickstart(os.Args[2:])
	case "propagate":
		err = propagateCommand(os.Args[2:])
	case "pretrain":
		err = pretrainCommand(os.Args[2:])
	case "features":
		err = featuresCommand(os.Args[2:])
	case "evaluate":
		err = evaluateCommand(os.Args[2:])
	case "repro":
		err = reproCommand(os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mt:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: mt COMMAND [flags]

commands:
  quickstart   the whole pipeline on Fashion-MNIST with 100 labels (notebooks/00_quickstart.ipynb)
  propagate    pseudo labels for N×D features (.npy) from a labels CSV, by nn or spectral propagation
  pretrain     learn a metric (instance, nca, color or bootstrap) on a dataset; writes a checkpoint
  features     L2-normalised features (.npy) of a dataset from a pretrain checkpoint, for propagate
  evaluate     a pretrained metric's weighted kNN accuracy on a test split (Wu et al. 2018)
  repro        one of the paper's tables (--table 1, 2 or 6) at a scale, beside the paper's numbers; writes figures/

Run "mt COMMAND -h" for the flags of a command.`)
}

// parseFlags parses a subcommand's args into fs, with usage as the first line of its help. It
// returns done = true when the help was asked for, and an error for a bad flag or a stray
// argument (every input is a flag).
func parseFlags(fs *flag.FlagSet, args []string, usage string) (done bool, err error) {
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: "+usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("%s: unexpected argument %q; all inputs are flags", fs.Name(), fs.Arg(0))
	}
	return false, nil
}

// printTable writes a table to stdout in aligned columns.
func printTable(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
