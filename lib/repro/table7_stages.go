package repro

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/fewshot"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/train"
)

// The stages of Table 7: the metrics, their embeddings of the data, and the cells.

// metric pretrains metric m on the labeled split of the training classes (one stage, keeping
// the network), then embeds every image of the test classes (a second stage).
func (r *table7Run) metric(m string) (*table7Metric, error) {
	pc := r.cfg.Metrics[m]
	pc.Progress, pc.CheckpointDir = nil, ""
	tag := fmt.Sprintf("%s metric (%s)", m, pc.Method)
	key, err := artifact.Key("table7-pretrain", pc, r.trainKey)
	if err != nil {
		return nil, err
	}
	subset := r.trainSplit.LabeledRows()
	info, dir, cached, err := stageJSONDir(r.store, key, "pretrained.json", &r.computed, func(dir string) (*Table7Pretrained, error) {
		start := time.Now()
		p, rate, err := pretrainKept(r.backend, r.store, key, dir, r.train, subset, pc, tagged(r.progress, tag))
		if err != nil {
			return nil, err
		}
		info := &Table7Pretrained{Metric: m, Method: pc.Method, Train: r.train.Name, Classes: r.train.NumClasses(), N: len(subset),
			Steps: p.Info.Steps, Epochs: float64(p.Info.Steps*pc.BatchSize) / float64(len(subset)), ImagesPerSecond: rate}
		info.Seconds = time.Since(start).Seconds()
		return info, nil
	})
	if err != nil {
		return nil, fmt.Errorf("table 7, %s: %w", tag, err)
	}
	res := &table7Metric{dir: dir, key: key, info: *info}
	if res.features, err = r.embed(res, tag); err != nil {
		return nil, err
	}
	res.info.Cached = cached && res.features.Cached
	return res, nil
}

// embed computes the features of every image of the test classes in metric m and fills in m's
// test fields.
func (r *table7Run) embed(m *table7Metric, tag string) (*FeaturesResult, error) {
	key, err := artifact.Key("table7-embed", m.key, r.testKey, fmt.Sprintf("knn=%d", r.cfg.KNN))
	if err != nil {
		return nil, err
	}
	var knn func(*metric.Pretrained, propagate.Matrix) (float64, error)
	if r.cfg.KNN > 0 {
		knn = func(_ *metric.Pretrained, x propagate.Matrix) (float64, error) { return r.knn(x) }
	}
	f, e, err := embedKept(r.backend, r.store, key, filepath.Join(m.dir, "metric"), r.test, nil, tagged(r.progress, tag+", test classes"), knn, &r.computed)
	if err != nil {
		return nil, fmt.Errorf("table 7, %s, embedding the test classes: %w", tag, err)
	}
	m.info.Test, m.info.TestN, m.info.D, m.info.KNNAccuracy, m.info.EmbedSeconds = r.test.Name, f.N, e.D, e.KNNAccuracy, f.Seconds
	return f, nil
}

// knn is the weighted kNN accuracy of the test classes' unlabeled split classified by their
// labeled split in the features x: how well the metric separates classes it never saw, given
// every label.
func (r *table7Run) knn(x propagate.Matrix) (float64, error) {
	lab, unl := r.split.LabeledRows(), r.split.Pool()
	sub := func(rows []int) propagate.Matrix {
		m := propagate.NewMatrix(len(rows), x.D)
		for i, row := range rows {
			copy(m.Row(i), x.Row(row))
		}
		return m
	}
	return propagate.KNNTestAccuracy(sub(lab), pick(r.test.Labels, lab), sub(unl), pick(r.test.Labels, unl),
		r.test.NumClasses(), min(r.cfg.KNN, len(lab)), qualityTemperature)
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
			net.Progress, net.CheckpointDir, net.Init, net.InitFrom = nil, "", nil, m.key
			key.Net, key.NetEpochs = &net, cfg.NetEpochs
		}
	}
	tag := fmt.Sprintf("%s, %d-shot", table7MethodName(method), shots)
	k, err := artifact.Key("table7-episodes", key, m.features.key, r.testKey)
	if err != nil {
		return nil, err
	}
	cell, cached, err := stageJSON(r.store, k, "cell.json", &r.computed, func(string) (*Table7Cell, error) {
		x := propagate.Matrix{N: m.features.N, D: m.features.D, Data: m.features.Features}
		progress := fewshot.Progress(tagged(r.progress, tag))
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
		return nil, fmt.Errorf("table 7, %s: %w", tag, err)
	}
	cell.Cached = cached
	return cell, nil
}

// finetuner returns the classifier training of ours: the head on the features, or the metric's
// network finetuned on the test classes' images (rows of the features are images of r.test).
func (r *table7Run) finetuner(m *table7Metric, tag string) (func(propagate.Matrix) fewshot.Finetuner, error) {
	cfg := r.cfg
	if cfg.Finetune == Table7Head {
		return func(xn propagate.Matrix) fewshot.Finetuner { return fewshot.HeadFinetuner(xn, cfg.Head) }, nil
	}
	p, err := metric.LoadPretrained(r.backend, filepath.Join(m.dir, "metric"))
	if err != nil {
		return nil, err
	}
	b, err := p.Backbone()
	if err != nil {
		return nil, err
	}
	cc := cfg.Net
	cc.Net, cc.Channels, cc.InitFrom, cc.CheckpointDir = p.Info.Net, p.Info.Channels, m.key, ""
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
		c.Progress = tagged(r.progress, tag)
		cl, err := train.Fit(r.backend, r.test, ex, len(ep.Classes), c)
		if err != nil {
			return nil, err
		}
		return cl.Predict(r.test, ep.Query, nil)
	}
	return func(propagate.Matrix) fewshot.Finetuner { return finetune }, nil
}
