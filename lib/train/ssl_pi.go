package train

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// piModel is the consistency cost of the Π-model (Laine & Aila 2017): SoftmaxMSE between the
// student's logits on one view of the unlabeled images and the same network's logits on a
// second, independently drawn view (its own translation, flip and Gaussian noise; view), the
// second pass taking no gradient, as realistic-ssl-evaluation's ssl_framework.py stops it.
func (m *sslModel) piModel(ctx *context.Context, raw, student *graph.Node) *graph.Node {
	second := m.net(ctx.Reuse().In("classifier"), view(ctx, raw, m.cfg.Augment.Pad, m.cfg.Augment.Flip, m.cfg.InputNoise), m.numClasses)
	return SoftmaxMSE(student, graph.StopGradient(second))
}
