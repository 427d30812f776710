package repro

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// Tables 3 and 4 of the paper set its method beside the semi-supervised methods of the time
// (the Π-model, Mean Teacher, VAT and VAT+EM, as benchmarked by Oliver et al. 2018): Table 3
// with a wider network, Table 4 with each baseline also given our most confident pseudo labels
// as labels ("+ Ours"). Both run Table 2's stages for our method (instance discrimination,
// spectral propagation, Eq. 10) and train.FitSSL for the baselines.

// OursMethod names our method in an SSLRow: Table 2's instance discrimination + spectral
// propagation cell.
const OursMethod = "ours"

// SSLRow is a row of Tables 3 and 4: our method or a semi-supervised baseline, optionally with
// our pseudo labels, on a classifier network.
type SSLRow struct {
	// Method is OursMethod or a baseline of train.FitSSL (train.SSLMethods).
	Method string `json:"method"`
	// Ours gives a baseline the pool's most confident pseudo labels as labels (Table 4's
	// "+ Ours"; SSLConfig.PseudoShare says how many).
	Ours bool `json:"ours,omitempty"`
	// Net and Channels choose the classifier network (Table 3's architectures); empty or zero
	// means the configuration's Classifier.Net and Channels.
	Net      string `json:"net,omitempty"`
	Channels int    `json:"channels,omitempty"`
	// PaperNet is the paper's network that this row's stands in for (Table 3 at the bench
	// scale: a narrow and a wide Conv-4 for WRN-28-2 and WRN-28-10); empty means Net.
	PaperNet string `json:"paper_net,omitempty"`
}

// SSLConfig is every knob of Tables 3 and 4: Table 2's (the pool, the instance-discrimination
// metric, the spectral propagation, the classifiers, the budgets; its Rows are ignored) and the
// baselines'.
type SSLConfig struct {
	Table2Config
	// Methods are the rows, in order.
	Methods []SSLRow
	// PseudoShare is the share of the pool whose most confident pseudo labels a "+ Ours" row
	// takes as labels: the paper's 10K of CIFAR-10's 50K images is 0.2.
	PseudoShare float64
	// SSL holds the baselines' own knobs (consistency weight, ramp-up, EMA decay, VAT's ε and
	// ξ, entropy weight); its classifier part is ignored (Classifier is used), and zeros mean
	// each method's defaults.
	SSL train.SSLConfig
}

// oursRow is Table 2's row that our method is.
var oursRow = Table2Row{Metric: metric.MethodInstance, Transfer: pipeline.Spectral}

// sslRun is one call of runSSL.
type sslRun struct {
	*pipeline.TransferRun[Table2Pretrained]
	cfg SSLConfig
}

// runSSL computes (or reads from the cache) every row of cfg.Methods at every label count for
// table (3 or 4): the instance-discrimination metric and its spectral propagation once per
// label count when a row needs them, our classifier through Table 2's cell, and each baseline
// through train.FitSSL. onCell, if not nil, receives the result after every cell.
func runSSL(table int, env pipeline.Env, cfg SSLConfig, onCell func(*SSLResult)) (*SSLResult, error) {
	what := fmt.Sprintf("table %d", table)
	if len(cfg.Methods) == 0 {
		return nil, fmt.Errorf("%s: SSLConfig.Methods is empty", what)
	}
	if cfg.PseudoShare < 0 || cfg.PseudoShare > 1 {
		return nil, fmt.Errorf("%s: SSLConfig.PseudoShare %g, want a share of the pool in [0, 1]", what, cfg.PseudoShare)
	}
	needProp := false
	for _, row := range cfg.Methods {
		if row.Method != OursMethod && !slices.Contains(train.SSLMethods, row.Method) {
			return nil, fmt.Errorf("%s: unknown method %q, want %q or one of %q", what, row.Method, OursMethod, train.SSLMethods)
		}
		if row.Ours && row.Method == OursMethod {
			return nil, fmt.Errorf("%s: row %q with Ours set: our method already uses the pseudo labels", what, row.Method)
		}
		needProp = needProp || row.Method == OursMethod || row.Ours
	}
	if row := slices.IndexFunc(cfg.Methods, func(r SSLRow) bool { return r.Ours }); row >= 0 && cfg.PseudoShare == 0 {
		return nil, fmt.Errorf("%s: a \"+ Ours\" row needs SSLConfig.PseudoShare > 0", what)
	}
	t2 := cfg.Table2Config
	t2.Rows = []Table2Row{oursRow}
	if err := t2.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	t, err := pipeline.OpenTransfer[Table2Pretrained](env, what, cfg.Scale, cfg.Dataset, cfg.Pool, cfg.Test, cfg.Seed, cfg.Labels, cfg.NN, cfg.Spectral)
	if err != nil {
		return nil, err
	}
	t.Metric = t2.metric(t)
	r := &sslRun{TransferRun: t, cfg: cfg}
	res := &SSLResult{Table: table, Config: cfg}
	rate := 0.0 // the metric's training images per second, to size time-bounded classifiers
	if needProp {
		m, err := t.MetricAt(oursRow.Metric, cfg.Labels[0], false)
		if err != nil {
			return nil, err
		}
		rate = m.Entry.ImagesPerSecond
	}
	cells := len(cfg.Methods) * len(cfg.Labels)
	return res, pipeline.Grid(cfg.Labels, cfg.Methods, func(row SSLRow, n int) (*SSLCell, error) {
		share := pipeline.BudgetShare(cfg.Seconds, t.Elapsed().Seconds(), cells-len(res.Cells), 0)
		cc := r.classifier(row)
		if row.Method == OursMethod {
			c, err := t.Cell(oursRow.Metric, oursRow.Transfer, n, pipeline.Bounded(cc, share, rate), fmt.Sprintf("ours, %d labels", n))
			if err != nil {
				return nil, err
			}
			return &SSLCell{Classified: c.Classified, SSLRow: row, Labels: n, PseudoAccuracy: c.PseudoAccuracy, PropagationSeconds: c.PropagationSeconds}, nil
		}
		var prop *pipeline.PropagationResult
		if row.Ours {
			m, err := t.MetricAt(oursRow.Metric, n, false)
			if err != nil {
				return nil, err
			}
			pc := cfg.Spectral
			pc.Method = propagate.Spectral
			if prop, err = t.Propagate(m.Features, t.Pool, n, pc, fmt.Sprintf("%d labels, %s", n, pc.Method)); err != nil {
				return nil, err
			}
		}
		// A baseline's step of B/2 labeled and B/2 unlabeled images costs about 1.5 plain steps of
		// B (the unlabeled half passes twice, three times for VAT), so its images count thrice in
		// sizing it; the budget still stops it if this is generous.
		return r.baseline(row, n, prop, pipeline.Bounded(cc, share, rate/3))
	}, func(c SSLCell) {
		res.Cells, res.RunInfo, res.Pretrained = append(res.Cells, c), t.Info(), t.Pretrained()
		pipeline.Notify(onCell, res)
	})
}

// classifier returns the row's classifier settings: the configuration's, on the row's network.
func (r *sslRun) classifier(row SSLRow) train.Config {
	cc := r.cfg.Classifier
	cc.Net = cmp.Or(row.Net, cc.Net)
	cc.Channels = cmp.Or(row.Channels, cc.Channels)
	return cc
}

// given returns a baseline's labeled examples: the labels, and with withOurs the
// PseudoShare·pool most confident pseudo labels of the unlabeled pool as labels of weight 1;
// also the accuracy of those pseudo labels (0 without them).
func (r *sslRun) given(labels int, prop *pipeline.PropagationResult, withOurs bool) ([]train.Example, float64) {
	p := r.Pool
	labeled := p.Labeled[labels]
	var examples []train.Example
	for _, i := range labeled {
		examples = append(examples, train.Example{Index: p.Rows[i], Label: p.Truth[i], Weight: 1})
	}
	if !withOurs {
		return examples, 0
	}
	unlabeled := pipeline.UnlabeledRows(len(p.Rows), labeled)
	slices.SortStableFunc(unlabeled, func(a, b int) int { return cmp.Compare(prop.Confidence[b], prop.Confidence[a]) })
	k := min(len(unlabeled), int(r.cfg.PseudoShare*float64(len(p.Rows))))
	right := 0
	for _, i := range unlabeled[:k] {
		examples = append(examples, train.Example{Index: p.Rows[i], Label: prop.Labels[i], Weight: 1})
		if prop.Labels[i] == p.Truth[i] {
			right++
		}
	}
	return examples, float64(right) / float64(max(1, k))
}

// baseline is a semi-supervised baseline's cell: train.FitSSL with the classifier settings cc
// on the labels (and, for a "+ Ours" row, the most confident pseudo labels) with the whole pool
// as its unlabeled data, measured on the test split (pipeline.Run.Baseline).
func (r *sslRun) baseline(row SSLRow, labels int, prop *pipeline.PropagationResult, cc train.Config) (*SSLCell, error) {
	sc := r.cfg.SSL
	sc.Config = cc
	sc.Method = row.Method
	// A baseline's step sees as many images as ours: half of them labeled, half unlabeled
	// (SSLConfig.BatchSize is the size of each half, as the benchmark's 50 + 50).
	sc.BatchSize = max(1, sc.BatchSize/2)
	tag := fmt.Sprintf("%s, %d labels", row.Method, labels)
	input := r.Pool.Key
	if row.Ours {
		tag += " + ours"
		input = fmt.Sprintf("%s/share=%g", prop.Key, r.cfg.PseudoShare)
	}
	examples, pseudo := r.given(labels, prop, row.Ours)
	c, err := r.Baseline(sc, r.Pool, examples, input, labels, r.Test, tag)
	if err != nil {
		return nil, err
	}
	return &SSLCell{Classified: *c, SSLRow: row, Labels: labels, PseudoAccuracy: pseudo}, nil
}

// ssl applies the options to the settings of Table 3 or 4.
func (o Options) ssl(cfg *SSLConfig) error {
	if err := o.only("tables 3 and 4", "labels", "rows", "pool", "test", "classifier-steps", "seconds", "pretrain-seconds", "classifier-seconds", "metric"); err != nil {
		return err
	}
	if err := o.transfer(&cfg.Table2Config, false); err != nil {
		return err
	}
	if o.Rows != "" {
		rows, err := PickSSLRows(cfg.Methods, o.Rows)
		if err != nil {
			return err
		}
		cfg.Methods = rows
	}
	return nil
}
