package main

import (
	"encoding/json"
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
)

// evaluateOptions are the flags of "mt evaluate".
type evaluateOptions struct {
	Checkpoint, Data, DataDir, JSON, Command string
	K                                        int
	Temperature                              float64
	outputOptions
}

// Evaluation is what "mt evaluate --json" writes: a metric's kNN test accuracy, the network
// and budget that learned it, and where the number came from.
type Evaluation struct {
	Metric      metric.PretrainInfo `json:"metric"`
	Data        string              `json:"data"`
	TrainImages int                 `json:"train_images"`
	TestImages  int                 `json:"test_images"`
	K           int                 `json:"k"`
	Temperature float64             `json:"temperature"`
	Accuracy    float64             `json:"accuracy"`
	// PretrainSeconds is the pretraining's wall time (from the checkpoint), EvaluateSeconds
	// this evaluation's.
	PretrainSeconds float64             `json:"pretrain_seconds"`
	EvaluateSeconds float64             `json:"evaluate_seconds"`
	Provenance      pipeline.Provenance `json:"provenance"`
}

// evaluateCommand parses the flags of "mt evaluate" and runs it, with progress on stderr.
func evaluateCommand(args []string) error {
	var o evaluateOptions
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "checkpoint directory written by mt pretrain --out (required)")
	fs.StringVar(&o.Data, "data", "", "dataset whose train split is the memory and test split is scored: "+strings.Join(data.Names, ", ")+" (default: the one the metric was trained on)")
	fs.StringVar(&o.DataDir, "data-dir", data.DataDir(), "data directory (default $"+data.EnvDataDir+", else ~/.cache/mtlp/data)")
	fs.IntVar(&o.K, "k", 200, "neighbours voting (Wu et al. 2018: 200)")
	fs.Float64Var(&o.Temperature, "temperature", 0.07, "vote weight exp(cos/temperature) (Wu et al. 2018: 0.07)")
	fs.StringVar(&o.JSON, "json", "", "also write the result with its provenance to this JSON file; - for standard output (the summary line then goes to standard error)")
	o.addFlags(fs)
	fs.StringVar(&o.Command, "command", "", "the command recorded in the provenance as the one that reproduces the result (default: this mt evaluate call)")
	if err := parseFlags(fs, args, "mt evaluate --checkpoint DIR [--data NAME] [--json OUT.json] [flags]"); err != nil {
		return err
	}
	if o.Checkpoint == "" {
		return fmt.Errorf("evaluate: --checkpoint is required")
	}
	backend, err := pipeline.NewBackend()
	if err != nil {
		return err
	}
	command := o.Command
	if command == "" {
		command = strings.Join(append([]string{"mt", "evaluate"}, args...), " ")
	}
	_, err = runEvaluate(o, backend, data.Load, command, os.Stdout, os.Stderr)
	return err
}

// runEvaluate computes the features of the train and test splits with the checkpoint's metric
// and scores the test split by weighted kNN over the train split (propagate.KNNTestAccuracy).
// It prints a summary line on out, or on log when the JSON goes to standard output.
func runEvaluate(o evaluateOptions, backend backends.Backend, load loadFunc, command string, out, log io.Writer) (*Evaluation, error) {
	var jsonOut *featio.Output
	if o.JSON != "" {
		var err error
		if jsonOut, err = o.checkOutput("json", o.JSON, false); err != nil {
			return nil, err
		}
		if jsonOut.ToStdout() {
			out = log
		}
	}
	start := time.Now()
	p, dataName, err := loadPretrained(backend, o.Checkpoint, o.Data, log)
	if err != nil {
		return nil, err
	}
	o.Data = dataName
	var splits [2]*data.Dataset
	for s, split := range []string{"train", "test"} {
		if splits[s], err = load(o.DataDir, o.Data, split); err != nil {
			return nil, fmt.Errorf("--data %s (%s split): %w", o.Data, split, err)
		}
		fmt.Fprintf(log, "%s split: %d images\n", split, splits[s].N)
	}
	acc, err := knnTestAccuracy(p, splits[0], splits[1], o.K, o.Temperature, progressTo(log, isTerminal(log), time.Now))
	fmt.Fprintln(log)
	if err != nil {
		return nil, err
	}
	e := &Evaluation{Metric: p.Info, Data: o.Data, TrainImages: splits[0].N, TestImages: splits[1].N, K: o.K,
		Temperature: o.Temperature, Accuracy: acc, PretrainSeconds: p.Info.Seconds, EvaluateSeconds: time.Since(start).Seconds()}
	e.Provenance = pipeline.NewProvenance(backend.Name(), "bench", e.PretrainSeconds+e.EvaluateSeconds, command)
	fmt.Fprintf(out, "%s metric (%s, %d steps of %d): %d-NN accuracy on the %s test split %.2f %% (%d train images as memory)\n",
		p.Info.Method, p.Info.Net, p.Info.Steps, p.Info.BatchSize, o.K, o.Data, 100*acc, splits[0].N)
	if jsonOut != nil {
		if err := jsonOut.Write(func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(e)
		}); err != nil {
			return nil, fmt.Errorf("--json: %w", err)
		}
	}
	return e, nil
}

// loadPretrained reads the finished metric of the checkpoint directory dir and names the
// dataset it is used with: dataName, or else the one it was trained on (said on log).
func loadPretrained(backend backends.Backend, dir, dataName string, log io.Writer) (*metric.Pretrained, string, error) {
	p, err := metric.LoadPretrained(backend, dir)
	if err != nil {
		return nil, "", fmt.Errorf("--checkpoint: %w", err)
	}
	if dataName != "" {
		return p, dataName, nil
	}
	if dataName, err = data.LoadName(p.Info.Data); err != nil {
		return nil, "", fmt.Errorf("--data is required for this checkpoint: its metric was trained on %q, which is no dataset that mt reads; give --data as one of %s",
			p.Info.Data, strings.Join(data.Names, ", "))
	}
	fmt.Fprintf(log, "data: %s, which the metric was trained on (%s)\n", dataName, p.Info.Data)
	return p, dataName, nil
}
