package train

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// values returns the values of ctx's float32 variables under scope (e.g. "/classifier"), keyed by
// their scope below it and name, with whether they are trainable.
func values(ctx *context.Context, scope string) (map[string][]float32, map[string]bool) {
	vals, trainable := map[string][]float32{}, map[string]bool{}
	for v := range ctx.IterVariables() {
		if rest, ok := strings.CutPrefix(v.Scope(), scope); ok && v.HasValue() && v.DType() == dtypes.Float32 && (rest == "" || rest[0] == '/') {
			key := rest + "/" + v.Name()
			vals[key] = tensors.MustCopyFlatData[float32](v.MustValue())
			trainable[key] = v.Trainable
		}
	}
	return vals, trainable
}

// TestMeanTeacherEMA runs Mean Teacher one step at a time on a tiny Conv-4 and checks that
// after step 2 every teacher weight is decay·(its value after step 1) + (1 − decay)·(the
// student's after step 2), that the teacher mirrors each trainable student weight and trains
// none of its own, and that it is no copy of the student.
func TestMeanTeacherEMA(t *testing.T) {
	trainSet, _, labeled, unlabeled := sslTask(t, 2, 2)
	cfg := tinySSLConfig(MethodMeanTeacher)
	cfg.Channels, cfg.BatchSize, cfg.EMADecay = 2, 4, 0.6
	backend := testBackend(t)
	r, err := newSSLRun(backend, trainSet, labeled, unlabeled, 2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	step := func(steps int) (student, teacher map[string][]float32) {
		r.run.Steps = steps
		if err := fit.Run(backend, r.ctx, r.model.modelFn, r.lossFn, r.batches, r.run); err != nil {
			t.Fatal(err)
		}
		student, _ = values(r.ctx, "/classifier")
		teacher, trainable := values(r.ctx, "/"+teacherScope)
		for name, tr := range trainable {
			if tr {
				t.Errorf("teacher weight %s is trainable", name)
			}
		}
		return student, teacher
	}
	student1, teacher1 := step(1)
	student2, teacher2 := step(2)
	_, trainable := values(r.ctx, "/classifier")
	mirrored, differs := 0, false
	for name, tr := range trainable {
		if !tr {
			continue
		}
		mirrored++
		s1, t1, s2, t2 := student1[name], teacher1[name], student2[name], teacher2[name]
		if len(t1) != len(s1) || len(t2) != len(s2) {
			t.Fatalf("student weight %s (%d values) has a teacher of %d", name, len(s2), len(t2))
		}
		for i := range t2 {
			want := cfg.EMADecay*float64(t1[i]) + (1-cfg.EMADecay)*float64(s2[i])
			if math.Abs(float64(t2[i])-want) > 1e-6*(1+math.Abs(want)) {
				t.Fatalf("%s[%d]: teacher %g after step 2, want %g·%g + %g·%g = %g", name, i, t2[i], cfg.EMADecay, t1[i], 1-cfg.EMADecay, s2[i], want)
			}
			differs = differs || t2[i] != s2[i]
		}
	}
	if mirrored == 0 || !differs {
		t.Errorf("%d student weights mirrored; teacher differs from the student: %v", mirrored, differs)
	}
}

// TestSSLResumeMatchesUninterrupted stops Mean Teacher and VAT runs after each step in turn
// (after the step's checkpoint), resumes them and recomputes the batch-norm statistics as
// FitSSL does: every variable (student, teacher, optimiser state, random state, statistics)
// must equal bit for bit an uninterrupted run's. A resumed run that redrew the unlabeled
// batches, the in-graph views or VAT's directions (the context's random state) differently,
// or lost the teacher, would end elsewhere. Only the student's weights may be trainable, in
// either run.
func TestSSLResumeMatchesUninterrupted(t *testing.T) {
	trainSet, _, labeled, unlabeled := sslTask(t, 2, 2)
	backend := testBackend(t)
	t.Setenv(fit.EnvCheckpointSteps, "1")
	for _, method := range []string{MethodMeanTeacher, MethodVAT} {
		const steps = 4
		run := func(t *testing.T, dir string, onStep func(int) error) (map[string][]byte, error) {
			cfg := tinySSLConfig(method)
			cfg.Channels, cfg.BatchSize = 2, 4
			r, err := newSSLRun(backend, trainSet, labeled, unlabeled, 2, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if dir != "" {
				d, err := checkpoint.Open(dir, "ssl resume test", method)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				r.run.Checkpoints = d
			}
			r.run.Steps, r.run.OnStep = steps, onStep
			if err := fit.Run(backend, r.ctx, r.model.modelFn, r.lossFn, r.batches, r.run); err != nil {
				return nil, err
			}
			if _, err := newClassifier(backend, r.ctx, r.model.net, trainSet, unlabeled, 2, r.model.cfg.Config); err != nil {
				t.Fatal(err)
			}
			for v := range r.ctx.IterVariables() {
				if v.Trainable && !strings.HasPrefix(v.Scope(), "/classifier") && !strings.HasPrefix(v.Scope(), "/metrics/") {
					t.Errorf("%s is trainable", v.ScopeAndName())
				}
			}
			return checkpointtest.Values(t, r.ctx), nil
		}
		want, err := run(t, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		for killAt := 1; killAt <= steps; killAt++ {
			t.Run(fmt.Sprintf("%s stopped after %d", method, killAt), func(t *testing.T) {
				dir := t.TempDir()
				if _, err := run(t, dir, func(step int) error {
					if step == killAt {
						return errKilled
					}
					return nil
				}); !errors.Is(err, errKilled) {
					t.Fatalf("the stopped run returned %v", err)
				}
				got, err := run(t, dir, nil)
				if err != nil {
					t.Fatal(err)
				}
				checkpointtest.Same(t, want, got)
			})
		}
	}
}

var errKilled = errors.New("killed")
