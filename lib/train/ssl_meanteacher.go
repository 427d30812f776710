package train

import (
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/train"
)

// teacherScope holds the Mean Teacher's weights: the student's trainable variables under
// /classifier mirrored under /teacher, plus the teacher network's own batch-norm averages
// (unused: it runs in training mode, on batch statistics).
const teacherScope = "teacher"

// emaStarted names the scalar that is 0 until the first step has averaged the teacher: the
// teacher starts as a copy of the student, as TensorFlow's ExponentialMovingAverage starts its
// shadow variables at the variables' initial values.
const emaStarted = "ema_started"

// meanTeacher is the consistency cost of Mean Teacher (Tarvainen & Valpola 2017):
// SoftmaxMSE between the student's logits on one view of the unlabeled images and those of the
// teacher, a network whose weights are an exponential moving average of the student's, on an
// independently drawn view of the same images (view), with no gradient into the teacher.
//
// The average is updated after the optimiser's step, in the same training graph (GoMLX's
// per-step update hook): teacher ← decay·teacher + (1 − decay)·student, with the student's new
// weights, as Tarvainen & Valpola's Algorithm does. realistic-ssl-evaluation runs TensorFlow's
// EMA as an update op before the optimiser (control dependencies in ssl_framework.py), so its
// teacher trails by one step; at decay 0.95 that is immaterial.
func (m *sslModel) meanTeacher(ctx *context.Context, raw, student *graph.Node) *graph.Node {
	g := raw.Graph()
	studentScope := ctx.In("classifier").Scope()
	teacher := ctx.In(teacherScope).Checked(false)
	started := teacher.VariableWithValue(emaStarted, float32(0)).SetTrainable(false)
	s := started.ValueGraph(g)

	// The student's variables exist: its pass was built first.
	var pairs [][2]*context.Variable // student, teacher
	var studentVars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) && (v.Scope() == studentScope || strings.HasPrefix(v.Scope(), studentScope+context.ScopeSeparator)) {
			studentVars = append(studentVars, v)
		}
	}
	for _, v := range studentVars {
		scope := teacher.Scope() + strings.TrimPrefix(v.Scope(), studentScope)
		t := teacher.InAbsPath(scope).WithInitializer(initializers.Zero).VariableWithShape(v.Name(), v.Shape()).SetTrainable(false)
		// Before the first update the teacher is the student.
		t.SetValueGraph(graph.Add(graph.Mul(s, t.ValueGraph(g)), graph.Mul(graph.OneMinus(s), v.ValueGraph(g))))
		pairs = append(pairs, [2]*context.Variable{v, t})
	}

	logits := graph.StopGradient(m.net(teacher, view(ctx, raw, m.cfg.Augment.Pad, m.cfg.Augment.Flip, m.cfg.InputNoise), m.numClasses))
	// Layers mark their weights trainable when they look them up (nets.BatchNorm does); the
	// optimiser must leave the teacher's alone.
	for v := range teacher.IterVariablesInScope() {
		v.SetTrainable(false)
	}

	decay := m.cfg.EMADecay
	train.AddPerStepUpdateGraphFn(teacher, g, func(_ *context.Context, g *graph.Graph) {
		for _, p := range pairs {
			student, t := p[0].ValueGraph(g), p[1].ValueGraph(g)
			p[1].SetValueGraph(graph.Add(graph.MulScalar(t, decay), graph.MulScalar(student, 1-decay)))
		}
		started.SetValueGraph(graph.OnesLike(s))
	})
	return SoftmaxMSE(student, logits)
}
