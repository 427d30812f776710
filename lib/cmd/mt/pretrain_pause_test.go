package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/release"
)

// TestPretrainContinuedAcrossMachines runs an instance-discrimination schedule of 3 epochs with
// warm restarts (cycles of 1 and 2 epochs, so the cycles end at steps 6 and 18), once
// uninterrupted and once as a chain of calls that each pause after one step, export their
// checkpoint, and are continued by the next call in a fresh --out from that export, as a long
// run is continued on a new machine. The chain must end with the uninterrupted run's network
// bit for bit and the same kNN curve (every cycle's end, then the final network), and its
// history must hold one slice per call, each going on where the one before stopped.
func TestPretrainContinuedAcrossMachines(t *testing.T) {
	backend := backendtest.New(t, "go")
	base := pretrainOptions{Method: metric.MethodInstance, Net: nets.NetConv4, Data: "synthetic", Split: "train",
		Epochs: 3, RestartEpochs: 1, Batch: 8, Channels: 4, LearningRate: 0.03, Optimizer: "sgd", Seed: 1,
		Bank16: true, KNN: 5, KNNTemperature: 0.1, Command: "mt pretrain (test)"}
	run := func(o pretrainOptions) (string, error) {
		cfg, err := o.config()
		if err != nil {
			t.Fatal(err)
		}
		cfg.EmbeddingDim = 8
		var log strings.Builder
		err = runPretrain(o, cfg, backend, syntheticLoad(t), &log)
		return log.String(), err
	}
	dir := t.TempDir()
	ref := base
	ref.Out = filepath.Join(dir, "ref")
	if _, err := run(ref); err != nil {
		t.Fatal(err)
	}
	want, err := release.ReadHistory(ref.Out)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, p := range want.KNN.Points {
		steps = append(steps, p.Step)
		if !(p.Accuracy >= 0 && p.Accuracy <= 1) || p.Epoch != float64(p.Step)/6 {
			t.Errorf("kNN point %+v: accuracy outside [0, 1] or epoch not step/6", p)
		}
	}
	if !slices.Equal(steps, []int{6, 18, 18}) || !want.KNN.Points[2].Final {
		t.Fatalf("kNN points at steps %v, want 6 and 18 (cycles' ends), then 18 (final)", steps)
	}
	// Four steps per call to the compiled graph: the same network and curve.
	multi := base
	multi.Out, multi.StepsPerCall = filepath.Join(dir, "multi"), 4
	if _, err := run(multi); err != nil {
		t.Fatal(err)
	}
	checkpointtest.Same(t, checkpointtest.Final(t, ref.Out), checkpointtest.Final(t, multi.Out))
	got, err := release.ReadHistory(multi.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got.KNN.Points, want.KNN.Points, func(g, w release.Point) bool {
		return g.Step == w.Step && g.Final == w.Final && g.Accuracy == w.Accuracy
	}) {
		t.Fatalf("with 4 steps per call, kNN curve %+v, want %+v", got.KNN.Points, want.KNN.Points)
	}

	export := ""
	var log string
	for call := 1; ; call++ {
		if call > 18 {
			t.Fatal("still paused after 18 calls")
		}
		o := base
		o.Out = filepath.Join(dir, fmt.Sprintf("machine-%02d", call))
		o.ResumeFrom, o.Pause = export, time.Nanosecond
		o.Export = filepath.Join(dir, fmt.Sprintf("export-%02d", call))
		log, err = run(o)
		if err != nil {
			t.Fatalf("call %d: %v\n%s", call, err, log)
		}
		if call > 1 && !strings.Contains(log, fmt.Sprintf("imported the checkpoint of step %d", call-1)) {
			t.Fatalf("call %d did not go on from the export of call %d:\n%s", call, call-1, log)
		}
		export = o.Export
		if strings.Contains(log, "wrote "+o.Out) {
			if call != 18 {
				t.Fatalf("finished at call %d, want 18 (one step each)", call)
			}
			break
		}
		if !strings.Contains(log, fmt.Sprintf(" at step %d of 18 (epoch", call)) || !strings.Contains(log, "exported the checkpoint of step") {
			t.Fatalf("call %d: log lacks the pause at step %d or the export:\n%s", call, call, log)
		}
	}
	last := filepath.Join(dir, "machine-18")
	checkpointtest.Same(t, checkpointtest.Final(t, ref.Out), checkpointtest.Final(t, last))
	got, err = release.ReadHistory(last)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.KNN.Points {
		w, g := want.KNN.Points[i], got.KNN.Points[min(i, len(got.KNN.Points)-1)]
		if len(got.KNN.Points) != len(want.KNN.Points) || w.Step != g.Step || w.Final != g.Final || w.Accuracy != g.Accuracy {
			t.Fatalf("kNN curve %+v, want %+v", got.KNN.Points, want.KNN.Points)
		}
	}
	if len(got.Slices) != 18 {
		t.Fatalf("%d slices in the history, want 18", len(got.Slices))
	}
	for i, s := range got.Slices {
		outcome := "paused"
		if i == 17 {
			outcome = "finished"
		}
		if s.FromStep != i || s.ToStep != i+1 || s.Outcome != outcome || !(s.ImagesPerSecond > 0) || s.Command == "" {
			t.Errorf("slice %d: %+v, want steps %d to %d, %s, with a rate and a command", i, s, i, i+1, outcome)
		}
	}
	// The export of a finished run carries what LoadPretrained needs.
	if _, err := os.Stat(filepath.Join(export, metric.InfoFile)); err != nil {
		t.Errorf("the last export lacks %s: %v", metric.InfoFile, err)
	}
}

// TestKNNMemoryIsTrainSplit: a metric trained on the test split is still measured with the
// train split as the memory and the test split as the queries, never the queries against
// themselves.
func TestKNNMemoryIsTrainSplit(t *testing.T) {
	var loaded []string
	load := func(dir, name, split string) (*data.Dataset, error) {
		loaded = append(loaded, split)
		return syntheticLoad(t)(dir, name, split)
	}
	o := pretrainOptions{Method: metric.MethodInstance, Net: nets.NetConv4, Data: "synthetic", Split: "test",
		Steps: 2, Batch: 8, Channels: 4, LearningRate: 0.03, Seed: 1, KNN: 5, KNNTemperature: 0.1, Out: t.TempDir()}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.EmbeddingDim = 8
	var log strings.Builder
	if err := runPretrain(o, cfg, backendtest.New(t, "go"), load, &log); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(loaded, []string{"test", "test", "train"}) {
		t.Errorf("loaded the splits %v, want test (training), then test (queries) and train (memory)", loaded)
	}
	if !strings.Contains(log.String(), "its train split as memory") {
		t.Errorf("the log does not say what the memory is:\n%s", log.String())
	}
}
