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
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

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
	flag.Parse()
	if err := run(*sizes, *dim, *classes, *perClass, *noise, *seed, *python, *script, *keep); err != nil {
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

// row is one line of the result table.
type row struct {
	n                 int
	method            string
	ours, scipy       float64 // seconds
	accOurs, accScipy float64
	agree             float64
}

func run(sizes string, dim, classes, perClass int, noise float64, seed uint64, python, script string, keep bool) error {
	var rows []row
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= classes*perClass {
			return fmt.Errorf("-n: %q is not a row count above the %d labelled rows", s, classes*perClass)
		}
		dir, err := os.MkdirTemp("", fmt.Sprintf("propagate-bench-%d-", n))
		if err != nil {
			return err
		}
		r, err := benchSize(dir, n, dim, classes, perClass, noise, seed, python, script)
		if keep {
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
		runtime.NumCPU(), runtime.GOMAXPROCS(0), propagate.BLAS, dim, classes, perClass, noise)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tmethod\tours s\tscipy s\tscipy/ours\tacc ours %\tacc scipy %\tagree %\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			r.n, r.method, r.ours, r.scipy, r.scipy/r.ours, 100*r.accOurs, 100*r.accScipy, 100*r.agree)
	}
	return tw.Flush()
}

// benchSize generates one data set in dir and measures both implementations on it.
func benchSize(dir string, n, dim, classes, perClass int, noise float64, seed uint64, python, script string) ([]row, error) {
	x, truth := propagate.Clustered(n, dim, classes, noise, seed)
	lab := firstPerClass(truth, classes, perClass)
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
		if err := featio.WriteFileAtomic(filepath.Join(dir, name), write); err != nil {
			return nil, err
		}
	}
	labelled := make([]bool, n)
	for _, i := range lab.Index {
		labelled[i] = true
	}
	ours := map[string][]int32{}
	var rows []row
	for _, m := range []propagate.Method{propagate.NearestNeighbour, propagate.Spectral} {
		fmt.Fprintf(os.Stderr, "N = %d, %s: ours ... ", n, m)
		start := time.Now()
		res, err := propagate.Run(x, lab.Index, lab.Class, classes, propagate.DefaultConfig(m), nil)
		if err != nil {
			return nil, err
		}
		secs := time.Since(start).Seconds()
		fmt.Fprintf(os.Stderr, "%.2f s", secs)
		if m == propagate.Spectral {
			fmt.Fprintf(os.Stderr, ", %d connected components", res.Components)
		}
		fmt.Fprintln(os.Stderr)
		ours[string(m)] = res.Labels
		rows = append(rows, row{n: n, method: string(m), ours: secs, accOurs: accuracy(res.Labels, truth, labelled)})
	}
	fmt.Fprintf(os.Stderr, "N = %d: scipy pipeline ...\n", n)
	cmd := exec.Command(python, script, "--dir", dir, "--methods", "nn,spectral")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", python, script, err)
	}
	var timings map[string]float64
	if err := json.Unmarshal(stdout.Bytes(), &timings); err != nil {
		return nil, fmt.Errorf("%s printed %q, not a JSON map of seconds: %w", script, stdout.String(), err)
	}
	for t := range rows {
		r := &rows[t]
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
