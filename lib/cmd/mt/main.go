// Command mt runs the project's pipelines headless, with the same calls the notebooks make.
//
//	mt quickstart [-scale small|smoke] [-data-dir DIR] [-cache-dir DIR] [-publish DIR]
//
// quickstart learns an instance-discrimination metric on Fashion-MNIST, propagates 100 labels
// by nearest neighbours (Eq. 5) and spectral embedding (Eq. 6), trains confidence-weighted
// classifiers (Eq. 10) and prints their test accuracy beside a classifier trained on the
// labels alone. Stages are cached (see -cache-dir), so a rerun or a killed run resumes.
package main

import (
	"fmt"
	"os"
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

Run "mt COMMAND -h" for the flags of a command.`)
}
