package metric

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// TestPretrainPauses pauses pretraining with a memory bank after every step and calls it again
// until it finishes: the network it saves must equal bit for bit that of an uninterrupted run,
// the monitor must see every cycle's end once with features of the pool, and the 16-bit bank
// must be saved as int16. Instance discrimination on Conv-4 and NCA take the two trainers that
// hold a bank (trainInstance, trainBank); each also draws its views in the graph, whose random
// state the checkpoints must carry. A run of two steps per call must end there too.
func TestPretrainPauses(t *testing.T) {
	gray := stripes(t, 32)
	for _, tc := range []struct {
		method string
		device bool
	}{{MethodInstance, false}, {MethodNCA, false}, {MethodInstance, true}, {MethodNCA, true}} {
		method := tc.method
		name := method
		if tc.device {
			name += " views on the device"
		}
		t.Run(name, func(t *testing.T) {
			cfg := resumeConfig(t, method)
			cfg.Steps, cfg.Restarts, cfg.Bank16, cfg.DeviceAugment = 6, 1, true, tc.device
			if tc.device {
				cfg.Augment = fit.Augment{CropScale: 0.3, Flip: true, Jitter: 0.4}
			}
			var seen []int
			run := func(dir string, pause time.Duration) (*Pretrained, error) {
				c := cfg
				c.CheckpointDir, c.Pause = dir, pause
				c.AtCycleEnd = func(step int, f Featurer) error {
					x, d, err := f.Features(gray, []int{0, 5, 9}, nil)
					if err != nil {
						return err
					}
					if len(x) != 3*d || d != cfg.EmbeddingDim {
						t.Errorf("step %d: features %d values of dimension %d, want 3 of %d", step, len(x), d, cfg.EmbeddingDim)
					}
					seen = append(seen, step)
					return nil
				}
				return Pretrain(testBackend(t), gray, nil, c)
			}
			ref := t.TempDir()
			if _, err := run(ref, 0); err != nil {
				t.Fatal(err)
			}
			if want := []int{1, 3}; !slices.Equal(seen, want) {
				t.Errorf("the uninterrupted run measured at steps %v, want %v (the cycles' ends)", seen, want)
			}
			want := checkpointtest.Final(t, ref)
			// Two steps per call to the compiled graph: the same network, measured at the same
			// steps.
			seen, cfg.StepsPerCall = nil, 2
			multi := t.TempDir()
			if _, err := run(multi, 0); err != nil {
				t.Fatal(err)
			}
			if want := []int{1, 3}; !slices.Equal(seen, want) {
				t.Errorf("with 2 steps per call, measured at steps %v, want %v", seen, want)
			}
			checkpointtest.Same(t, want, checkpointtest.Final(t, multi))
			seen, cfg.StepsPerCall = nil, 0
			dir := t.TempDir()
			pauses := 0
			for {
				_, err := run(dir, time.Nanosecond)
				var paused *fit.PausedError
				if !errors.As(err, &paused) {
					if err != nil {
						t.Fatal(err)
					}
					break
				}
				if pauses++; paused.Step != pauses || pauses >= cfg.Steps {
					t.Fatalf("pause %d at step %d, want one pause per step before the last", pauses, paused.Step)
				}
				if _, err := os.Stat(filepath.Join(dir, InfoFile)); err == nil {
					t.Fatalf("a paused run wrote %s, which marks a finished one", InfoFile)
				}
			}
			if pauses != cfg.Steps-1 {
				t.Errorf("%d pauses, want %d", pauses, cfg.Steps-1)
			}
			if want := []int{1, 3}; !slices.Equal(seen, want) {
				t.Errorf("the paused run measured at steps %v, want %v", seen, want)
			}
			checkpointtest.Same(t, want, checkpointtest.Final(t, dir))
			c, err := checkpoint.Read(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(c.Variables, func(v checkpoint.Variable) bool {
				return strings.HasSuffix(v.Scope, "memory_bank") && v.Name == "bank"
			})
			if i < 0 || c.Variables[i].DType != "Int16" {
				t.Errorf("the bank is saved as %+v, want Int16", c.Variables[max(i, 0)])
			}
		})
	}
}

// TestSaveNetwork: the network saved alone gives the features of the whole trained run, in a
// checkpoint without the memory bank or the optimiser's state, which is smaller.
func TestSaveNetwork(t *testing.T) {
	gray := stripes(t, 32)
	cfg := resumeConfig(t, MethodInstance)
	cfg.CheckpointDir = t.TempDir()
	p, err := Pretrain(testBackend(t), gray, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "network")
	if err := p.SaveNetwork(dir); err != nil {
		t.Fatal(err)
	}
	q, err := LoadPretrained(testBackend(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	sameFeatures(t, q, p, gray, "the saved network")
	full, err := checkpoint.Read(cfg.CheckpointDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	small, err := checkpoint.Read(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range small.Variables {
		if !strings.HasPrefix(v.Scope, "/metric") {
			t.Errorf("saved %s/%s, outside the network", v.Scope, v.Name)
		}
	}
	if small.Size >= full.Size {
		t.Errorf("the network alone takes %d bytes, the whole run's checkpoint %d", small.Size, full.Size)
	}
	if err := p.SaveNetwork(dir); err == nil || !strings.Contains(err.Error(), "new folder") {
		t.Errorf("saving twice into %s: %v, want a refusal", dir, err)
	}
}

// TestPretrainBFloat16: pretraining in bfloat16 mixed precision (NCA on Conv-4, two steps)
// keeps its weights in float32 and ends near, but not at, the float32 run's network: the
// precision reaches the convolutions and nothing else breaks. An unknown precision is refused.
func TestPretrainBFloat16(t *testing.T) {
	gray := stripes(t, 32)
	run := func(precision string) ([]float32, error) {
		cfg := resumeConfig(t, MethodNCA)
		cfg.Steps, cfg.Precision = 2, precision
		p, err := Pretrain(testBackend(t), gray, nil, cfg)
		if err != nil {
			return nil, err
		}
		for v := range p.ctx.IterVariables() {
			if dt := v.Shape().DType.String(); v.Trainable && dt != "Float32" {
				t.Errorf("%s: %s is %s", precision, v.ScopeAndName(), dt)
			}
		}
		x, _, err := p.Features(gray, nil, nil)
		return x, err
	}
	f32, err := run("")
	if err != nil {
		t.Fatal(err)
	}
	bf16, err := run("bfloat16")
	if err != nil {
		t.Fatal(err)
	}
	d, s := 0.0, 0.0
	for i := range f32 {
		d += float64((f32[i] - bf16[i]) * (f32[i] - bf16[i]))
		s += float64(f32[i] * f32[i])
	}
	if rel := d / s; !(rel > 1e-12 && rel < 1e-2) {
		t.Errorf("bfloat16 features differ from float32 ones by %.3g (squared, relative), want a small nonzero difference", rel)
	}
	if _, err := run("float16"); err == nil || !strings.Contains(err.Error(), "precision") {
		t.Errorf("precision float16: %v, want a refusal", err)
	}
}
