package repro

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// Result is what every table's result does: it knows the run that computed it, shows itself
// beside the paper's numbers with a note, and publishes itself with its figures.
type Result interface {
	Run() *pipeline.RunInfo
	BesidePaper() (header []string, rows [][]string)
	Note() string
	// Publish writes the result as JSON with its provenance, and its figures, to dir under
	// table<N>-<scale><suffix>, and returns the JSON's path; suffix tells runs of one scale
	// apart (the backend and device of a GPU run, say) and may be empty.
	Publish(dir, suffix string) (string, error)
}

// Table is one of the paper's tables as mt repro runs it: by number, at a scale, with the
// command line's Options.
type Table struct {
	// Scales are the scales the table defines.
	Scales []string
	// Run computes (or reads from the cache) the table at scale in env, with opts applied to
	// the scale's settings, and calls onCell, if not nil, with the result so far after every
	// cell.
	Run func(env pipeline.Env, scale string, opts Options, onCell func(Result)) (Result, error)
	// Read reads a result that the table's Publish wrote (pipeline.ReadResult).
	Read func(path string) (Result, error)
}

// Tables are the paper's tables by number. A new table is a file with its rows and the
// paper's numbers, its configuration and ConfigFor, its Run function, its result and the
// Options it takes (an Options method beside them), and one entry here.
var Tables = map[int]Table{
	1: table([]string{pipeline.Smoke, pipeline.Bench, pipeline.Paper}, Table1ConfigFor, Options.table1, RunTable1),
	2: table([]string{pipeline.Smoke, pipeline.Bench, pipeline.Paper}, Table2ConfigFor, Options.table2, RunTable2),
	3: table([]string{pipeline.Smoke, pipeline.Bench, pipeline.Paper}, Table3ConfigFor, Options.ssl, RunTable3),
	4: table([]string{pipeline.Smoke, pipeline.Bench, pipeline.Paper}, Table4ConfigFor, Options.ssl, RunTable4),
	5: table([]string{pipeline.Smoke, pipeline.Bench, pipeline.Paper}, Table5ConfigFor, Options.table5, RunTable5),
	6: table([]string{pipeline.Smoke, pipeline.Bench}, Table6ConfigFor, Options.table6, RunTable6),
	7: table([]string{pipeline.Smoke, pipeline.Bench, pipeline.Paper}, Table7ConfigFor, Options.table7, RunTable7),
}

// table is a Table of scales from a table's configuration at a scale, the options' application
// to it, and its Run function, whose result (an R, a *T) Read reads back.
func table[C, T any, R interface {
	*T
	Result
}](scales []string, configFor func(string) (C, error), apply func(Options, *C) error, run func(pipeline.Env, C, func(R)) (R, error)) Table {
	read := func(path string) (Result, error) {
		r, err := pipeline.ReadResult[T](path)
		if err != nil {
			return nil, err
		}
		return R(r), nil
	}
	return Table{Scales: scales, Run: runWith(configFor, apply, run), Read: read}
}

// runWith is a Table's Run from a table's configuration at a scale, the options' application
// to it, and its Run function.
func runWith[C any, R Result](configFor func(string) (C, error), apply func(Options, *C) error,
	run func(pipeline.Env, C, func(R)) (R, error)) func(pipeline.Env, string, Options, func(Result)) (Result, error) {
	return func(env pipeline.Env, scale string, opts Options, onCell func(Result)) (Result, error) {
		cfg, err := configFor(scale)
		if err != nil {
			return nil, err
		}
		if err := apply(opts, &cfg); err != nil {
			return nil, err
		}
		var cell func(R)
		if onCell != nil {
			cell = func(r R) { onCell(r) }
		}
		res, err := run(env, cfg, cell)
		if err != nil {
			return nil, err
		}
		return res, nil
	}
}

// TrainHere is the Options.Metric that pretrains instance discrimination here, whatever
// release the scale would transfer.
const TrainHere = "train"

// Options are the command line's overrides of a table's settings at a scale. A zero value (a
// negative one for Pool and Test) keeps the scale's setting; a table refuses an option it has
// no use for, naming it by its flag.
type Options struct {
	// Labels are the label counts of the columns.
	Labels []int `flag:"labels"`
	// Rows names the rows to compute, as pipeline.ParseRows (tables 2 and 5) or PickSSLRows
	// (tables 3 and 4) read them.
	Rows string `flag:"rows"`
	// Pool and Test are the images of the pool and of the test split, 0 for all.
	Pool int `flag:"pool"`
	Test int `flag:"test"`
	// ClassifierSteps is the classifiers' step budget.
	ClassifierSteps int `flag:"classifier-steps"`
	// Seconds bounds the whole run, PretrainSeconds each metric's pretraining and
	// ClassifierSeconds each classifier (see Table2Config).
	Seconds           float64 `flag:"seconds"`
	PretrainSeconds   float64 `flag:"pretrain-seconds"`
	ClassifierSeconds float64 `flag:"classifier-seconds"`
	// Metric is the folder of a released instance-discrimination metric whose features replace
	// its pretraining, or TrainHere.
	Metric string `flag:"metric"`
	// Percents are Table 5's columns, labeled shares of the pool (%).
	Percents []float64 `flag:"percents"`
	// Episodes and Finetune are Table 7's test episodes per column and its finetuning.
	Episodes int    `flag:"episodes"`
	Finetune string `flag:"finetune"`
}

// NoOptions keeps every setting of a scale.
var NoOptions = Options{Pool: -1, Test: -1}

// only refuses every option that is set but not in flags (the ones of the tables what).
func (o Options) only(what string, flags ...string) error {
	v, t := reflect.ValueOf(o), reflect.TypeOf(o)
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("flag")
		unset := v.Field(i).IsZero()
		if name == "pool" || name == "test" {
			unset = v.Field(i).Int() < 0
		}
		if !unset && !slices.Contains(flags, name) {
			return fmt.Errorf("--%s: %s has no use for it (it takes --%s)", name, what, strings.Join(flags, ", --"))
		}
	}
	return nil
}

// released applies Metric to a table's released metrics (by metric): "" keeps them, TrainHere
// pretrains instance discrimination here, and a folder names the release it transfers.
func (o Options) released(released map[string]string) map[string]string {
	if o.Metric == "" {
		return released
	}
	out := map[string]string{}
	for m, d := range released {
		out[m] = d
	}
	out[metric.MethodInstance] = o.Metric
	if o.Metric == TrainHere {
		delete(out, metric.MethodInstance)
	}
	return out
}

// transfer applies the options Tables 2 to 5 share to their Table 2 settings; rows says
// whether Rows are Table 2's.
func (o Options) transfer(cfg *Table2Config, rows bool) error {
	o.sizes(&cfg.Classifier.Steps, &cfg.Pool, &cfg.Test, &cfg.Labels)
	if rows && o.Rows != "" {
		r, err := pipeline.ParseRows(o.Rows)
		if err != nil {
			return err
		}
		cfg.Rows = r
	}
	if o.Seconds < 0 || o.PretrainSeconds < 0 || o.ClassifierSeconds < 0 {
		return fmt.Errorf("time budgets must not be negative")
	}
	for m, pc := range cfg.Metrics {
		pc.Seconds = o.PretrainSeconds
		cfg.Metrics[m] = pc
	}
	cfg.Classifier.Seconds, cfg.Seconds = o.ClassifierSeconds, o.Seconds
	cfg.Released = o.released(cfg.Released)
	return nil
}

// sizes applies the options that resize a table, each only when given.
func (o Options) sizes(classifierSteps, pool, test *int, labels *[]int) {
	if o.ClassifierSteps > 0 {
		*classifierSteps = o.ClassifierSteps
	}
	if o.Pool >= 0 {
		*pool = o.Pool
	}
	if o.Test >= 0 {
		*test = o.Test
	}
	if len(o.Labels) > 0 {
		*labels = o.Labels
	}
}

// PickSSLRows keeps the rows of tables 3 and 4 that list names: comma-separated
// method[+ours][@network], e.g. ours@wrn-28-10,mean-teacher+ours, where the network is the
// paper's (Table 3's WRN-28-2 or WRN-28-10). A row named twice is refused.
func PickSSLRows(all []SSLRow, list string) ([]SSLRow, error) {
	var out []SSLRow
	for _, s := range strings.Split(list, ",") {
		spec, net, withNet := strings.Cut(strings.TrimSpace(s), "@")
		method, ours := strings.CutSuffix(spec, "+ours")
		n := len(out)
		for _, row := range all {
			if row.Method == method && row.Ours == ours && (!withNet || net == row.PaperNet || net == row.Net) {
				if slices.Contains(out, row) {
					return nil, fmt.Errorf("--rows: %q names a row given before", s)
				}
				out = append(out, row)
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("--rows: %q names no row of this table (method[+ours][@network], e.g. ours@wrn-28-10 or vat+ours)", s)
		}
	}
	return out, nil
}
