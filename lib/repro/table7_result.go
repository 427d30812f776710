package repro

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/metric-transfer/mtlp/lib/fewshot"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/report"
	"gonum.org/v1/plot"
)

// Table7PaperRow is one row of the paper's Table 7 as printed.
type Table7PaperRow struct {
	// Method is the paper's name, with its reference number.
	Method string
	// Finetune and Unlabeled are the table's "Fintune" and "Unlabel data" columns.
	Finetune, Unlabeled bool
	// OneShot and FiveShot are the 5-way accuracies (%) and OneShotPM, FiveShotPM their ±
	// (95 % intervals over 300 episodes).
	OneShot, OneShotPM, FiveShot, FiveShotPM float64
	// Ours is the method of Table7Methods that reproduces the row, "" for prior work.
	Ours string
}

// Table7Paper holds THE PAPER'S numbers, not ours: Table 7 of Liu et al. (2019), 5-way
// few-shot accuracy (%) on mini-ImageNet with a Conv-4 network, in the paper's order (the
// unlabeled data is 60 % of every test class's images, all 20 test classes in every episode).
var Table7Paper = []Table7PaperRow{
	{Method: "NN baseline [37]", OneShot: 41.1, OneShotPM: 0.7, FiveShot: 51.0, FiveShotPM: 0.7},
	{Method: "MAML [8]", Finetune: true, OneShot: 48.7, OneShotPM: 0.7, FiveShot: 63.2, FiveShotPM: 0.9},
	{Method: "Meta-SGD [23]", OneShot: 50.5, OneShotPM: 1.9, FiveShot: 64.0, FiveShotPM: 0.9},
	{Method: "Matching net [37]", Finetune: true, OneShot: 46.6, OneShotPM: 0.8, FiveShot: 60.0, FiveShotPM: 0.7},
	{Method: "Prototypical [35]", OneShot: 49.4, OneShotPM: 0.8, FiveShot: 68.2, FiveShotPM: 0.7},
	{Method: "SNCA [40]", OneShot: 50.3, OneShotPM: 0.7, FiveShot: 64.1, FiveShotPM: 0.8, Ours: Table7SNCA},
	{Method: "Soft k-means [30]", Finetune: true, Unlabeled: true, OneShot: 50.4, OneShotPM: 0.3, FiveShot: 64.4, FiveShotPM: 0.2},
	{Method: "Our supervised", Finetune: true, Unlabeled: true, OneShot: 56.1, OneShotPM: 0.6, FiveShot: 70.7, FiveShotPM: 0.5, Ours: Table7OursSupervised},
	{Method: "Our unsupervised", Finetune: true, Unlabeled: true, OneShot: 50.8, OneShotPM: 0.6, FiveShot: 66.0, FiveShotPM: 0.5, Ours: Table7OursUnsupervised},
}

// Table7PaperAccuracy returns the paper's accuracy (%) and its ± for one of Table7Methods at
// 1 or 5 shots, and false where the paper has none.
func Table7PaperAccuracy(method string, shots int) (mean, pm float64, ok bool) {
	i := slices.IndexFunc(Table7Paper, func(r Table7PaperRow) bool { return r.Ours == method && method != "" })
	if i < 0 {
		return 0, 0, false
	}
	return table7PaperValue(Table7Paper[i], shots)
}

// table7PaperValue is a row's number at 1 or 5 shots.
func table7PaperValue(r Table7PaperRow, shots int) (mean, pm float64, ok bool) {
	switch shots {
	case 1:
		return r.OneShot, r.OneShotPM, true
	case 5:
		return r.FiveShot, r.FiveShotPM, true
	}
	return 0, 0, false
}

// table7MethodName is how Table 7 names one of our methods.
func table7MethodName(m string) string {
	for _, r := range Table7Paper {
		if r.Ours == m && m != "" {
			return r.Method
		}
	}
	return m
}

// Table7Pretrained is one metric of Table 7: its pretraining on the labeled split of the
// training classes (Timed) and its embedding of the test classes.
type Table7Pretrained struct {
	pipeline.Trained
	// Metric is Table7Supervised or Table7Unsupervised; Method the pretraining that ran.
	Metric string `json:"metric"`
	Method string `json:"method"`
	// Train names the training classes' images and Classes their number (Trained.N: the
	// labeled images the metric trained on).
	Train   string `json:"train"`
	Classes int    `json:"classes"`
	// Test names the test classes' images, TestN their number and D the features' width.
	Test  string `json:"test"`
	TestN int    `json:"test_n"`
	D     int    `json:"d"`
	// KNNAccuracy is the weighted kNN accuracy on the test classes' unlabeled split with their
	// whole labeled split as references (Table7Config.KNN): how well the metric separates
	// classes it never saw, given many labels.
	KNNAccuracy  float64 `json:"knn_accuracy"`
	EmbedSeconds float64 `json:"embed_seconds"`
}

// Table7Cell is one cell of Table 7: a method at a number of shots, its accuracy per episode
// and their mean ± 95 % interval (fractions, not %), and for ours the pseudo labels' accuracy.
type Table7Cell struct {
	Method string `json:"method"`
	Shots  int    `json:"shots"`
	fewshot.Result
	Cached bool `json:"cached"`
}

// SetCached and StageSeconds make a cell a pipeline.Timing: its fewshot.Result keeps its seconds.
func (c *Table7Cell) SetCached(v bool) { c.Cached = v }

// StageSeconds is the cell's compute time (see SetCached).
func (c *Table7Cell) StageSeconds() float64 { return c.Seconds }

var _ pipeline.Timing = (*Table7Cell)(nil)

// Table7Result is Table 7 as this run computed it.
type Table7Result struct {
	pipeline.RunInfo
	Config     Table7Config       `json:"config"`
	Pretrained []Table7Pretrained `json:"pretrained"`
	Cells      []Table7Cell       `json:"cells"`
}

// Cell returns the cell of a method and a number of shots, or nil.
func (r *Table7Result) Cell(method string, shots int) *Table7Cell {
	for i, c := range r.Cells {
		if c.Method == method && c.Shots == shots {
			return &r.Cells[i]
		}
	}
	return nil
}

// percent formats a mean and its ± (fractions) as "56.1 ± 0.6" (%).
func percent(mean, pm float64) string { return fmt.Sprintf("%.1f ± %.1f", 100*mean, 100*pm) }

// BesidePaper returns every row of the paper's Table 7 with ours beside the rows we compute:
// for each number of shots the paper's accuracy and ours (mean ± 95 % interval, %), then the
// gain of each of ours over the SNCA baseline, the paper's and ours (the comparison that
// carries over to the stand-in data), the pseudo labels' accuracy on the episode's classes
// and the seconds of our cells.
func (r *Table7Result) BesidePaper() (header []string, rows [][]string) {
	shots := r.Config.Shots
	header = []string{"method", "finetune", "unlabeled data"}
	for _, k := range shots {
		header = append(header, fmt.Sprintf("paper %d-shot %% †", k), fmt.Sprintf("ours %d-shot %%", k))
	}
	for _, k := range shots {
		header = append(header, fmt.Sprintf("− SNCA %d-shot, paper † / ours (points)", k))
	}
	header = append(header, "pseudo-label accuracy % ("+shotList(shots)+")", "seconds")
	yes := map[bool]string{true: "yes", false: "no"}
	for _, p := range Table7Paper {
		row := []string{p.Method, yes[p.Finetune], yes[p.Unlabeled]}
		for _, k := range shots {
			paper, ours := "—", "—"
			if v, pm, ok := table7PaperValue(p, k); ok {
				paper = fmt.Sprintf("%.1f ± %.1f", v, pm)
			}
			if c := r.Cell(p.Ours, k); p.Ours != "" && c != nil {
				ours = percent(c.Mean, c.HalfWidth)
			}
			row = append(row, paper, ours)
		}
		var pseudo []string
		seconds := 0.0
		computed := false
		for _, k := range shots {
			gain := "—"
			c := r.Cell(p.Ours, k)
			if p.Ours != "" && p.Ours != Table7SNCA {
				paperGain, oursGain := "—", "—"
				if v, _, ok := Table7PaperAccuracy(p.Ours, k); ok {
					base, _, _ := Table7PaperAccuracy(Table7SNCA, k)
					paperGain = fmt.Sprintf("%+.1f", v-base)
				}
				if base := r.Cell(Table7SNCA, k); c != nil && base != nil {
					oursGain = fmt.Sprintf("%+.1f", 100*(c.Mean-base.Mean))
				}
				gain = paperGain + " / " + oursGain
			}
			row = append(row, gain)
			if c != nil && p.Ours != "" {
				computed = true
				seconds += c.Seconds
				if p.Ours != Table7SNCA {
					pseudo = append(pseudo, fmt.Sprintf("%.1f", 100*c.PseudoAccuracy))
				}
			}
		}
		sec := "—"
		if computed {
			sec = fmt.Sprintf("%.1f", seconds)
		}
		pseudoText := "—"
		if len(pseudo) > 0 {
			pseudoText = strings.Join(pseudo, " / ")
		}
		rows = append(rows, append(row, pseudoText, sec))
	}
	return header, rows
}

// shotList is "1 / 5" for shots 1 and 5.
func shotList(shots []int) string {
	s := make([]string, len(shots))
	for i, k := range shots {
		s[i] = fmt.Sprintf("%d-shot", k)
	}
	return strings.Join(s, " / ")
}

// Note is the table's footnote: the data (and the stand-in), the metrics as trained and how
// well each separates the test classes, the episodes, the finetuning, the paper's setting and
// the provenance.
func (r *Table7Result) Note() string {
	c := r.Config
	var metrics []string
	for _, p := range r.Pretrained {
		pc := c.Metrics[p.Metric]
		m := fmt.Sprintf("%s (%s) on %d labeled images of %d training classes: %s with %d channels, %d steps of %d (%.1f epochs%s)",
			p.Metric, p.Method, p.N, p.Classes, pc.Net, pc.Channels, p.Steps, pc.BatchSize, p.Epochs, rateOf(p.ImagesPerSecond))
		if c.KNN > 0 {
			m += fmt.Sprintf("; %d-NN accuracy %.1f %% on the test classes' unlabeled split", c.KNN, 100*p.KNNAccuracy)
		}
		metrics = append(metrics, m)
	}
	data := fmt.Sprintf("%s, %d training classes and %d test classes", c.Dataset, len(c.TrainClasses), len(c.TestClasses))
	if c.Dataset == "cifar10" {
		data = fmt.Sprintf("Stand-in: CIFAR-10 (JPEG copy) for the paper's mini-ImageNet (not available here): training classes %s, test classes %s, 32 × 32",
			strings.Join(c.TrainClasses, ", "), strings.Join(c.TestClasses, ", "))
	} else if c.ImageSize > 0 {
		data += fmt.Sprintf(", %d × %d", c.ImageSize, c.ImageSize)
	}
	per := "all images"
	if c.TestPerClass > 0 {
		per = fmt.Sprintf("%d images", c.TestPerClass)
	}
	distractors := ""
	if n := len(c.TestClasses); n > 0 && n <= c.Ways {
		distractors = fmt.Sprintf(" With %d test classes every %d-way episode uses them all, so the pool has no distractor classes (the paper: 5 of 20 test classes per episode, 15 distractors).", n, c.Ways)
	}
	finetune := fmt.Sprintf("a linear softmax head on the frozen features (%d epochs, step %g ÷ %g after %d, batch %d, momentum %g; the paper finetunes the whole Conv-4)",
		c.Head.Epochs, c.Head.LearningRate, c.Head.Decay, c.Head.DecayEpoch, c.Head.BatchSize, c.Head.Momentum)
	if c.Finetune == Table7Net {
		finetune = fmt.Sprintf("the whole network from the metric's, %d epochs of batch %d, %s from %g with cosine decay (the paper: SGD 0.01 ÷ 5 after 20 of 30 epochs)",
			c.NetEpochs, c.Net.BatchSize, optimizerName(c.Net.Optimizer), c.Net.LearningRate)
	}
	return fmt.Sprintf("%s; %s per test class, %.0f %% labeled, the rest the unlabeled pool of every episode.%s Metrics: %s. "+
		"%d-way episodes with %d queries per class, %d per column (mean ± 1.96·σ/√episodes); SNCA: weighted vote exp(cos/%g) among the support; "+
		"ours: spectral propagation (η = %d) over pool + support with the %d episode classes as labels, α < %g dropped, then %s; seed %d. "+
		"† the paper's Table 7: mini-ImageNet, Conv-4 with 64 channels, 300 episodes; the comparison that carries over is the gain over SNCA. %s",
		data, per, 100*c.LabeledFraction, distractors, strings.Join(metrics, "; "), c.Ways, c.Queries, c.Episodes, c.NNTemperature,
		c.Spectral.Eta, c.Ways, c.MinWeight, finetune, c.Seed, r.Provenance)
}

// Figure draws each computed method's accuracy as a bar with its 95 % interval, grouped by the
// number of shots, beside the paper's (a lighter bar of the same colour), and chance (1/N) as
// a dashed line.
func (r *Table7Result) Figure() (*plot.Plot, error) {
	groups := make([]string, len(r.Config.Shots))
	for g, k := range r.Config.Shots {
		groups[g] = fmt.Sprintf("%d-shot", k)
	}
	var series []report.BarSeries
	for _, m := range r.Config.Methods {
		if !slices.Contains(Table7Methods, m) {
			continue
		}
		ours := report.BarSeries{Name: table7MethodName(m) + ", ours"}
		paper := report.BarSeries{Name: table7MethodName(m) + ", paper", Light: true}
		for _, k := range r.Config.Shots {
			mean, pm := math.NaN(), 0.0
			if c := r.Cell(m, k); c != nil {
				mean, pm = 100*c.Mean, 100*c.HalfWidth
			}
			ours.Values, ours.Errors = append(ours.Values, mean), append(ours.Errors, pm)
			mean, pm, ok := Table7PaperAccuracy(m, k)
			if !ok {
				mean = math.NaN()
			}
			paper.Values, paper.Errors = append(paper.Values, mean), append(paper.Errors, pm)
		}
		series = append(series, ours, paper)
	}
	var levels []report.Level
	if r.Config.Ways > 0 {
		levels = append(levels, report.Level{Name: fmt.Sprintf("chance (1/%d)", r.Config.Ways), Y: 100 / float64(r.Config.Ways)})
	}
	title := fmt.Sprintf("Table 7 (scale %s): ours on %s, paper on mini-ImageNet", r.Config.Scale, r.Config.Dataset)
	p, err := report.BarsWithErrors(title, "5-way accuracy (%)", groups, series, levels...)
	if err != nil {
		return nil, fmt.Errorf("table 7 figure: %w", err)
	}
	return p, nil
}

// Publish writes the result and its figure (see Result).
func (r *Table7Result) Publish(dir, suffix string) (string, error) {
	return pipeline.Publish(dir, "table7-"+r.Config.Scale+suffix, r, pipeline.Plots{"": r.Figure})
}
