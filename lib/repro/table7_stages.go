package repro

import (
	"fmt"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/fewshot"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// The stages of Table 7: the metrics, their embeddings of the data, and the cells.

// table7KNNTemperature is the temperature of the metrics' kNN check (Table7Config.KNN), Wu et
// al.'s τ = 0.07.
const table7KNNTemperature = 0.07

// metric pretrains metric m on the labeled split of the training classes, then embeds every
// image of the test classes with it.
func (r *table7Run) metric(m string) (*table7Metric, error) {
	pc := r.cfg.Metrics[m]
	tag := fmt.Sprintf("%s metric (%s)", m, pc.Method)
	net, err := r.Pretrain(r.train, r.trainSplit.LabeledRows(), "labeled", pc, tag)
	if err != nil {
		return nil, err
	}
	f, err := r.Embed(net, r.test, nil, "", tag+", test classes")
	if err != nil {
		return nil, err
	}
	res := &table7Metric{net: net, features: f, Info: Table7Pretrained{Trained: net.Trained, Metric: m, Method: pc.Method,
		Train: r.train.Name, Classes: r.train.NumClasses(), Test: r.test.Name, TestN: f.N, D: f.D, EmbedSeconds: f.Seconds}}
	res.Info.Cached = net.Cached && f.Cached
	if r.cfg.KNN > 0 {
		// The test classes' unlabeled split classified by their labeled split: how well the
		// metric separates classes it never saw, given every label.
		lab, unl := r.split.LabeledRows(), r.split.Pool()
		x, err := f.Matrix().Rows(lab)
		if err != nil {
			return nil, err
		}
		y, err := f.Matrix().Rows(unl)
		if err != nil {
			return nil, err
		}
		if res.Info.KNNAccuracy, err = r.KNN(x, pipeline.Pick(r.test.Labels, lab), y, pipeline.Pick(r.test.Labels, unl), r.test.NumClasses(),
			r.cfg.KNN, table7KNNTemperature, f.Key, r.test.Key); err != nil {
			return nil, r.Errorf(tag, err)
		}
	}
	return res, nil
}

// table7Cell is what keys a cell's stage: the episodes and the method's own settings.
type table7Cell struct {
	Method        string
	Episodes      fewshot.EpisodeConfig
	NNTemperature float64           `json:",omitempty"`
	Spectral      *propagate.Config `json:",omitempty"`
	MinWeight     float64           `json:",omitempty"`
	Finetune      string            `json:",omitempty"`
	Head          *fewshot.HeadConfig
	Net           *train.Config
	NetEpochs     int `json:",omitempty"`
}

// cell evaluates a method over the episodes of a column in metric m.
func (r *table7Run) cell(method string, shots int, m *table7Metric) (*Table7Cell, error) {
	cfg := r.cfg
	key := table7Cell{Method: method, Episodes: r.episodes(shots)}
	if method == Table7SNCA {
		key.NNTemperature = cfg.NNTemperature
	} else {
		key.Spectral, key.MinWeight, key.Finetune = &cfg.Spectral, cfg.MinWeight, cfg.Finetune
		if cfg.Finetune == Table7Head {
			key.Head = &cfg.Head
		} else {
			net := cfg.Net
			net.Progress, net.CheckpointDir, net.Init, net.InitFrom = nil, "", nil, m.net.Key
			key.Net, key.NetEpochs = &net, cfg.NetEpochs
		}
	}
	tag := fmt.Sprintf("%s, %d-shot", table7MethodName(method), shots)
	k, err := artifact.Key("episodes", key, m.features.Key, r.test.Key)
	if err != nil {
		return nil, err
	}
	cell, _, err := pipeline.Stage(r.Run, k, "cell.json", func(string) (*Table7Cell, error) {
		x := propagate.Matrix{N: m.features.N, D: m.features.D, Data: m.features.Features}
		progress := fewshot.Progress(pipeline.Tagged(r.Progress, tag))
		var res *fewshot.Result
		var err error
		if method == Table7SNCA {
			res, err = fewshot.EvaluateNN(x, r.split, key.Episodes, cfg.NNTemperature, progress)
		} else {
			var finetuner func(propagate.Matrix) fewshot.Finetuner
			if finetuner, err = r.finetuner(m, tag); err != nil {
				return nil, err
			}
			res, err = fewshot.EvaluatePropagation(x, r.split, key.Episodes, cfg.Spectral, cfg.MinWeight, finetuner, progress)
		}
		if err != nil {
			return nil, err
		}
		return &Table7Cell{Method: method, Shots: shots, Result: *res}, nil
	})
	if err != nil {
		return nil, r.Errorf(tag, err)
	}
	return cell, nil
}

// finetuner returns the classifier training of ours: the head on the features, or the metric's
// network finetuned on the test classes' images (rows of the features are images of r.test).
func (r *table7Run) finetuner(m *table7Metric, tag string) (func(propagate.Matrix) fewshot.Finetuner, error) {
	cfg := r.cfg
	if cfg.Finetune == Table7Head {
		return func(xn propagate.Matrix) fewshot.Finetuner { return fewshot.HeadFinetuner(xn, cfg.Head) }, nil
	}
	p, err := metric.LoadPretrained(r.Backend, m.net.Dir)
	if err != nil {
		return nil, err
	}
	b, err := p.Backbone()
	if err != nil {
		return nil, err
	}
	cc := cfg.Net
	cc.Net, cc.Channels, cc.InitFrom, cc.CheckpointDir = p.Info.Net, p.Info.Channels, m.net.Key, ""
	cc.Init = &train.Init{Net: p.Info.Net, Backbone: b}
	finetune := func(ep *fewshot.Episode, examples []fewshot.Example) ([]int32, error) {
		ex := make([]train.Example, len(examples))
		for i, e := range examples {
			ex[i] = train.Example{Index: e.Row, Label: e.Label, Weight: e.Weight}
		}
		c := cc
		c.Steps = cfg.NetEpochs * ((len(ex) + c.BatchSize - 1) / c.BatchSize)
		c.BatchSize = min(c.BatchSize, len(ex))
		c.Stage = fmt.Sprintf("episode %d network", ep.Index)
		c.Progress = pipeline.Tagged(r.Progress, tag)
		cl, err := train.Fit(r.Backend, r.test.Dataset, ex, len(ep.Classes), c)
		if err != nil {
			return nil, err
		}
		return cl.Predict(r.test.Dataset, ep.Query, nil)
	}
	return func(propagate.Matrix) fewshot.Finetuner { return finetune }, nil
}
