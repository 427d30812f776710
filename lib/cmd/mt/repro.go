package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/release"
	"github.com/metric-transfer/mtlp/lib/repro"
)

// reproCommand runs one of the paper's tables (repro.Tables) headless, prints it beside the
// paper's numbers and publishes it after every cell, so that a run cut short keeps what it
// finished.
func reproCommand(args []string) error {
	fs := flag.NewFlagSet("repro", flag.ContinueOnError)
	o := repro.NoOptions
	var table int
	var scale, labels, percents, publish, suffix, export, resumeFrom string
	env := pipeline.Env{}
	fs.IntVar(&table, "table", 0, "the paper's table to reproduce: 1 to 7 (required)")
	fs.StringVar(&scale, "scale", pipeline.ScaleFromEnv(pipeline.DefaultScale), "smoke (seconds), bench (a table in up to an hour on a 2-core CPU) or paper (tables 2 to 5 on a GPU; table 1 on the CPU, in the released metric) (default $"+pipeline.EnvScale+", else "+pipeline.DefaultScale+")")
	fs.StringVar(&env.DataDir, "data-dir", data.DataDir(), "data directory (default $"+data.EnvDataDir+", else ~/.cache/mtlp/data)")
	fs.StringVar(&env.CacheDir, "cache-dir", "", "stage cache (default $MT_CACHE_DIR, else ~/.cache/mtlp/artifacts)")
	fs.StringVar(&env.CheckpointDir, "checkpoint-dir", "", "keep training checkpoints here, one folder per network, so a killed run resumes")
	fs.StringVar(&publish, "publish", "figures", "write the result JSON with provenance and its figures into this directory, created if missing (empty: do not publish)")
	fs.StringVar(&suffix, "suffix", "", "appended to the published file names (e.g. -xla-h100)")
	fs.StringVar(&labels, "labels", "", "tables 2, 3, 4 and 6: comma-separated label counts (default: the scale's)")
	fs.StringVar(&o.Rows, "rows", "", "tables 2 and 5: comma-separated metric/transfer rows (finetune, nn, spectral; scratch alone), e.g. instance/spectral,scratch; tables 3 and 4: method[+ours][@network], e.g. ours@wrn-28-10,vat+ours (default: all)")
	fs.StringVar(&percents, "percents", "", "table 5: comma-separated labeled shares of the pool in % (default: the paper's 1,2,4)")
	fs.IntVar(&o.Episodes, "episodes", 0, "table 7: test episodes per column (default: the scale's)")
	fs.StringVar(&o.Finetune, "finetune", "", "table 7: how ours finetunes each episode's classifier, head or net (default: the scale's)")
	fs.IntVar(&o.Pool, "pool", -1, "tables 2 to 6: training images in the pool, 0 for all (default: the scale's)")
	fs.IntVar(&o.Test, "test", -1, "tables 2 to 6: test images, 0 for all (default: the scale's)")
	fs.IntVar(&o.ClassifierSteps, "classifier-steps", 0, "tables 2 to 6: the classifiers' step budget (default: the scale's)")
	fs.Float64Var(&o.Seconds, "seconds", 0, "tables 2 to 5: time budget of the whole run; the classifiers share what the metrics leave")
	fs.Float64Var(&o.PretrainSeconds, "pretrain-seconds", 0, "tables 2 to 5: time budget of each metric pretraining (ends at a restart cycle's end with the paper scale's schedule)")
	fs.Float64Var(&o.ClassifierSeconds, "classifier-seconds", 0, "tables 2 to 5: time budget of each classifier (its steps sized from the pretraining's rate)")
	fs.StringVar(&o.Metric, "metric", "", "tables 1 to 5: the instance-discrimination metric: a released metric's folder (e.g. figures/metrics/"+repro.CIFAR10Release+") or name, whose features replace its pretraining; "+repro.TrainHere+" to pretrain it here (default: the scale's, the release at bench scale when the repository holds it)")
	fs.DurationVar(&env.Pause, "pause-after", 0, "after this much wall time (e.g. 8m), the training under way saves a checkpoint and the run stops, unfinished; the same command goes on from there, exactly (0: never)")
	fs.IntVar(&env.StepsPerCall, "steps-per-call", 1, "train this many steps in each call to the compiled graph (a GPU's per-call overhead is then paid once for them); no result changes")
	fs.StringVar(&export, "export", "", "when the run ends (finished or paused), write its state to this new folder: the cache entries of at most 8 MiB and the checkpoints of the trainings under way (needs --checkpoint-dir), for --resume-from on another machine")
	fs.StringVar(&resumeFrom, "resume-from", "", "first put the state that --export wrote in this folder into --cache-dir and --checkpoint-dir")
	if err := parseFlags(fs, args, "mt repro --table N [--scale smoke|bench|paper] [flags]"); err != nil {
		return err
	}
	t, ok := repro.Tables[table]
	if !ok {
		return fmt.Errorf("--table %d: the paper's tables are 1 to 7", table)
	}
	if !slices.Contains(t.Scales, scale) {
		return fmt.Errorf("--scale %s: table %d runs at %s", scale, table, strings.Join(t.Scales, ", "))
	}
	if err := checkPublish("publish", publish); err != nil {
		return err
	}
	switch {
	case env.Pause < 0:
		return fmt.Errorf("--pause-after %v: want a positive duration, or 0 for none", env.Pause)
	case env.StepsPerCall < 1:
		return fmt.Errorf("--steps-per-call %d: want at least 1", env.StepsPerCall)
	case (export != "" || resumeFrom != "") && env.CheckpointDir == "":
		return fmt.Errorf("--export and --resume-from carry the checkpoints of --checkpoint-dir; give one")
	}
	if export != "" {
		if _, err := os.Stat(export); err == nil {
			return fmt.Errorf("--export %s exists already; give a new folder", export)
		}
	}
	var err error
	if labels != "" {
		if o.Labels, err = parseLabels(labels); err != nil {
			return err
		}
	}
	if percents != "" {
		if o.Percents, err = parsePercents(percents); err != nil {
			return err
		}
	}
	if o.Metric, err = resolveMetric(o.Metric); err != nil {
		return err
	}
	if env.Backend, err = pipeline.NewBackend(); err != nil {
		return err
	}
	env.Progress, env.Command = progressLine(), commandLine("repro", fs)
	if resumeFrom != "" {
		st, err := pipeline.ImportState(env, resumeFrom)
		if err != nil {
			return fmt.Errorf("--resume-from: %w", err)
		}
		fmt.Fprintf(os.Stderr, "resume: imported %d cache entries and %d checkpoints from %s\n", len(st.Entries), len(st.Checkpoints), resumeFrom)
	}
	write := func(res repro.Result) error {
		if publish == "" {
			return nil
		}
		path, err := res.Publish(publish, suffix)
		if err == nil {
			fmt.Fprintln(os.Stderr, "\nwrote", path)
		}
		return err
	}
	var publishErr error
	res, err := t.Run(env, scale, o, func(partial repro.Result) {
		if err := write(partial); err != nil && publishErr == nil {
			publishErr = err
		}
	})
	var paused *pipeline.PausedError
	if errors.As(err, &paused) || err == nil {
		if err := exportState(env, export); err != nil {
			return err
		}
	}
	if paused != nil {
		fmt.Fprintf(os.Stderr, "\n%v\n", paused)
		return publishErr
	}
	if err != nil {
		return err
	}
	if publishErr != nil {
		return publishErr
	}
	fmt.Fprintln(os.Stderr)
	if err := printTable(res.BesidePaper()); err != nil {
		return err
	}
	fmt.Println(res.Note())
	fmt.Printf("stages computed: %d (the rest from the cache); wall %.1f s\n", res.Run().Computed, res.Run().Wall)
	return write(res)
}

// resolveMetric turns a --metric value into what repro.Options.Metric takes: "" and
// repro.TrainHere as they are, a folder holding a release as it is, and a name looked up
// (release.Find).
func resolveMetric(v string) (string, error) {
	if v == "" || v == repro.TrainHere {
		return v, nil
	}
	if _, err := os.Stat(filepath.Join(v, release.InfoFile)); err == nil {
		return v, nil
	}
	if dir := release.Find(v); dir != "" {
		return dir, nil
	}
	return "", fmt.Errorf("--metric %s: neither a released metric's folder (with %s) nor the name of one under %s (or $%s); give %s to pretrain it here",
		v, release.InfoFile, release.MetricsDir, release.EnvMetricsDir, repro.TrainHere)
}

// exportState writes the run's state to dir (pipeline.ExportState), when given.
func exportState(env pipeline.Env, dir string) error {
	if dir == "" {
		return nil
	}
	st, err := pipeline.ExportState(env, dir, 0)
	if err != nil {
		return fmt.Errorf("--export: %w", err)
	}
	fmt.Fprintf(os.Stderr, "exported %d cache entries and %d checkpoints to %s\n", len(st.Entries), len(st.Checkpoints), dir)
	return nil
}
