package train

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
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

// TestSSLResumeMatchesUninterrupted kills Mean Teacher and VAT runs after a checkpoint and
// resumes them: the final student and teacher weights must equal an uninterrupted run's. A
// resumed run that redrew the unlabeled batches, the in-graph views or VAT's directions (the
// context's random state) differently, or lost the teacher, would end elsewhere. Only the
// student's weights may be trainable, in either run (a restored random state came back
// trainable, see sslModel.modelFn).
func TestSSLResumeMatchesUninterrupted(t *testing.T) {
	trainSet, _, labeled, unlabeled := sslTask(t, 2, 2)
	backend := testBackend(t)
	for _, method := range []string{MethodMeanTeacher, MethodVAT} {
		t.Run(method, func(t *testing.T) {
			const steps, every, killAt = 6, 2, 3
			run := func(dir string, onStep func(int) error) (map[string][]float32, error) {
				cfg := tinySSLConfig(method)
				cfg.Channels, cfg.BatchSize = 2, 4
				r, err := newSSLRun(backend, trainSet, labeled, unlabeled, 2, cfg)
				if err != nil {
					t.Fatal(err)
				}
				r.run.Steps, r.run.CheckpointDir, r.run.CheckpointSteps, r.run.OnStep = steps, dir, every, onStep
				err = fit.Run(backend, r.ctx, r.model.modelFn, r.lossFn, r.batches, r.run)
				weights, _ := values(r.ctx, "")
				for v := range r.ctx.IterVariables() {
					if v.Trainable && !strings.HasPrefix(v.Scope(), "/classifier") {
						t.Errorf("%s is trainable", v.ScopeAndName())
					}
				}
				return weights, err
			}
			want, err := run(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			killed := errors.New("killed")
			if _, err := run(dir, func(step int) error {
				if step == killAt {
					return killed
				}
				return nil
			}); !errors.Is(err, killed) {
				t.Fatalf("the killed run returned %v", err)
			}
			got, err := run(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			for name, w := range want {
				if !strings.HasPrefix(name, "/classifier") && !strings.HasPrefix(name, "/"+teacherScope) {
					continue // the trainer's metrics are not restored
				}
				g := got[name]
				if len(g) != len(w) {
					t.Fatalf("%s: %d values after resuming, %d uninterrupted", name, len(g), len(w))
				}
				for i := range w {
					if math.Abs(float64(g[i]-w[i])) > 1e-5 {
						t.Fatalf("%s[%d] = %g after resuming, %g uninterrupted", name, i, g[i], w[i])
					}
				}
			}
		})
	}
}
