package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/quickstart"
	"github.com/metric-transfer/mtlp/lib/repro"
)

// quickstartCommand runs the quickstart (quickstart.Stages) and prints its table.
func quickstartCommand(args []string) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	scale := fs.String("scale", pipeline.ScaleFromEnv(pipeline.DefaultScale), "smoke, small or bench, which runs the quickstart at small (default $"+pipeline.EnvScale+", else "+pipeline.DefaultScale+")")
	dataDir := fs.String("data-dir", data.DataDir(), "data directory (default $"+data.EnvDataDir+", else ~/.cache/mtlp/data)")
	cacheDir := fs.String("cache-dir", "", "stage cache (default $MT_CACHE_DIR, else ~/.cache/mtlp/artifacts)")
	publish := fs.String("publish", "", "if set, write the result JSON with provenance into this directory (e.g. figures); created if missing")
	metricFlag := fs.String("metric", "", "a released metric's folder (e.g. figures/metrics/"+quickstart.FashionMNISTRelease+") or name, whose features replace the pretraining; train to pretrain here (default: the scale's, the release at small scale when the repository holds it)")
	if err := parseFlags(fs, args, "mt quickstart [-scale small|smoke] [-metric DIR|train] [-data-dir DIR] [-cache-dir DIR] [-publish DIR]"); err != nil {
		return err
	}
	cfg, err := quickstart.ConfigFor(*scale)
	if err != nil {
		return err
	}
	if err := checkPublish("publish", *publish); err != nil {
		return err
	}
	if *metricFlag != "" {
		if cfg.Released, err = resolveMetric(*metricFlag); err != nil {
			return err
		}
		if cfg.Released == repro.TrainHere {
			cfg.Released = ""
		}
	}
	env, err := pipeline.NewEnv(commandLine("quickstart", fs), progressLine())
	if err != nil {
		return err
	}
	env.DataDir, env.CacheDir = *dataDir, *cacheDir
	q, err := quickstart.New(env, cfg)
	if err != nil {
		return err
	}
	res, err := q.Run()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\n")
	header, rows := res.AccuracyRows()
	if err := printTable(header, rows); err != nil {
		return err
	}
	fmt.Printf("metric: %.0f s (cached: %v); leave-one-out %d-NN accuracy on the pool: %.2f %% learned, %.2f %% raw pixels\n",
		res.Metric.Seconds, res.Metric.Cached, res.Quality.K, 100*res.Quality.Learned, 100*res.Quality.Pixels)
	for _, m := range []string{"nn", "spectral"} {
		if p := res.Propagation[m]; p != nil {
			fmt.Printf("propagation %s: %.1f s (cached: %v)\n", m, p.Seconds, p.Cached)
		}
	}
	fmt.Println(res.Findings())
	fmt.Println(res.Note())
	if *publish != "" {
		path, err := res.Publish(*publish, "")
		if err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	return nil
}

// progressLine returns a progress callback on stderr: the stage, its count, the time since
// the stage began and, while it runs, the time left at its rate so far. On a terminal it
// redraws one line; into a log or a pipe it writes a line when a stage ends and at most one a
// logInterval while it runs, without carriage returns.
func progressLine() func(stage string, done, total int) {
	return progressTo(os.Stderr, isTerminal(os.Stderr), time.Now)
}

// isTerminal says whether w is a terminal (a character device), where progress redraws a line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// logInterval is how often a progress line goes to a log for a stage under way.
const logInterval = 30 * time.Second

// progressTo is progressLine writing to w, redrawing when terminal, with the clock now.
func progressTo(w io.Writer, terminal bool, now func() time.Time) func(stage string, done, total int) {
	last := ""
	var start, shown time.Time
	return func(stage string, done, total int) {
		t := now()
		if stage != last {
			if last != "" && terminal {
				fmt.Fprintln(w)
			}
			start, shown = t, time.Time{}
		}
		last = stage
		line := fmt.Sprintf("%-40s %6d / %-6d %s", stage, done, total, timing(t.Sub(start), done, total))
		switch {
		case terminal:
			fmt.Fprint(w, "\r"+line)
		case done >= total || shown.IsZero() || t.Sub(shown) >= logInterval:
			fmt.Fprintln(w, strings.TrimRight(line, " "))
			shown = t
		}
	}
}

// timing is "12s" for a finished stage or one without a rate yet, else "12s, ETA 1m30s".
func timing(elapsed time.Duration, done, total int) string {
	out := elapsed.Round(time.Second).String()
	if done > 0 && done < total {
		eta := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		out += ", ETA " + eta.Round(time.Second).String()
	}
	return out
}
