package repro

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
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
var oursRow = Table2Row{metric.MethodInstance, propagate.Spectral}

// sslRun is one call of runSSL.
type sslRun struct {
	*table2Run
	cfg SSLConfig
}

// runSSL computes (or reads from the cache) every row of cfg.Methods at every label count for
// table (3 or 4): the instance-discrimination metric and its spectral propagation once per
// label count when a row needs them, our classifier through Table 2's classifier stage, and
// each baseline through train.FitSSL. onCell, if not nil, receives the result after every cell.
func runSSL(table int, backend backends.Backend, cfg SSLConfig, progress fit.Progress, onCell func(*SSLResult)) (*SSLResult, error) {
	start := time.Now()
	if len(cfg.Methods) == 0 {
		return nil, fmt.Errorf("table %d: SSLConfig.Methods is empty", table)
	}
	if cfg.PseudoShare < 0 || cfg.PseudoShare > 1 {
		return nil, fmt.Errorf("table %d: SSLConfig.PseudoShare %g, want a share of the pool in [0, 1]", table, cfg.PseudoShare)
	}
	needProp := false
	for _, row := range cfg.Methods {
		if row.Method != OursMethod && !slices.Contains(train.SSLMethods, row.Method) {
			return nil, fmt.Errorf("table %d: unknown method %q, want %q or one of %q", table, row.Method, OursMethod, train.SSLMethods)
		}
		if row.Ours && row.Method == OursMethod {
			return nil, fmt.Errorf("table %d: row %q with Ours set: our method already uses the pseudo labels", table, row.Method)
		}
		needProp = needProp || row.Method == OursMethod || row.Ours
	}
	if row := slices.IndexFunc(cfg.Methods, func(r SSLRow) bool { return r.Ours }); row >= 0 && cfg.PseudoShare == 0 {
		return nil, fmt.Errorf("table %d: a \"+ Ours\" row needs SSLConfig.PseudoShare > 0", table)
	}
	t2 := cfg.Table2Config
	t2.Rows = []Table2Row{oursRow}
	r := &sslRun{table2Run: &table2Run{cfg: t2, backend: backend, progress: progress, labeled: map[int][]int{}}, cfg: cfg}
	if err := r.open(); err != nil {
		return nil, fmt.Errorf("table %d: %w", table, err)
	}
	res := &SSLResult{Table: table, Config: cfg}
	finish := func() {
		prov := NewProvenance(backend.Name(), cfg.Scale, 0, cfg.Command)
		for _, p := range res.Pretrained {
			prov.Seconds += p.Seconds
		}
		for _, c := range res.Cells {
			prov.Seconds += c.Seconds + c.PropagationSeconds
		}
		res.Provenance, res.Computed, res.Wall = prov, r.computed, time.Since(start).Seconds()
	}
	rate := 0.0 // the metric's training images per second, to size time-bounded classifiers
	cells := len(cfg.Methods) * len(cfg.Labels)
	for _, n := range cfg.Labels {
		var prop *PropagationResult
		if needProp {
			f, p, err := r.features(metric.MethodInstance, n)
			if err != nil {
				return nil, fmt.Errorf("table %d: %w", table, err)
			}
			if len(res.Pretrained) == 0 {
				res.Pretrained, rate = append(res.Pretrained, *p), p.ImagesPerSecond
			}
			if prop, err = r.propagate(f, oursRow, n); err != nil {
				return nil, fmt.Errorf("table %d: %w", table, err)
			}
		}
		for _, row := range cfg.Methods {
			share := r.sslShare(start, cells-len(res.Cells))
			var cell *SSLCell
			var err error
			if row.Method == OursMethod {
				cell, err = r.ours(row, n, prop, rate, share)
			} else {
				cell, err = r.baseline(row, n, prop, rate, share)
			}
			if err != nil {
				return nil, fmt.Errorf("table %d: %w", table, err)
			}
			res.Cells = append(res.Cells, *cell)
			if onCell != nil {
				finish()
				onCell(res)
			}
		}
	}
	finish()
	return res, nil
}

// sslShare is the time budget of the next classifier under cfg.Seconds, with left classifiers
// still to train (this one included), 0 without a budget; as Table 2's share, less 25 s for
// each classifier's final passes.
func (r *sslRun) sslShare(start time.Time, left int) float64 {
	if r.cfg.Seconds <= 0 {
		return 0
	}
	return max(10, (r.cfg.Seconds-time.Since(start).Seconds())/float64(left)-25)
}

// classifier returns the row's classifier settings: the configuration's, on the row's network.
func (r *sslRun) classifier(row SSLRow, share float64) train.Config {
	cc := r.cfg.Classifier
	cc.Net = cmp.Or(row.Net, cc.Net)
	cc.Channels = cmp.Or(row.Channels, cc.Channels)
	if share > 0 && (cc.Seconds == 0 || share < cc.Seconds) {
		cc.Seconds = share
	}
	return cc
}

// ours is our method's cell: Table 2's classifier stage on the labels and the
// confidence-weighted pseudo labels, on the row's network.
func (r *sslRun) ours(row SSLRow, labels int, prop *PropagationResult, rate, share float64) (*SSLCell, error) {
	c, err := r.classify(r.classifier(row, 0), oursRow, labels, prop, nil, rate, share)
	if err != nil {
		return nil, err
	}
	return &SSLCell{Timed: c.Timed, SSLRow: row, Labels: labels, Accuracy: c.Accuracy, Examples: c.Examples, Steps: c.Steps,
		PseudoAccuracy: c.PseudoAccuracy, PropagationSeconds: c.PropagationSeconds}, nil
}

// given returns a baseline's labeled examples: the labels, and with withOurs the
// PseudoShare·pool most confident pseudo labels of the unlabeled pool as labels of weight 1;
// also the accuracy of those pseudo labels (0 without them).
func (r *sslRun) given(labels int, prop *PropagationResult, withOurs bool) ([]train.Example, float64) {
	labeled := r.labeled[labels]
	var examples []train.Example
	for _, p := range labeled {
		examples = append(examples, train.Example{Index: r.pool[p], Label: r.truth[p], Weight: 1})
	}
	if !withOurs {
		return examples, 0
	}
	unlabeled := unlabeledRows(len(r.pool), labeled)
	slices.SortStableFunc(unlabeled, func(a, b int) int { return cmp.Compare(prop.Confidence[b], prop.Confidence[a]) })
	k := min(len(unlabeled), int(r.cfg.PseudoShare*float64(len(r.pool))))
	right := 0
	for _, p := range unlabeled[:k] {
		examples = append(examples, train.Example{Index: r.pool[p], Label: prop.Labels[p], Weight: 1})
		if prop.Labels[p] == r.truth[p] {
			right++
		}
	}
	return examples, float64(right) / float64(max(1, k))
}

// baseline is a semi-supervised baseline's cell: train.FitSSL on the labels (and, for a
// "+ Ours" row, the most confident pseudo labels) with the whole pool as its unlabeled data,
// measured on the test split.
func (r *sslRun) baseline(row SSLRow, labels int, prop *PropagationResult, rate, share float64) (*SSLCell, error) {
	sc := r.cfg.SSL
	sc.Config = r.classifier(row, share)
	sc.Method = row.Method
	// A baseline's step sees as many images as ours: half of them labeled, half unlabeled
	// (SSLConfig.BatchSize is the size of each half, as the benchmark's 50 + 50).
	sc.BatchSize = max(1, sc.BatchSize/2)
	sc.Progress, sc.CheckpointDir = nil, ""
	tag := fmt.Sprintf("%s, %d labels", row.Method, labels)
	if row.Ours {
		tag += " + ours"
	}
	sc.Stage = "classifier (" + tag + ")"
	// A baseline's step of B/2 labeled and B/2 unlabeled images costs about 1.5 plain steps of
	// B (the unlabeled half passes twice, three times for VAT), so its images count thrice; the
	// budget still stops it if this is generous.
	sc.Steps = classifierSteps(sc.Config, rate/3)
	input := r.dataKey
	if row.Ours {
		input = fmt.Sprintf("%s/share=%g", prop.key, r.cfg.PseudoShare)
	}
	// The key holds the settings as resolved (network, width and the method's defaults), not
	// the row, so that one training serves every table that asks for it, and a changed default
	// is a new key.
	resolved, err := sc.WithDefaults()
	if err != nil {
		return nil, err
	}
	key, err := artifact.Key("ssl-classifier", resolved, input, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	cell, cached, err := stageJSON(r.store, key, "cell.json", &r.computed, func(string) (*SSLCell, error) {
		start := time.Now()
		var err error
		if sc.CheckpointDir, err = r.checkpoints(key, fmt.Sprintf("ssl-%s-%t-%d-%s", row.Method, row.Ours, labels, netTag(sc.Net, sc.Channels))); err != nil {
			return nil, err
		}
		sc.Progress = tagged(r.progress, tag)
		examples, pseudo := r.given(labels, prop, row.Ours)
		c, err := train.FitSSL(r.backend, r.train, examples, r.pool, r.train.NumClasses(), sc)
		if err != nil {
			return nil, err
		}
		cell := SSLCell{SSLRow: row, Labels: labels, Examples: len(examples), Steps: c.Steps, PseudoAccuracy: pseudo}
		if cell.Accuracy, err = c.Accuracy(r.test, sc.Progress); err != nil {
			return nil, err
		}
		if cell.Weights, err = c.Digest(); err != nil {
			return nil, err
		}
		cell.Seconds = time.Since(start).Seconds()
		return &cell, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tag, err)
	}
	cell.Cached = cached
	return cell, nil
}
