// Command bench times propagate.Run against a numpy + scipy implementation of the same
// pipeline (scipy_pipeline.py beside this file) on synthetic clustered features, and prints
// seconds and pseudo-label accuracy of both:
//
//	go run ./lib/propagate/bench -n 10000,50000
//
// For every size it draws N×128 float32 features around 10 random unit centres (seeded),
// labels the first 25 rows of each class, writes them as x.npy, labels.csv and truth.csv into
// a temporary directory, runs Run for nn and spectral in-process and then the Python script on
// the same files. Both timings cover propagation only, from features in memory to pseudo
// labels; file reading and, for Python, interpreter start-up are outside. Accuracy is over
// the unlabelled rows; "agree" is the fraction of rows where both give the same label.
//
// With -chunks C it also times spectral propagation in C chunks (the paper's mode for
// ImageNet), ours only; above -spectral-max, spectral runs in chunks only. Sizes above
// -scipy-max run ours only: the scipy pipeline's brute-force
// kNN and eigsh grow too slow to wait for. Peak memory is the resident set size's high-water
// mark (getrusage): for ours the benchmark process's so far, which includes the generated
// features, with sizes run in ascending order; for scipy that of its process.
//
// It is a measurement, not a test: it is not part of "go test" or "make test".
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/featio"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

func main() {
	sizes := flag.String("n", "10000,50000", "comma-separated numbers of rows")
	dim := flag.Int("d", 128, "feature dimension")
	classes := flag.Int("classes", 10, "number of clusters (classes)")
	perClass := flag.Int("per-class", 25, "labelled rows per class")
	noise := flag.Float64("noise", 0.2, "standard deviation of the per-coordinate noise around the unit centres")
	seed := flag.Uint64("seed", 1, "seed of the features")
	python := flag.String("python", "/usr/bin/python3", "Python interpreter with numpy and scipy")
	script := flag.String("script", defaultScript(), "the scipy pipeline")
	keep := flag.Bool("keep", false, "keep the temporary directory with the generated files")
	chunks := flag.Int("chunks", 0, "also time spectral propagation in this many chunks (ours only); 0 skips it")
	scipyMax := flag.Int("scipy-max", 50000, "largest size at which the scipy pipeline runs too")
	spectralMax := flag.Int("spectral-max", 250000, "largest size at which spectral propagation runs without chunks")
	flag.Parse()
	o := options{dim: *dim, classes: *classes, perClass: *perClass, noise: *noise, seed: *seed,
		python: *python, script: *script, keep: *keep, chunks: *chunks, scipyMax: *scipyMax, spectralMax: *spectralMax}
	if err := run(*sizes, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// defaultScript is scipy_pipeline.py in this command's source directory.
func defaultScript() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "lib/propagate/bench/scipy_pipeline.py"
	}
	return filepath.Join(filepath.Dir(file), "scipy_pipeline.py")
}

// options are the command's flags.
type options struct {
	dim, classes, perClass int
	noise                  float64
	seed                   uint64
	python, script         string
	keep                   bool
	chunks, scipyMax       int
	spectralMax            int
}

// row is one line of the result table; scipy fields are zero where scipy did not run.
type row struct {
	n                 int
	method            string
	ours, scipy       float64 // seconds
	accOurs, accScipy float64
	agree             float64
	rssOurs, rssScipy int64 // peak resident set, bytes
}

func run(sizes string, o options) error {
	var ns []int
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= o.classes*o.perClass {
			return fmt.Errorf("-n: %q is not a row count above the %d labelled rows", s, o.classes*o.perClass)
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	var rows []row
	for _, n := range ns {
		dir, err := os.MkdirTemp("", fmt.Sprintf("propagate-bench-%d-", n))
		if err != nil {
			return err
		}
		r, err := benchSize(dir, n, o)
		if o.keep {
			fmt.Fprintln(os.Stderr, "kept", dir)
		} else {
			os.RemoveAll(dir)
		}
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	fmt.Printf("\n%d CPUs (GOMAXPROCS %d), BLAS %s, D = %d, %d classes × %d labels, noise %.2f, K = 20, η = 200, vote K = 200\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), propagate.BLAS, o.dim, o.classes, o.perClass, o.noise)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tmethod\tours s\tscipy s\tscipy/ours\tacc ours %\tacc scipy %\tagree %\tpeak MiB ours\tpeak MiB scipy\t")
	for _, r := range rows {
		if r.scipy == 0 {
			fmt.Fprintf(tw, "%d\t%s\t%.2f\t—\t—\t%.2f\t—\t—\t%d\t—\t\n", r.n, r.method, r.ours, 100*r.accOurs, r.rssOurs>>20)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t\n",
			r.n, r.method, r.ours, r.scipy, r.scipy/r.ours, 100*r.accOurs, 100*r.accScipy, 100*r.agree, r.rssOurs>>20, r.rssScipy>>20)
	}
	return tw.Flush()
}

// peakRSS returns the high-water mark of the resident set of this process (who =
// RUSAGE_SELF) in bytes; Linux reports it in KiB.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10
}

// benchSize generates one data set in dir and measures both implementations on it.
func benchSize(dir string, n int, o options) ([]row, error) {
	classes := o.classes
	x, truth := propagate.Clustered(n, o.dim, classes, o.noise, o.seed)
	lab := firstPerClass(truth, classes, o.perClass)
	all := featio.Labels{Index: make([]int, n), Class: truth}
	for i := range all.Index {
		all.Index[i] = i
	}
	files := map[string]func(io.Writer) error{
		"x.npy":      func(w io.Writer) error { return featio.WriteNPY(w, x) },
		"labels.csv": func(w io.Writer) error { return featio.WriteLabelsCSV(w, lab) },
		"truth.csv":  func(w io.Writer) error { return featio.WriteLabelsCSV(w, all) },
	}
	for name, write := range files {
		if err := atomicfile.Write(filepath.Join(dir, name), write); err != nil {
			return nil, err
		}
	}
	labelled := make([]bool, n)
	for _, i := range lab.Index {
		labelled[i] = true
	}
	ours := map[string][]int32{}
	var rows []row
	type variant struct {
		name   string
		method propagate.Method
		chunks int
	}
	variants := []variant{{string(propagate.NearestNeighbour), propagate.NearestNeighbour, 0}}
	if n <= o.spectralMax {
		variants = append(variants, variant{string(propagate.Spectral), propagate.Spectral, 0})
	}
	if o.chunks > 1 {
		variants = append(variants, variant{fmt.Sprintf("spectral, %d chunks", o.chunks), propagate.Spectral, o.chunks})
	}
	for _, v := range variants {
		fmt.Fprintf(os.Stderr, "N = %d, %s: ours ... ", n, v.name)
		cfg := propagate.DefaultConfig(v.method)
		cfg.Chunks = v.chunks
		start := time.Now()
		res, err := propagate.Run(x, lab.Index, lab.Class, classes, cfg, nil)
		if err != nil {
			return nil, err
		}
		secs := time.Since(start).Seconds()
		fmt.Fprintf(os.Stderr, "%.2f s", secs)
		if v.method == propagate.Spectral {
			fmt.Fprintf(os.Stderr, ", %d connected components", res.Components)
		}
		fmt.Fprintln(os.Stderr)
		ours[v.name] = res.Labels
		rows = append(rows, row{n: n, method: v.name, ours: secs, accOurs: accuracy(res.Labels, truth, labelled), rssOurs: peakRSS()})
	}
	if n > o.scipyMax {
		return rows, nil
	}
	fmt.Fprintf(os.Stderr, "N = %d: scipy pipeline ...\n", n)
	cmd := exec.Command(o.python, o.script, "--dir", dir, "--methods", "nn,spectral")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.python, o.script, err)
	}
	var rssScipy int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rssScipy = ru.Maxrss << 10
	}
	var timings map[string]float64
	if err := json.Unmarshal(stdout.Bytes(), &timings); err != nil {
		return nil, fmt.Errorf("%s printed %q, not a JSON map of seconds: %w", o.script, stdout.String(), err)
	}
	for t := range rows {
		r := &rows[t]
		if _, ok := timings[r.method]; !ok {
			continue // a variant scipy does not run
		}
		r.rssScipy = rssScipy
		pred, err := featio.ReadLabelsCSVFile(filepath.Join(dir, "pred_"+r.method+".csv"))
		if err != nil {
			return nil, err
		}
		if pred.Len() != n {
			return nil, fmt.Errorf("scipy %s predicted %d rows, want %d", r.method, pred.Len(), n)
		}
		theirs := make([]int32, n)
		for k, i := range pred.Index {
			theirs[i] = pred.Class[k]
		}
		r.scipy = timings[r.method]
		r.accScipy = accuracy(theirs, truth, labelled)
		r.agree = accuracy(theirs, ours[r.method], make([]bool, n))
	}
	return rows, nil
}

// accuracy is the fraction of rows outside skip where pred equals truth.
func accuracy(pred, truth []int32, skip []bool) float64 {
	correct, total := 0, 0
	for i := range truth {
		if skip[i] {
			continue
		}
		total++
		if pred[i] == truth[i] {
			correct++
		}
	}
	return float64(correct) / float64(total)
}

// firstPerClass labels the first per rows of each class.
func firstPerClass(truth []int32, classes, per int) featio.Labels {
	count := make([]int, classes)
	var l featio.Labels
	for i, c := range truth {
		if count[c] < per {
			count[c]++
			l.Index = append(l.Index, i)
			l.Class = append(l.Class, c)
		}
	}
	return l
}
