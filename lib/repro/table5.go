package repro

import (
	"fmt"
	"math"
	"slices"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// Table 5 of the paper is its ImageNet protocol (§4.1): an instance-discrimination metric
// pretrained with ResNet-50 on the whole training set, 1, 2 and 4 % of it labeled, spectral
// propagation on 10 chunks of the unlabeled images, against training from scratch and
// finetuning the metric's network on the labels. ImageNet is not available offline, so the
// same code path (an image folder, ResNet-50 at the paper scale, 10-chunk spectral
// propagation) runs on the CIFAR-10 JPEG copy at 1, 2 and 4 %.

// Table5Rows are the paper's rows in its order: Scratch, Finetune (instance discrimination, no
// propagation) and Ours (instance discrimination, spectral).
var Table5Rows = []Table2Row{
	{Metric: pipeline.NoMetric, Transfer: pipeline.Scratch},
	{Metric: metric.MethodInstance, Transfer: pipeline.Finetune},
	{Metric: metric.MethodInstance, Transfer: pipeline.Spectral},
}

// Table5PaperPercents are the paper's columns: the labeled share of the training set (%).
var Table5PaperPercents = []float64{1, 2, 4}

// Table5Paper holds THE PAPER'S numbers, not ours: Table 5 of Liu et al. (2019), top-1
// accuracy (%) on ImageNet with ResNet-50, by row (Table5Rows) then Table5PaperPercents.
var Table5Paper = map[Table2Row][]float64{
	Table5Rows[0]: {22.4, 40.2, 58.2},
	Table5Rows[1]: {39.2, 52.8, 65.2},
	Table5Rows[2]: {58.6, 66.3, 72.4},
}

// Table5PaperAccuracy returns the paper's accuracy (%) of a row at a labeled share (%), and
// false where the paper has none.
func Table5PaperAccuracy(row Table2Row, percent float64) (float64, bool) {
	acc, ok := Table5Paper[row]
	if !ok {
		return 0, false
	}
	if i := slices.Index(Table5PaperPercents, percent); i >= 0 {
		return acc[i], true
	}
	return 0, false
}

// Table5Config is every knob of Table 5: Table 2's (the pool, the metric, the propagation,
// the classifiers, the budgets) with the columns given as labeled shares of the pool.
// Table2Config.Labels is ignored: RunTable5 sets it from Percents and Pool.
type Table5Config struct {
	Table2Config
	// Percents are the columns: the share (%) of the pool that is labeled, class-balanced.
	Percents []float64
}

// Table5ConfigFor returns Table 5's settings at a scale:
//   - Smoke: Table 2's smoke settings on a 1000-image pool, 1, 2 and 4 % labeled (10, 20
//     and 40 labels), 10 chunks; seconds.
//   - Bench: Table 2's bench settings (its instance-discrimination metric, so a cached Table 2
//     run shares it; Conv-4 classifiers) on the 20,000-image pool, 1, 2 and 4 % labeled
//     (200, 400 and 800 labels), 10 chunks; about half an hour on a 2-core CPU.
//   - Paper: the protocol as on ImageNet, run on all 50,000 CIFAR-10 training images:
//     ResNet-50 for the metric (the authors' instance-discrimination recipe of Table 2's paper
//     scale) and the classifiers (SGD 0.01, cosine, 200K iterations of 128), 1, 2 and 4 %
//     labeled (500, 1000 and 2000 labels), 10 chunks. Meant for a GPU, with time budgets.
func Table5ConfigFor(scale string) (Table5Config, error) {
	t2, err := Table2ConfigFor(scale)
	if err != nil {
		return Table5Config{}, err
	}
	cfg := Table5Config{Table2Config: t2, Percents: slices.Clone(Table5PaperPercents)}
	cfg.Rows = slices.Clone(Table5Rows)
	cfg.Metrics = map[string]metric.PretrainConfig{metric.MethodInstance: t2.Metrics[metric.MethodInstance]}
	cfg.Spectral.Chunks = 10
	switch scale {
	case pipeline.Smoke:
		cfg.Pool = 1000
	case pipeline.Bench:
		// Table 2's bench pool.
	case pipeline.Paper:
		cfg.Pool = 50000
		pc := cfg.Metrics[metric.MethodInstance]
		pc.Net = nets.NetResNet50
		cfg.Metrics[metric.MethodInstance] = pc
		cfg.Classifier.Net = nets.NetResNet50
	}
	return cfg, nil
}

// labelCounts returns the label count of each column: Percents of the pool, rounded.
func (c Table5Config) labelCounts() ([]int, error) {
	if c.Pool <= 0 {
		return nil, fmt.Errorf("table 5: Table5Config.Pool must be the pool's size (the labeled shares are of it), not %d", c.Pool)
	}
	if len(c.Percents) == 0 {
		return nil, fmt.Errorf("table 5: Table5Config.Percents is empty")
	}
	labels := make([]int, len(c.Percents))
	for i, p := range c.Percents {
		if !(p > 0 && p <= 100) {
			return nil, fmt.Errorf("table 5: labeled share %g %%, want (0, 100]", p)
		}
		labels[i] = int(math.Round(p / 100 * float64(c.Pool)))
	}
	return labels, nil
}

// RunTable5 computes (or reads from the cache) every cell of cfg.Rows at each labeled share:
// the same stages as RunTable2 (so the two tables share cached stages where their settings
// agree), with the spectral propagation in cfg.Spectral.Chunks chunks. onCell, if not nil,
// receives the table so far after every cell.
func RunTable5(env pipeline.Env, cfg Table5Config, onCell func(*Table5Result)) (*Table5Result, error) {
	labels, err := cfg.labelCounts()
	if err != nil {
		return nil, err
	}
	t2 := cfg.Table2Config
	t2.Labels = labels
	cfg.Table2Config = t2
	wrap := func(r *Table2Result) *Table5Result {
		return &Table5Result{RunInfo: r.RunInfo, Config: cfg, Pretrained: r.Pretrained, Cells: r.Cells}
	}
	var cell func(*Table2Result)
	if onCell != nil {
		cell = func(r *Table2Result) { onCell(wrap(r)) }
	}
	res, err := RunTable2(env, t2, cell)
	if err != nil {
		return nil, fmt.Errorf("table 5: %w", err)
	}
	return wrap(res), nil
}

// table5 applies the options to Table 5's settings.
func (o Options) table5(cfg *Table5Config) error {
	if err := o.only("table 5", "rows", "pool", "test", "classifier-steps", "seconds", "pretrain-seconds", "classifier-seconds", "metric", "percents"); err != nil {
		return err
	}
	if len(o.Percents) > 0 {
		cfg.Percents = o.Percents
	}
	return o.transfer(&cfg.Table2Config, true)
}
