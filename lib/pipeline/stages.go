package pipeline

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// The stages every table is made of: pretrain a metric, embed images in it, measure it by
// kNN, propagate labels in it, and train a classifier. Each stage has one key scheme, its
// settings and its inputs' keys, so that a stage has the same key whichever table asks for it.

// Trained is a metric pretrained here: on how many images, for how long and how fast.
type Trained struct {
	Timed
	// N is the number of images the metric trained on.
	N int `json:"n"`
	// Steps and Epochs are what ran (fewer than configured when a time budget ended it).
	Steps  int     `json:"steps"`
	Epochs float64 `json:"epochs"`
	// ImagesPerSecond is the training's steady rate, compilation left out (0 when the training
	// was too short for two progress reports).
	ImagesPerSecond float64 `json:"images_per_second"`
}

// TrainedMetric is a pretraining stage: what it trained and its network, kept in dir.
type TrainedMetric struct {
	Trained
	// Dir holds the trained network, as metric.LoadPretrained reads it; Key is the stage's.
	Dir, Key string
	Info     metric.PretrainInfo
}

// trainingKeys returns the key of a training's stage, of kind, keyed by its settings cfg, its
// inputs and, if not "", the split it is measured on; and the name of its checkpoint folder
// (Run.Checkpoints), of folder, keyed by its settings without their time budget (budgetless)
// and its inputs, so that the next slice of a long run, with another budget, resumes there.
func trainingKeys(kind, folder string, cfg, budgetless any, measuredOn string, inputs ...string) (key, name string, err error) {
	keyed := inputs
	if measuredOn != "" {
		keyed = append(slices.Clip(inputs), measuredOn)
	}
	if key, err = artifact.Key(kind, cfg, keyed...); err != nil {
		return "", "", err
	}
	name, err = artifact.Key(folder, budgetless, inputs...)
	return key, name, err
}

// Pretrain trains the metric pc on the rows subset of ds (set names them) and keeps its
// network in the cache. Keyed by pc and set.
func (r *Run) Pretrain(ds *Split, subset []int, set string, pc metric.PretrainConfig, tag string) (*TrainedMetric, error) {
	pc.Progress, pc.CheckpointDir = nil, ""
	budgetless := pc
	budgetless.Seconds = 0
	key, name, err := trainingKeys("pretrain", "pretrain-"+pc.Method, pc, budgetless, "", ds.Key, set)
	if err != nil {
		return nil, err
	}
	t, dir, err := Stage(r, key, "trained.json", func(dir string) (*Trained, error) {
		var err error
		if pc.CheckpointDir, err = r.Checkpoints(key, name); err != nil {
			return nil, err
		}
		pc.Pause = r.TrainingPause()
		pc.StepsPerCall = r.StepsPerCall
		meter := &rateMeter{}
		pc.Progress = meter.wrap(Tagged(r.Progress, tag))
		p, err := metric.Pretrain(r.Backend, ds.Dataset, subset, pc)
		if err != nil {
			return nil, err
		}
		if err := copyCheckpoint(pc.CheckpointDir, filepath.Join(dir, "metric")); err != nil {
			return nil, err
		}
		return &Trained{N: len(subset), Steps: p.Info.Steps, Epochs: float64(p.Info.Steps*pc.BatchSize) / float64(len(subset)),
			ImagesPerSecond: meter.rate() * float64(pc.BatchSize)}, nil
	})
	if err != nil {
		return nil, r.Errorf("metric "+tag, err)
	}
	m := &TrainedMetric{Trained: *t, Dir: filepath.Join(dir, "metric"), Key: key}
	if m.Info, err = readPretrainInfo(m.Dir); err != nil {
		return nil, r.Errorf("metric "+tag, err)
	}
	return m, nil
}

// PoolMetric pretrains pc on the pool p, or on the labels of its column of trainedOn labels
// when trainedOn > 0 (bootstrapping, its batches capped at the labels), and embeds the pool in
// it: the stages Tables 1, 2, 3, 4 and 5 share for a metric of one pool.
func (r *Run) PoolMetric(p *Pool, name string, trainedOn int, pc metric.PretrainConfig) (*TrainedMetric, *FeaturesResult, error) {
	tag, rows := name, p.Rows
	if trainedOn > 0 {
		tag, rows = fmt.Sprintf("%s on %d labels", name, trainedOn), Pick(p.Rows, p.Labeled[trainedOn])
		pc.BatchSize = min(pc.BatchSize, trainedOn)
	}
	net, err := r.Pretrain(p.Split, rows, fmt.Sprintf("%s/labels=%d", p.Key, trainedOn), pc, tag)
	if err != nil {
		return nil, nil, err
	}
	f, err := r.Embed(net, p.Split, p.Rows, p.Key, tag)
	return net, f, err
}

// FeaturesResult is a metric's embedding of a set of images: a row-major N×D matrix of unit
// rows.
type FeaturesResult struct {
	Timed
	Features []float32
	N, D     int
	// Key is the stage's, for the keys of the stages that read it.
	Key string `json:"-"`
}

// Matrix is the features as a propagate.Matrix.
func (f *FeaturesResult) Matrix() propagate.Matrix {
	return propagate.Matrix{N: f.N, D: f.D, Data: f.Features}
}

// Embed returns the features of the rows of ds (nil: all; set names them) in the metric m.
// Keyed by the metric's stage and set.
func (r *Run) Embed(m *TrainedMetric, ds *Split, rows []int, set, tag string) (*FeaturesResult, error) {
	key, err := artifact.Key("embed", nil, m.Key, ds.Key, set)
	if err != nil {
		return nil, err
	}
	var f *FeaturesResult
	_, err = r.build(key, func(dir string) error {
		start := time.Now()
		p, err := metric.LoadPretrained(r.Backend, m.Dir)
		if err != nil {
			return err
		}
		x, d, err := p.Features(ds.Dataset, rows, Tagged(r.Progress, tag))
		if err != nil {
			return err
		}
		return writeFeatures(dir, x, len(x)/d, d, time.Since(start).Seconds())
	}, func(dir string, cached bool) (err error) {
		f, err = r.readFeatures(dir, key, cached)
		return err
	})
	if err != nil {
		return nil, r.Errorf(tag+", embedding "+ds.Name, err)
	}
	return f, nil
}

// writeFeatures stores an n×d feature matrix and the seconds it took in a stage's directory.
func writeFeatures(dir string, f []float32, n, d int, seconds float64) error {
	if err := artifact.WriteFloat32s(filepath.Join(dir, "features.bin"), f, n, d); err != nil {
		return err
	}
	return artifact.WriteJSON(filepath.Join(dir, "timing.json"), Timed{Seconds: seconds})
}

// readFeatures reads what writeFeatures stored under the stage key, and records its seconds.
func (r *Run) readFeatures(dir, key string, cached bool) (*FeaturesResult, error) {
	res := &FeaturesResult{Key: key}
	var err error
	if res.Features, res.N, res.D, err = artifact.ReadFloat32s(filepath.Join(dir, "features.bin")); err != nil {
		return nil, err
	}
	if err := artifact.ReadJSON(filepath.Join(dir, "timing.json"), &res.Timed); err != nil {
		return nil, err
	}
	res.Cached, r.seconds[key] = cached, res.Seconds
	return res, nil
}

// knnResult is a kNN stage's result.
type knnResult struct {
	Accuracy float64 `json:"accuracy"`
}

// MetricKNN is the metric quality the tables report: the weighted kNN test accuracy (KNN,
// temperature 0.1 as Wu et al.'s monitor) of the metric net, with its features of the pool p
// as the labelled memory and its features of test as the queries.
func (r *Run) MetricKNN(net *TrainedMetric, p *Pool, test *Split, k int, tag string) (float64, error) {
	x, err := r.Embed(net, p.Split, p.Rows, p.Key, tag)
	if err != nil {
		return 0, err
	}
	y, err := r.Embed(net, test, nil, "", tag+", test")
	if err != nil {
		return 0, err
	}
	acc, err := r.KNN(x.Matrix(), p.Truth, y.Matrix(), test.Labels, p.Split.NumClasses(), k, 0.1, x.Key, p.Key, y.Key, test.Key)
	if err != nil {
		return 0, r.Errorf(tag, err)
	}
	return acc, nil
}

// KNN is Wu et al.'s weighted kNN accuracy (propagate.KNNTestAccuracy, k capped at the memory's
// size) of the memory x with labels xl classifying the queries y with labels yl. Keyed by k,
// the temperature and inputs, the keys of what x, xl, y and yl are.
func (r *Run) KNN(x propagate.Matrix, xl []int32, y propagate.Matrix, yl []int32, classes, k int, temperature float64, inputs ...string) (float64, error) {
	key, err := artifact.Key("knn", map[string]any{"k": k, "t": temperature}, inputs...)
	if err != nil {
		return 0, err
	}
	res, _, err := Stage(r, key, "knn.json", func(string) (*knnResult, error) {
		acc, err := propagate.KNNTestAccuracy(x, xl, y, yl, classes, min(k, x.N), temperature)
		return &knnResult{acc}, err
	})
	if err != nil {
		return 0, err
	}
	return res.Accuracy, nil
}

// PropagationResult is a propagation method's pseudo labels for the pool, with their quality
// measured against the pool's true labels on the unlabeled part.
type PropagationResult struct {
	Timed
	Method     propagate.Method `json:"method"`
	Labels     []int32          `json:"labels,omitempty"`
	Confidence []float32        `json:"confidence,omitempty"`
	// Accuracy is the fraction of unlabeled pool images whose pseudo label is right.
	Accuracy float64 `json:"accuracy"`
	// MAP is the mean average precision of the pseudo labels sorted by confidence (Table 1).
	MAP float64 `json:"map"`
	// Accumulated is the accuracy of the i+1 most confident unlabeled pseudo labels (Figure 3).
	Accumulated []float64 `json:"accumulated"`
	// Key is the stage's, for the keys of the stages that read it.
	Key string `json:"-"`
}

// Propagate spreads the labels of a column of the pool over the pool in the features f (of
// the pool's rows) by cfg.Method, and scores the pseudo labels. Keyed by cfg, the features
// and the label set.
func (r *Run) Propagate(f *FeaturesResult, p *Pool, labels int, cfg propagate.Config, tag string) (*PropagationResult, error) {
	key, err := artifact.Key("propagate", cfg, f.Key, p.Key, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	res, _, err := Stage(r, key, "result.json", func(string) (*PropagationResult, error) {
		labeled := p.Labeled[labels]
		x := propagate.Matrix{N: f.N, D: f.D, Data: f.Features}
		out, err := propagate.Run(x, labeled, Pick(p.Truth, labeled), p.Split.NumClasses(), cfg, Tagged(r.Progress, tag))
		if err != nil {
			return nil, err
		}
		s := ScorePropagation(cfg.Method, out, p.Truth, labeled)
		return &s, nil
	})
	if err != nil {
		return nil, r.Errorf(tag, err)
	}
	res.Key = key
	return res, nil
}

// ScorePropagation measures the pseudo labels r against the true labels truth on the rows
// not in labeled, as the paper and the authors' notebooks do: the accuracy, the accumulated
// accuracy by confidence (Figure 3) and its mean, the mAP of Table 1. Rows are ranked by
// r.Score, which orders like the confidence without its ties at 1.
func ScorePropagation(method propagate.Method, r *propagate.Result, truth []int32, labeled []int) PropagationResult {
	res := PropagationResult{Method: method, Labels: r.Labels, Confidence: r.Confidence}
	unlabeled := UnlabeledRows(len(truth), labeled)
	pred, want, conf := Pick(r.Labels, unlabeled), Pick(truth, unlabeled), Pick(r.Score, unlabeled)
	res.Accumulated = propagate.AccumulatedAccuracy(pred, want, conf)
	if len(res.Accumulated) > 0 {
		res.Accuracy = res.Accumulated[len(res.Accumulated)-1]
	}
	res.MAP = propagate.MeanAveragePrecision(pred, want, conf)
	return res
}

// Classified is a classifier's training and its test accuracy: what every cell that trains
// one records.
type Classified struct {
	Timed
	// Accuracy is the classifier's test accuracy (a fraction; the paper prints %).
	Accuracy float64 `json:"accuracy"`
	// Examples is the number of training examples kept (α ≥ MinWeight), Steps the steps run.
	Examples int `json:"examples"`
	Steps    int `json:"steps"`
	// Weights is the trained network's train.Classifier.Digest.
	Weights string `json:"weights_sha256,omitempty"`
}

// Classify trains a classifier with cc on the labels of a column of the pool and, with prop,
// on the rest of the pool with its pseudo labels weighted by their confidence (Eq. 10); with
// init, starting from that metric's network (finetuning: its net and width replace cc's); and
// measures it on test. Keyed by cc (its progress label left out), the examples' source and the
// test split.
func (r *Run) Classify(cc train.Config, p *Pool, labels int, prop *PropagationResult, init *TrainedMetric, test *Split, tag string) (*Classified, error) {
	if init != nil {
		cc.Net, cc.Channels, cc.InitFrom = init.Info.Net, init.Info.Channels, init.Key
	}
	cc.Progress, cc.CheckpointDir, cc.Stage, cc.Init = nil, "", "", nil
	input := p.Key
	if prop != nil {
		input = prop.Key
	}
	budgetless := cc
	budgetless.Seconds = 0
	key, name, err := trainingKeys("classify", "classifier", cc, budgetless, test.Key, input, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	res, _, err := Stage(r, key, "classified.json", func(string) (*Classified, error) {
		if err := r.classifierRun(&cc, key, name, tag); err != nil {
			return nil, err
		}
		var examples []train.Example
		for _, i := range p.Labeled[labels] {
			examples = append(examples, train.Example{Index: p.Rows[i], Label: p.Truth[i], Weight: 1})
		}
		if prop != nil {
			for _, i := range UnlabeledRows(len(p.Rows), p.Labeled[labels]) {
				examples = append(examples, train.Example{Index: p.Rows[i], Label: prop.Labels[i], Weight: prop.Confidence[i]})
			}
		}
		if init != nil {
			m, err := metric.LoadPretrained(r.Backend, init.Dir)
			if err != nil {
				return nil, err
			}
			b, err := m.Backbone()
			if err != nil {
				return nil, err
			}
			cc.Init = &train.Init{Net: m.Info.Net, Backbone: b, Lightness: m.Info.Method == metric.MethodColor}
		}
		return fitClassifier(r, p.Split, examples, test, cc)
	})
	if err != nil {
		return nil, r.Errorf(tag, err)
	}
	return res, nil
}

// Baseline trains a semi-supervised baseline (train.FitSSL with sc) on examples of the pool p,
// with every image of the pool as its unlabeled data, and measures it on test. Keyed by sc as
// resolved (its network, width and the method's defaults, so that one training serves every
// table that asks for it, and a changed default is a new key), input (the key of what the
// examples come from: the pool's labels, or a propagation's pseudo labels), labels and the test
// split.
func (r *Run) Baseline(sc train.SSLConfig, p *Pool, examples []train.Example, input string, labels int, test *Split, tag string) (*Classified, error) {
	sc.Progress, sc.CheckpointDir, sc.Stage = nil, "", ""
	resolved, err := sc.WithDefaults()
	if err != nil {
		return nil, err
	}
	budgetless := resolved
	budgetless.Seconds = 0
	key, name, err := trainingKeys("baseline", "ssl-"+sc.Method, resolved, budgetless, test.Key, input, fmt.Sprintf("labels=%d", labels))
	if err != nil {
		return nil, err
	}
	res, _, err := Stage(r, key, "cell.json", func(string) (*Classified, error) {
		if err := r.classifierRun(&sc.Config, key, name, tag); err != nil {
			return nil, err
		}
		c, err := train.FitSSL(r.Backend, p.Split.Dataset, examples, p.Rows, p.Split.NumClasses(), sc)
		if err != nil {
			return nil, err
		}
		res := &Classified{Examples: len(examples), Steps: c.Steps}
		if res.Accuracy, err = c.Accuracy(test.Dataset, sc.Progress); err != nil {
			return nil, err
		}
		res.Weights, err = c.Digest()
		return res, err
	})
	if err != nil {
		return nil, r.Errorf(tag, err)
	}
	return res, nil
}

// classifierRun sets what a classifier's training in the stage key takes from the run: its
// checkpoint folder name (Checkpoints), the pause, the steps per call, and its progress,
// labelled by tag.
func (r *Run) classifierRun(cc *train.Config, key, name, tag string) error {
	dir, err := r.Checkpoints(key, name)
	if err != nil {
		return err
	}
	cc.CheckpointDir, cc.Pause, cc.StepsPerCall = dir, r.TrainingPause(), r.StepsPerCall
	cc.Stage, cc.Progress = "classifier ("+tag+")", Tagged(r.Progress, tag)
	return nil
}

// fitClassifier trains a classifier on examples of ds with cc and measures it on test.
func fitClassifier(r *Run, ds *Split, examples []train.Example, test *Split, cc train.Config) (*Classified, error) {
	c, err := train.Fit(r.Backend, ds.Dataset, examples, ds.NumClasses(), cc)
	if err != nil {
		return nil, err
	}
	res := &Classified{Steps: c.Steps}
	if res.Accuracy, err = c.Accuracy(test.Dataset, cc.Progress); err != nil {
		return nil, err
	}
	if res.Weights, err = c.Digest(); err != nil {
		return nil, err
	}
	for _, e := range examples {
		if float64(e.Weight) >= cc.MinWeight {
			res.Examples++
		}
	}
	return res, nil
}

// rateMeter measures a training's steady step rate from its progress reports: from the first
// report after a step was done (compilation is over by then) to the last.
type rateMeter struct {
	stage  string
	t0, t1 time.Time
	s0, s1 int
}

// wrap returns a progress function that records the reports and passes them on to p.
func (m *rateMeter) wrap(p fit.Progress) fit.Progress {
	return func(stage string, done, total int) {
		if done > 0 && done < total && (m.stage == "" || m.stage == stage) {
			now := time.Now()
			if m.t0.IsZero() {
				m.stage, m.t0, m.s0 = stage, now, done
			}
			m.t1, m.s1 = now, done
		}
		if p != nil {
			p(stage, done, total)
		}
	}
}

// rate returns the steps per second measured, 0 if too few reports came.
func (m *rateMeter) rate() float64 {
	if dt := m.t1.Sub(m.t0).Seconds(); dt > 0 && m.s1 > m.s0 {
		return float64(m.s1-m.s0) / dt
	}
	return 0
}

// ClassifierSteps is the step count of a classifier: cc.Steps, or with a time budget
// (cc.Seconds) and a measured rate of images per second, the steps of cc.BatchSize images that
// fill three quarters of the budget if fewer (the rest is left for compilation, the batch-norm
// statistics and the evaluation).
func ClassifierSteps(cc train.Config, rate float64) int {
	if cc.Seconds <= 0 || rate <= 0 {
		return cc.Steps
	}
	fits := int(0.75 * cc.Seconds * rate / float64(cc.BatchSize))
	return max(1, min(cc.Steps, fits))
}

// copyCheckpoint copies the trained network that metric.Pretrain left in src (its final
// checkpoint, verified), with its InfoFile and origin, to dst, where metric.LoadPretrained
// reads it back.
func copyCheckpoint(src, dst string) error {
	m, err := checkpoint.CopyNewest(src, dst, metric.InfoFile)
	if err != nil {
		return fmt.Errorf("keeping the metric's checkpoint: %w", err)
	}
	if m.Phase != checkpoint.Final {
		return fmt.Errorf("keeping the metric's checkpoint: the newest in %s is of training (step %d), not the trained network", src, m.Step)
	}
	return nil
}

// readPretrainInfo reads the description of a metric that copyCheckpoint kept in dir.
func readPretrainInfo(dir string) (metric.PretrainInfo, error) {
	var info metric.PretrainInfo
	if err := artifact.ReadJSON(filepath.Join(dir, metric.InfoFile), &info); err != nil {
		return info, fmt.Errorf("the metric kept in the cache: %w", err)
	}
	return info, nil
}
