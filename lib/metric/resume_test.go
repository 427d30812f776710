package metric

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// resumeConfig is a pretraining of method small enough to run several times in a test, with a
// training checkpoint every 2 of its 4 steps.
func resumeConfig(t *testing.T, method string) PretrainConfig {
	t.Setenv(fit.EnvCheckpointSteps, "2")
	cfg := DefaultPretrainConfig(method)
	cfg.Steps, cfg.BatchSize, cfg.Channels, cfg.EmbeddingDim, cfg.ColorHeadChannels = 4, 8, 4, 8, 4
	return cfg
}

// errStop stands for a kill inside a pass that follows training.
var errStop = errors.New("stopped")

// TestPretrainResume interrupts pretraining in the passes that follow training, or damages its
// directory, then reruns it: every variable of the network it saves must equal bit for bit
// the uninterrupted run's, and a rerun on a finished directory must neither train nor run a
// pass (no progress at all) nor change a file.
func TestPretrainResume(t *testing.T) {
	gray, rgb := stripes(t, 32), colourful(16)
	for _, tc := range []struct {
		method string
		ds     *data.Dataset
	}{{MethodInstance, gray}, {MethodNCA, gray}, {MethodBootstrap, gray}, {MethodColor, rgb}} {
		t.Run(tc.method, func(t *testing.T) {
			cfg := resumeConfig(t, tc.method)
			run := func(dir string, progress fit.Progress) (*Pretrained, error) {
				c := cfg
				c.CheckpointDir, c.Progress = dir, progress
				return Pretrain(testBackend(t), tc.ds, nil, c)
			}
			ref := t.TempDir()
			if _, err := run(ref, nil); err != nil {
				t.Fatal(err)
			}
			want := checkpointtest.Final(t, ref)

			before := dirContents(t, ref)
			p, err := run(ref, func(stage string, done, total int) {
				t.Errorf("a finished directory ran %s (%d/%d)", stage, done, total)
			})
			if err != nil {
				t.Fatal(err)
			}
			if after := dirContents(t, ref); after != before {
				t.Error("a rerun on a finished directory changed it")
			}
			if p.Info.Steps != cfg.Steps || p.Info.Method != tc.method {
				t.Errorf("rerun on a finished directory: info %+v", p.Info)
			}

			for _, stop := range []struct {
				name  string
				run   func(dir string) error
				after func(t *testing.T, dir string)
			}{
				{"during the batch-norm pass", func(dir string) error {
					return stopIn(func(p fit.Progress) error { _, err := run(dir, p); return err }, "batch-norm statistics", 1)
				}, func(t *testing.T, dir string) {
					if _, err := LoadPretrained(testBackend(t), dir); err == nil || !strings.Contains(err.Error(), "pretraining has not finished") ||
						!strings.Contains(err.Error(), "rerun the same mt pretrain command") {
						t.Errorf("loading an unfinished directory: %v, want an error saying how to finish it", err)
					}
				}},
				{"after the final checkpoint, before " + InfoFile, func(dir string) error {
					if _, err := run(dir, nil); err != nil {
						return err
					}
					return os.Remove(filepath.Join(dir, InfoFile))
				}, nil},
				{"final checkpoint corrupt", func(dir string) error {
					if _, err := run(dir, nil); err != nil {
						return err
					}
					return damageNewest(dir, func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b })
				}, nil},
				{"final checkpoint truncated", func(dir string) error {
					if _, err := run(dir, nil); err != nil {
						return err
					}
					return damageNewest(dir, func(b []byte) []byte { return b[:len(b)-5] })
				}, nil},
			} {
				t.Run(stop.name, func(t *testing.T) {
					dir := t.TempDir()
					if err := stop.run(dir); err != nil && !errors.Is(err, errStop) {
						t.Fatal(err)
					}
					if stop.after != nil {
						stop.after(t, dir)
					}
					p, err := run(dir, nil)
					if err != nil {
						t.Fatal(err)
					}
					checkpointtest.Same(t, want, checkpointtest.Final(t, dir))
					q, err := LoadPretrained(testBackend(t), dir)
					if err != nil {
						t.Fatal(err)
					}
					if q.Info.Steps != cfg.Steps || p.Info.Steps != cfg.Steps {
						t.Errorf("info says %d and %d steps, want %d", p.Info.Steps, q.Info.Steps, cfg.Steps)
					}
				})
			}
		})
	}
}

// stopIn runs run with a progress function that stops it (by a panic, which the pass turns
// into its error) when stage has reported done units.
func stopIn(run func(fit.Progress) error, stage string, done int) (err error) {
	err = run(func(s string, d, _ int) {
		if strings.Contains(s, stage) && d == done {
			panic(errStop)
		}
	})
	if err != nil && strings.Contains(err.Error(), errStop.Error()) {
		return errStop
	}
	if err == nil {
		return fmt.Errorf("the run did not reach %s", stage)
	}
	return err
}

// damageNewest edits the data file of the newest checkpoint in dir.
func damageNewest(dir string, edit func([]byte) []byte) error {
	names, err := filepath.Glob(filepath.Join(dir, "ckpt-*.bin"))
	if err != nil || len(names) == 0 {
		return fmt.Errorf("no checkpoint in %s: %v", dir, err)
	}
	slices.Sort(names)
	b, err := os.ReadFile(names[len(names)-1])
	if err != nil {
		return err
	}
	return os.WriteFile(names[len(names)-1], edit(b), 0o644)
}

// dirContents is the names and contents of the files in dir.
func dirContents(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var s strings.Builder
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&s, "%s %x\n", e.Name(), b)
	}
	return s.String()
}
