package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/release"
	"github.com/metric-transfer/mtlp/lib/repro"
)

// reproFlags are the flags of mt repro.
type reproFlags struct {
	table, pool, test, classifierSteps int
	scale, dataDir, cacheDir, publish  string
	suffix, labels, rows, checkpoints  string
	percents, finetune                 string
	metric                             string
	episodes                           int
	seconds                            float64
	pretrainSeconds, classifierSeconds float64
}

// reproCommand runs one of the paper's tables headless, with the calls of its notebook, prints
// it beside the paper's numbers and publishes it.
func reproCommand(args []string) error {
	fs := flag.NewFlagSet("repro", flag.ContinueOnError)
	var f reproFlags
	fs.IntVar(&f.table, "table", 0, "the paper's table to reproduce: 1 to 7 (required)")
	fs.StringVar(&f.scale, "scale", repro.ScaleFromEnv(repro.Smoke), "smoke, bench or paper (tables 2 to 5 on a GPU; table 1 on the CPU, in the released metric) (default $"+repro.EnvScale+", else smoke)")
	fs.StringVar(&f.dataDir, "data-dir", data.DataDir(), "data directory (default $"+data.EnvDataDir+", else ~/.cache/mtlp/data)")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "stage cache (default $MT_CACHE_DIR, else ~/.cache/mtlp/artifacts)")
	fs.StringVar(&f.publish, "publish", "figures", "write the result JSON with provenance and its figures into this directory, created if missing (empty: do not publish)")
	fs.StringVar(&f.suffix, "suffix", "", "tables 2 to 5: appended to the published file names (e.g. -xla-h100)")
	fs.StringVar(&f.labels, "labels", "", "tables 2 to 4: comma-separated label counts (default: the scale's)")
	fs.StringVar(&f.rows, "rows", "", "tables 2 and 5: comma-separated metric/propagation rows, e.g. instance/spectral,none/none; tables 3 and 4: method[+ours][@network], e.g. ours@wrn-28-10,vat+ours (default: all)")
	fs.StringVar(&f.percents, "percents", "", "table 5: comma-separated labeled shares of the pool in % (default: the paper's 1,2,4)")
	fs.IntVar(&f.episodes, "episodes", 0, "table 7: test episodes per column (default: the scale's)")
	fs.StringVar(&f.finetune, "finetune", "", "table 7: how ours finetunes each episode's classifier, head or net (default: the scale's)")
	fs.IntVar(&f.pool, "pool", -1, "tables 2 to 5: training images in the pool, 0 for all (default: the scale's)")
	fs.IntVar(&f.test, "test", -1, "tables 2 to 5: test images, 0 for all (default: the scale's)")
	fs.IntVar(&f.classifierSteps, "classifier-steps", 0, "tables 2 to 5: the classifiers' step budget (default: the scale's)")
	fs.StringVar(&f.checkpoints, "checkpoint-dir", "", "tables 2 to 5: keep training checkpoints here, one folder per network, so a killed run resumes")
	fs.Float64Var(&f.seconds, "seconds", 0, "tables 2 to 5: time budget of the whole run; the classifiers share what the metrics leave")
	fs.Float64Var(&f.pretrainSeconds, "pretrain-seconds", 0, "tables 2 to 5: time budget of each metric pretraining (ends at a restart cycle's end with the paper scale's schedule)")
	fs.StringVar(&f.metric, "metric", "", "tables 1 to 5: the instance-discrimination metric: a released metric's folder (e.g. figures/metrics/"+repro.CIFAR10Release+") or name, whose features replace its pretraining; train to pretrain it here (default: the scale's, the release at bench scale when the repository holds it)")
	fs.Float64Var(&f.classifierSeconds, "classifier-seconds", 0, "tables 2 to 5: time budget of each classifier (its steps sized from the pretraining's rate)")
	if done, err := parseFlags(fs, args, "mt repro --table N [--scale smoke|bench|paper] [flags]"); done || err != nil {
		return err
	}
	run, ok := reproTables[f.table]
	if !ok {
		return fmt.Errorf("--table %d: the paper's tables are 1 to 7", f.table)
	}
	if err := checkPublish("publish", f.publish); err != nil {
		return err
	}
	return run(f, "mt repro "+strings.Join(args, " "))
}

// reproTables run each of the paper's tables from mt repro's flags and its command line.
var reproTables = map[int]func(f reproFlags, command string) error{
	1: reproTable1, 2: reproTable2, 3: reproSSL, 4: reproSSL, 5: reproTable5, 6: reproTable6, 7: reproTable7,
}

// reproTable1 runs Table 1.
func reproTable1(f reproFlags, command string) error {
	cfg, err := repro.Table1ConfigFor(f.scale)
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.CacheDir, cfg.Command = f.dataDir, f.cacheDir, command
	if cfg.Released, err = releasedFlag(f.metric, cfg.Released); err != nil {
		return err
	}
	backend, err := repro.NewBackend()
	if err != nil {
		return err
	}
	res, err := repro.RunTable1(backend, cfg, progressLine())
	if err != nil {
		return err
	}
	if err := printResult(res, res.Computed, res.Wall); err != nil {
		return err
	}
	if f.publish != "" {
		path, err := res.Publish(f.publish)
		if err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	return nil
}

// reproTable2 runs Table 2, publishing after every cell so that a run cut short keeps what it
// finished.
func reproTable2(f reproFlags, command string) error {
	cfg, err := repro.Table2ConfigFor(f.scale)
	if err != nil {
		return err
	}
	if err := f.table2(&cfg, command); err != nil {
		return err
	}
	return runPublishing(f, suffixed[*repro.Table2Result](f), func(backend backends.Backend, onCell func(*repro.Table2Result)) (*repro.Table2Result, error) {
		return repro.RunTable2(backend, cfg, progressLine(), onCell)
	})
}

// reproTable5 runs Table 5 (the ImageNet protocol on CIFAR-10), publishing after every cell.
func reproTable5(f reproFlags, command string) error {
	cfg, err := repro.Table5ConfigFor(f.scale)
	if err != nil {
		return err
	}
	if f.labels != "" {
		return fmt.Errorf("--labels: table 5's columns are labeled shares; use --percents")
	}
	if err := f.table2(&cfg.Table2Config, command); err != nil {
		return err
	}
	if f.percents != "" {
		if cfg.Percents, err = parsePercents(f.percents); err != nil {
			return err
		}
	}
	return runPublishing(f, suffixed[*repro.Table5Result](f), func(backend backends.Backend, onCell func(*repro.Table5Result)) (*repro.Table5Result, error) {
		return repro.RunTable5(backend, cfg, progressLine(), onCell)
	})
}

// reproSSL runs Table 3 or 4 (our method beside the semi-supervised baselines), publishing
// after every cell.
func reproSSL(f reproFlags, command string) error {
	configFor, run := repro.Table3ConfigFor, repro.RunTable3
	if f.table == 4 {
		configFor, run = repro.Table4ConfigFor, repro.RunTable4
	}
	cfg, err := configFor(f.scale)
	if err != nil {
		return err
	}
	rows := f.rows
	f.rows = "" // Table 2's rows are fixed (ours: instance discrimination + spectral).
	if err := f.table2(&cfg.Table2Config, command); err != nil {
		return err
	}
	if rows != "" {
		if cfg.Methods, err = pickSSLRows(cfg.Methods, rows); err != nil {
			return err
		}
	}
	return runPublishing(f, suffixed[*repro.SSLResult](f), func(backend backends.Backend, onCell func(*repro.SSLResult)) (*repro.SSLResult, error) {
		return run(backend, cfg, progressLine(), onCell)
	})
}

// table2 applies the flags of Table 2's stages (tables 2 to 5) to cfg: the sizes, the rows, the
// checkpoints and the time budgets.
func (f reproFlags) table2(cfg *repro.Table2Config, command string) error {
	cfg.DataDir, cfg.CacheDir, cfg.CheckpointDir, cfg.Command = f.dataDir, f.cacheDir, f.checkpoints, command
	if err := f.sizes(&cfg.Classifier.Steps, &cfg.Pool, &cfg.Test, &cfg.Labels); err != nil {
		return err
	}
	if f.rows != "" {
		rows, err := parseTable2Rows(f.rows)
		if err != nil {
			return err
		}
		cfg.Rows = rows
	}
	if f.seconds < 0 || f.pretrainSeconds < 0 || f.classifierSeconds < 0 {
		return fmt.Errorf("time budgets must not be negative")
	}
	for m, pc := range cfg.Metrics {
		pc.Seconds = f.pretrainSeconds
		cfg.Metrics[m] = pc
	}
	cfg.Classifier.Seconds, cfg.Seconds = f.classifierSeconds, f.seconds
	var err error
	cfg.Released, err = releasedFlag(f.metric, cfg.Released)
	return err
}

// trainHere is the --metric value that pretrains the metric here, whatever release is present.
const trainHere = "train"

// releasedFlag applies --metric to a table's released metrics (by metric): "" keeps them, train
// pretrains instance discrimination here (no release for it), and anything else names the
// release it transfers.
func releasedFlag(v string, released map[string]string) (map[string]string, error) {
	if v == "" {
		return released, nil
	}
	dir, err := resolveMetric(v)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for m, d := range released {
		out[m] = d
	}
	out[metric.MethodInstance] = dir
	if dir == "" {
		delete(out, metric.MethodInstance)
	}
	return out, nil
}

// resolveMetric turns a --metric value into a release folder: train into none (""), a folder
// holding a release is taken as it is, and a name is looked up (release.Find).
func resolveMetric(v string) (string, error) {
	if v == trainHere {
		return "", nil
	}
	if _, err := os.Stat(filepath.Join(v, release.InfoFile)); err == nil {
		return v, nil
	}
	if dir := release.Find(v); dir != "" {
		return dir, nil
	}
	return "", fmt.Errorf("--metric %s: neither a released metric's folder (with %s) nor the name of one under %s (or $%s); give %s to pretrain it here",
		v, release.InfoFile, release.MetricsDir, release.EnvMetricsDir, trainHere)
}

// printable is a table's result that prints beside the paper's.
type printable interface {
	BesidePaper() ([]string, [][]string)
	Note() string
}

// runPublishing runs a table on the default backend, publishing it (to --publish, with
// publish) after every cell so that a run cut short keeps what it finished, then prints the
// result beside the paper's and publishes it once more.
func runPublishing[R printable](f reproFlags, publish func(R, string) (string, error), run func(backends.Backend, func(R)) (R, error)) error {
	backend, err := repro.NewBackend()
	if err != nil {
		return err
	}
	write := func(res R) error {
		if f.publish == "" {
			return nil
		}
		path, err := publish(res, f.publish)
		if err == nil {
			fmt.Fprintln(os.Stderr, "\nwrote", path)
		}
		return err
	}
	var publishErr error
	res, err := run(backend, func(partial R) {
		if err := write(partial); err != nil && publishErr == nil {
			publishErr = err
		}
	})
	if err != nil {
		return err
	}
	if publishErr != nil {
		return publishErr
	}
	computed, wall := stagesOf(res)
	if err := printResult(res, computed, wall); err != nil {
		return err
	}
	return write(res)
}

// suffixed returns the publish function of a result whose Publish takes --suffix.
func suffixed[R interface {
	Publish(string, string) (string, error)
}](f reproFlags) func(R, string) (string, error) {
	return func(r R, dir string) (string, error) { return r.Publish(dir, f.suffix) }
}

// stagesOf returns how many stages a table's run computed and its wall time, from the fields
// every result has.
func stagesOf(res any) (computed int, wall float64) {
	switch r := res.(type) {
	case *repro.Table2Result:
		return r.Computed, r.Wall
	case *repro.Table5Result:
		return r.Computed, r.Wall
	case *repro.SSLResult:
		return r.Computed, r.Wall
	case *repro.Table6Result:
		return r.Computed, r.Wall
	case *repro.Table7Result:
		return r.Computed, r.Wall
	}
	return 0, 0
}

// sizes applies the flags that resize a table (tables 2 and 6), each only when given.
func (f reproFlags) sizes(classifierSteps, pool, test *int, labels *[]int) error {
	if f.classifierSteps > 0 {
		*classifierSteps = f.classifierSteps
	}
	if f.pool >= 0 {
		*pool = f.pool
	}
	if f.test >= 0 {
		*test = f.test
	}
	if f.labels == "" {
		return nil
	}
	l, err := parseLabels(f.labels)
	if err == nil {
		*labels = l
	}
	return err
}

// printResult prints a table beside the paper's, its note and how much of it this run
// computed.
func printResult(r interface {
	BesidePaper() ([]string, [][]string)
	Note() string
}, computed int, wall float64) error {
	fmt.Fprintln(os.Stderr)
	if err := printTable(r.BesidePaper()); err != nil {
		return err
	}
	fmt.Println(r.Note())
	fmt.Printf("stages computed: %d (the rest from the cache); wall %.1f s\n", computed, wall)
	return nil
}

// reproTable6 runs Table 6 (MNIST → Fashion-MNIST standing in for ImageNet32 → CIFAR-10),
// publishing after every cell.
func reproTable6(f reproFlags, command string) error {
	cfg, err := repro.Table6ConfigFor(f.scale)
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.CacheDir, cfg.Command = f.dataDir, f.cacheDir, command
	if err := f.sizes(&cfg.Classifier.Steps, &cfg.Pool, &cfg.Test, &cfg.Labels); err != nil {
		return err
	}
	return runPublishing(f, (*repro.Table6Result).Publish, func(backend backends.Backend, onCell func(*repro.Table6Result)) (*repro.Table6Result, error) {
		return repro.RunTable6(backend, cfg, progressLine(), onCell)
	})
}

// reproTable7 runs Table 7 (semi-supervised few-shot recognition), publishing after every cell.
func reproTable7(f reproFlags, command string) error {
	cfg, err := repro.Table7ConfigFor(f.scale)
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.CacheDir, cfg.Command = f.dataDir, f.cacheDir, command
	if f.episodes < 0 {
		return fmt.Errorf("--episodes %d: want a positive count", f.episodes)
	}
	if f.episodes > 0 {
		cfg.Episodes = f.episodes
	}
	if f.finetune != "" {
		cfg.Finetune = f.finetune
	}
	return runPublishing(f, (*repro.Table7Result).Publish, func(backend backends.Backend, onCell func(*repro.Table7Result)) (*repro.Table7Result, error) {
		return repro.RunTable7(backend, cfg, progressLine(), onCell)
	})
}
