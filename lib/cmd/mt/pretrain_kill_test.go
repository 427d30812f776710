package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/data/datatest"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/killpoint"
	"github.com/metric-transfer/mtlp/lib/metric"
)

// TestPretrainKilled runs mt pretrain as a child process, kills it with SIGKILL at points of
// its training (between steps, in the middle of writing a checkpoint), of the batch-norm pass
// that follows, and between the final checkpoint and pretrain.json, then reruns the same
// command: the network it saves must equal, variable by variable and bit for bit, the one an
// uninterrupted run saves. A checkpoint is due every 2 steps ($MT_CHECKPOINT_STEPS).
func TestPretrainKilled(t *testing.T) {
	dataDir := t.TempDir()
	writeIDX(t, dataDir)
	for _, cmd := range []struct {
		name  string
		args  []string
		kills []string // MT_KILL_AT values
	}{
		{"instance adam", []string{"--method", "instance"}, []string{
			"1:fit: step", "3:fit: step", "2:checkpoint: data half written", "1:checkpoint: manifest renamed",
			"2:batch-norm statistics", "1:pretrain: final checkpoint saved"}},
		{"bootstrap sgd", []string{"--method", "bootstrap", "--optimizer", "sgd", "--lr", "0.03"}, []string{
			"2:fit: step", "3:checkpoint: data synced", "1:batch-norm statistics"}},
	} {
		t.Run(cmd.name, func(t *testing.T) {
			args := append([]string{"pretrain", "--net", "conv-4", "--data", "mnist", "--data-dir", dataDir,
				"--steps", "6", "--batch", "8", "--channels", "4"}, cmd.args...)
			ref := filepath.Join(t.TempDir(), "ref")
			if killed, out := runMT(t, "", append(args, "--out", ref)...); killed {
				t.Fatalf("the uninterrupted run was killed:\n%s", out)
			}
			want := checkpointtest.Final(t, ref)
			for _, kill := range cmd.kills {
				t.Run(kill, func(t *testing.T) {
					out := filepath.Join(t.TempDir(), "out")
					if killed, log := runMT(t, kill, append(args, "--out", out)...); !killed {
						t.Fatalf("not killed at %s:\n%s", kill, log)
					}
					if killed, log := runMT(t, "", append(args, "--out", out)...); killed {
						t.Fatalf("the rerun was killed:\n%s", log)
					}
					checkpointtest.Same(t, want, checkpointtest.Final(t, out))
					if _, err := metric.LoadPretrained(nil, out); err != nil {
						t.Errorf("loading the rerun's network: %v", err)
					}
				})
			}
		})
	}
}

// runMT runs this test binary as mt with args (see mtChild), killed at killAt (none when
// empty), with a checkpoint every 2 steps, and reports whether SIGKILL ended it; any other
// failure fails the test.
func runMT(t *testing.T, killAt string, args ...string) (killed bool, output string) {
	t.Helper()
	child := mtChild{env: []string{fit.EnvCheckpointSteps + "=2"}}
	killed, output, err := child.run(t, []string{killpoint.EnvKillAt + "=" + killAt}, 0, args...)
	if err != nil {
		t.Fatalf("mt %s: %v\n%s", strings.Join(args, " "), err, output)
	}
	return killed, output
}

// writeIDX writes 48 synthetic 8×8 images of 4 classes as dir/mnist's training split in IDX
// format, where data.Load reads MNIST.
func writeIDX(t *testing.T, dir string) {
	t.Helper()
	ds := datatest.Synthetic(t, 48, 8, 4, 3)
	var images, labels bytes.Buffer
	binary.Write(&images, binary.BigEndian, []uint32{0x803, uint32(ds.N), uint32(ds.H), uint32(ds.W)})
	images.Write(ds.Images)
	binary.Write(&labels, binary.BigEndian, []uint32{0x801, uint32(ds.N)})
	for _, y := range ds.Labels {
		labels.WriteByte(byte(y))
	}
	if err := os.MkdirAll(filepath.Join(dir, "mnist"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"train-images-idx3-ubyte": images.Bytes(), "train-labels-idx1-ubyte": labels.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, "mnist", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := data.Load(dir, "mnist", "train"); err != nil {
		t.Fatal(fmt.Errorf("the IDX files written do not load: %w", err))
	}
}
