package repro

import (
	"cmp"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"slices"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/report"
	"github.com/metric-transfer/mtlp/lib/similarity"
)

// Figure 5 of the paper shows, for one-shot observations (one labelled image per class), the
// top-ranked retrievals from the unlabeled set, on mini-ImageNet's few-shot split: they belong
// to the labelled image's class and are diverse (§4.3). Here, on Table 1's CIFAR-10 pool (the
// stand-in, as for Figures 2 and 3), each class's labelled image is followed by its top k
// unlabeled images under two rankings: the metric's raw cosine similarity to that image, and
// the spectral propagation's logit of that class (Eq. 6 with every class's single label). Each
// ranking's precision@k says how many retrievals are of the right class, and the mean cosine
// similarity between the retrievals says how diverse they are.

// Figure5Config selects the metric, the one-shot draw and the number of retrievals; the
// features and the spectral settings are Table 1's.
type Figure5Config struct {
	Table1 Table1Config
	// Metric is the pretraining whose features rank the pool [instance, the paper's
	// unsupervised metric]; bootstrapping is refused, as it trains on Table 1's labels.
	Metric string
	// K is the number of retrievals shown and scored per class [8].
	K int
	// Seed draws the one labelled image per class from the pool (data.SampleLabeled).
	Seed int64
	// Zoom is the integer upscaling of the images in the figure [3]: 32×32 becomes 96×96.
	Zoom int
}

// Figure5ConfigFor returns Figure 5's settings at a scale: Table 1's pool, metric and spectral
// settings, instance discrimination, 8 retrievals per class, images at 3×.
func Figure5ConfigFor(scale string) (Figure5Config, error) {
	t, err := Table1ConfigFor(scale)
	return Figure5Config{Table1: t, Metric: metric.MethodInstance, K: 8, Zoom: 3}, err
}

// Figure5Ranking is one class's top k unlabeled pool rows under one ranking, best first.
type Figure5Ranking struct {
	// Rows are pool rows, Images their indices in the training split, Classes their true
	// classes and Scores what they were ranked by.
	Rows    []int     `json:"rows"`
	Images  []int     `json:"images"`
	Classes []int32   `json:"classes"`
	Scores  []float64 `json:"scores"`
	// Precision is the fraction of Rows whose class is the query's (precision@k).
	Precision float64 `json:"precision"`
	// PairCosine is the mean cosine similarity between the retrievals, in the metric: the lower,
	// the more diverse they are.
	PairCosine float64 `json:"pair_cosine"`
}

// Figure5Row is one class: its labelled image and both rankings of the unlabeled pool.
type Figure5Row struct {
	Class int32  `json:"class"`
	Name  string `json:"name"`
	// Query is the labelled pool row, QueryImage its index in the training split.
	Query      int `json:"query"`
	QueryImage int `json:"query_image"`
	// Cosine ranks by the raw cosine similarity to Query, Spectral by the class's propagated
	// logit (Eq. 6).
	Cosine   Figure5Ranking `json:"cosine"`
	Spectral Figure5Ranking `json:"spectral"`
}

// Figure5Result is Figure 5 as this run computed it.
type Figure5Result struct {
	pipeline.RunInfo
	Config Figure5Config `json:"config"`
	Rows   []Figure5Row  `json:"rows"`
	// Cosine and Spectral are the precision@k over all classes; CosinePairs and SpectralPairs
	// the mean pair cosine over all classes.
	Cosine        float64 `json:"cosine_precision"`
	Spectral      float64 `json:"spectral_precision"`
	CosinePairs   float64 `json:"cosine_pair_cosine"`
	SpectralPairs float64 `json:"spectral_pair_cosine"`
	// Features and Propagation time the two stages; Components is the number of connected
	// components of the spectral kNN graph, Eta the eigenpairs it used.
	Features    pipeline.Timed `json:"features"`
	Propagation pipeline.Timed `json:"propagation"`
	Components  int            `json:"components"`
	Eta         int            `json:"eta"`
	Pool        int            `json:"pool"`
	// thumbs are the images of every row shown, by pool row.
	thumbs map[int]image.Image
}

// figure5Propagation is what the cached spectral stage stores besides its logits.
type figure5Propagation struct {
	pipeline.Timed
	Components int `json:"components"`
	Eta        int `json:"eta"`
}

// RunFigure5 reads (or computes) the metric's pool features through Table 1's cached stage,
// draws one labelled pool image per class with cfg.Seed, propagates those labels over the pool
// with Table 1's spectral settings (propagate.Run, a cached stage), and ranks the unlabeled
// pool rows, the labelled ones excluded, for each class by cosine similarity to its labelled
// image and by its spectral logit. progress, which may be nil, receives every stage's progress.
func RunFigure5(env pipeline.Env, cfg Figure5Config) (*Figure5Result, error) {
	if cfg.Metric == metric.MethodBootstrap || !slices.Contains(Table1Metrics, cfg.Metric) {
		return nil, fmt.Errorf("figure 5: metric %q; want %q or %q (bootstrapping trains on Table 1's label sets, not the one-shot labels)",
			cfg.Metric, metric.MethodInstance, metric.MethodColor)
	}
	if cfg.K < 1 {
		return nil, fmt.Errorf("figure 5: K = %d retrievals per class; want at least 1 (the paper's figure shows 8)", cfg.K)
	}
	if cfg.Zoom < 0 {
		return nil, fmt.Errorf("figure 5: Zoom = %d; want a positive integer (0 means 3)", cfg.Zoom)
	}
	r, err := openTable1(env, "figure 5", cfg.Table1)
	if err != nil {
		return nil, err
	}
	numClasses := r.pool.Split.Dataset.NumClasses()
	labelled, err := data.SampleLabeled(r.pool.Truth, numClasses, numClasses, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("figure 5: one label per class from a pool of %d: %w", len(r.pool.Rows), err)
	}
	if unlabelled := len(r.pool.Rows) - len(labelled); cfg.K > unlabelled {
		return nil, fmt.Errorf("figure 5: K = %d retrievals per class but the pool has %d unlabeled images; lower K or grow Table1.Pool", cfg.K, unlabelled)
	}
	f, err := r.features(cfg.Metric, 0)
	if err != nil {
		return nil, err
	}
	x := propagate.Matrix{N: f.N, D: f.D, Data: f.Features}
	logits, prop, err := r.figure5Propagate(f, labelled)
	if err != nil {
		return nil, err
	}
	res := &Figure5Result{Config: cfg, Features: f.Timed, Propagation: prop.Timed, Components: prop.Components,
		Eta: prop.Eta, Pool: f.N, thumbs: map[int]image.Image{}}
	norms, err := similarity.RowNorms(x)
	if err != nil {
		return nil, fmt.Errorf("figure 5, %s features: %w", cfg.Metric, err)
	}
	cosine := func(a, b int) float64 { return similarity.Dot(x.Row(a), x.Row(b)) / (norms[a] * norms[b]) }
	exclude := map[int]bool{}
	for _, i := range labelled {
		exclude[i] = true
	}
	byClass := slices.Clone(labelled)
	slices.SortFunc(byClass, func(a, b int) int { return cmp.Compare(r.pool.Truth[a], r.pool.Truth[b]) })
	var right, pairs [2]float64
	for _, q := range byClass {
		c := r.pool.Truth[q]
		row := Figure5Row{Class: c, Name: figure5ClassName(r.pool.Split.Dataset, c), Query: q, QueryImage: r.pool.Rows[q]}
		cos := make([]float64, f.N)
		for i := range cos {
			cos[i] = cosine(q, i)
		}
		spec := make([]float64, f.N)
		for i := range spec {
			spec[i] = float64(logits.Row(i)[c])
		}
		row.Cosine = r.figure5Rank(cos, exclude, c, cfg.K, cosine)
		row.Spectral = r.figure5Rank(spec, exclude, c, cfg.K, cosine)
		right[0], pairs[0] = right[0]+row.Cosine.Precision, pairs[0]+row.Cosine.PairCosine
		right[1], pairs[1] = right[1]+row.Spectral.Precision, pairs[1]+row.Spectral.PairCosine
		res.Rows = append(res.Rows, row)
	}
	n := float64(len(res.Rows))
	res.Cosine, res.Spectral = right[0]/n, right[1]/n
	res.CosinePairs, res.SpectralPairs = pairs[0]/n, pairs[1]/n
	for _, row := range res.Rows {
		for _, i := range slices.Concat([]int{row.Query}, row.Cosine.Rows, row.Spectral.Rows) {
			if res.thumbs[i], err = report.PixelImage(r.pool.Split.Dataset.Image(r.pool.Rows[i]), r.pool.Split.Dataset.H, r.pool.Split.Dataset.W, r.pool.Split.Dataset.C); err != nil {
				return nil, fmt.Errorf("figure 5, image %d of %s: %w", r.pool.Rows[i], r.pool.Split.Dataset.Name, err)
			}
		}
	}
	res.RunInfo = r.Info()
	return res, nil
}

// figure5Rank returns the k rows outside exclude with the highest scores (ties by row), and
// their precision for class c and mean pair cosine.
func (r *table1Run) figure5Rank(scores []float64, exclude map[int]bool, c int32, k int, cosine func(a, b int) float64) Figure5Ranking {
	rows := make([]int, 0, len(scores))
	for i := range scores {
		if !exclude[i] {
			rows = append(rows, i)
		}
	}
	slices.SortStableFunc(rows, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	rows = rows[:k]
	out := Figure5Ranking{Rows: rows, Images: pipeline.Pick(r.pool.Rows, rows), Classes: pipeline.Pick(r.pool.Truth, rows), Scores: pipeline.Pick(scores, rows)}
	for _, y := range out.Classes {
		if y == c {
			out.Precision++
		}
	}
	out.Precision /= float64(k)
	if k > 1 {
		var sum float64
		for a := range rows {
			for b := a + 1; b < len(rows); b++ {
				sum += cosine(rows[a], rows[b])
			}
		}
		out.PairCosine = sum / float64(k*(k-1)/2)
	}
	return out
}

// figure5Propagate spreads the one-shot labels over the pool by the spectral method with Table
// 1's settings and returns the N×C logits (a cached stage).
func (r *table1Run) figure5Propagate(f *pipeline.FeaturesResult, labelled []int) (propagate.Matrix, *figure5Propagation, error) {
	pcfg := r.cfg.Spectral
	pcfg.Method = propagate.Spectral
	key, err := artifact.Key("figure5-propagate", pcfg, f.Key, r.pool.Key, fmt.Sprintf("labelled=%v", labelled))
	if err != nil {
		return propagate.Matrix{}, nil, err
	}
	numClasses := r.pool.Split.NumClasses()
	meta, dir, err := pipeline.Stage(r.Run, key, "propagation.json", func(dir string) (*figure5Propagation, error) {
		p, err := propagate.Run(f.Matrix(), labelled, pipeline.Pick(r.pool.Truth, labelled), numClasses, pcfg, pipeline.Tagged(r.Progress, "figure 5, one-shot spectral"))
		if err != nil {
			return nil, err
		}
		meta := &figure5Propagation{Components: p.Components, Eta: len(p.Eigenvalues)}
		return meta, artifact.WriteFloat32s(filepath.Join(dir, "logits.bin"), p.Logits.Data, p.Logits.N, p.Logits.D)
	})
	if err != nil {
		return propagate.Matrix{}, nil, fmt.Errorf("figure 5, one-shot spectral propagation in the %s metric: %w", f.Key, err)
	}
	logits, n, c, err := artifact.ReadFloat32s(filepath.Join(dir, "logits.bin"))
	if err != nil {
		return propagate.Matrix{}, nil, err
	}
	if n != f.N || c != numClasses {
		return propagate.Matrix{}, nil, fmt.Errorf("figure 5: cached stage %s has %d×%d logits for %d rows and %d classes; delete it to recompute", dir, n, c, f.N, numClasses)
	}
	return propagate.Matrix{N: n, D: c, Data: logits}, meta, nil
}

// figure5ClassName is class c's name, or its number where the dataset has none.
func figure5ClassName(d *data.Dataset, c int32) string {
	if int(c) < len(d.Classes) && d.Classes[c] != "" {
		return d.Classes[c]
	}
	return fmt.Sprintf("class %d", c)
}

// Figure renders one PNG: a row per class, captioned with its name, holding the labelled image
// (blue frame), its top k by raw cosine, an empty cell, and its top k by spectral logit; each
// retrieval framed green when of the labelled image's class and red otherwise.
func (r *Figure5Result) Figure() ([]byte, error) {
	if len(r.Rows) == 0 {
		return nil, fmt.Errorf("figure 5: the result has no rows; make it with RunFigure5")
	}
	if r.thumbs == nil {
		return nil, fmt.Errorf("figure 5: the result has no images; make it with RunFigure5 (a result read from JSON has none)")
	}
	rows := make([]report.Retrieval, len(r.Rows))
	for i, row := range r.Rows {
		rows[i] = report.Retrieval{Caption: row.Name, Query: r.thumbs[row.Query]}
		for _, rk := range []Figure5Ranking{row.Cosine, row.Spectral} {
			retrieved := make([]report.Retrieved, len(rk.Rows))
			for t, j := range rk.Rows {
				retrieved[t] = report.Retrieved{Image: r.thumbs[j], Right: rk.Classes[t] == row.Class}
			}
			rows[i].Rankings = append(rows[i].Rankings, retrieved)
		}
	}
	k := r.Config.K
	g, err := report.RetrievalGrid([]string{"1-shot", fmt.Sprintf("raw cosine: top %d, %.0f%% right", k, 100*r.Cosine),
		fmt.Sprintf("spectral logit (Eq. 6): top %d, %.0f%% right", k, 100*r.Spectral)}, rows)
	if err != nil {
		return nil, fmt.Errorf("figure 5: %w", err)
	}
	g.Zoom = r.Config.Zoom
	png, err := g.PNG()
	if err != nil {
		return nil, fmt.Errorf("figure 5: %w", err)
	}
	return png, nil
}

// Table returns precision@k of both rankings per class and over all classes, and the mean
// pair cosine of the retrievals (lower: more diverse).
func (r *Figure5Result) Table() (header []string, rows [][]string) {
	k := r.Config.K
	header = []string{"class", fmt.Sprintf("raw cosine P@%d", k), fmt.Sprintf("spectral P@%d", k),
		"raw cosine: mean pair cosine", "spectral: mean pair cosine"}
	for _, row := range r.Rows {
		rows = append(rows, []string{row.Name, figure5Percent(row.Cosine.Precision), figure5Percent(row.Spectral.Precision),
			fmt.Sprintf("%.3f", row.Cosine.PairCosine), fmt.Sprintf("%.3f", row.Spectral.PairCosine)})
	}
	rows = append(rows, []string{"all classes", figure5Percent(r.Cosine), figure5Percent(r.Spectral),
		fmt.Sprintf("%.3f", r.CosinePairs), fmt.Sprintf("%.3f", r.SpectralPairs)})
	return header, rows
}

// figure5Percent formats a fraction as a percentage.
func figure5Percent(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) }

// Note says what the numbers are: the stand-in, the pool, the stages and the provenance.
func (r *Figure5Result) Note() string {
	return fmt.Sprintf("Stand-in: CIFAR-10 JPEG copy (the paper: mini-ImageNet's few-shot split). One labelled image per class (seed %d) from a pool of %d; %s features (%s); spectral propagation with η = %d on a graph of %d component(s) (%s). %s",
		r.Config.Seed, r.Pool, Table1MetricName(r.Config.Metric), figure5Stage(r.Features), r.Eta, r.Components, figure5Stage(r.Propagation), r.Provenance)
}

// figure5Stage says whether a stage was read from the cache or computed, and in how long.
func figure5Stage(t pipeline.Timed) string {
	if t.Cached {
		return fmt.Sprintf("cached, computed in %.0f s", t.Seconds)
	}
	return fmt.Sprintf("computed in %.0f s", t.Seconds)
}

// Findings says which ranking retrieves more images of the right class and which retrieves
// more diverse ones, from the numbers.
func (r *Figure5Result) Findings() string {
	k := r.Config.K
	s := fmt.Sprintf("Over %d classes, %.1f %% of the top %d raw-cosine retrievals are of the labelled image's class, against %.1f %% of the top %d by spectral logit. ",
		len(r.Rows), 100*r.Cosine, k, 100*r.Spectral, k)
	switch d := r.Spectral - r.Cosine; {
	case math.Abs(d) < 1e-12:
		s += "The two rankings are equally precise here. "
	case d > 0:
		s += fmt.Sprintf("The spectral ranking, the paper's propagation, is the more precise, by %.1f points. ", 100*d)
	default:
		s += fmt.Sprintf("The raw cosine ranking is the more precise, by %.1f points: here propagation does not improve on the labelled image's nearest neighbours. ", -100*d)
	}
	switch {
	case r.SpectralPairs < r.CosinePairs:
		s += fmt.Sprintf("The spectral retrievals are the more diverse, as the paper says of its Figure 5: their mean pair cosine is %.3f, against %.3f.", r.SpectralPairs, r.CosinePairs)
	case r.SpectralPairs > r.CosinePairs:
		s += fmt.Sprintf("The raw cosine retrievals are the more diverse, unlike what the paper says of its Figure 5: their mean pair cosine is %.3f, against %.3f for the spectral ones.", r.CosinePairs, r.SpectralPairs)
	default:
		s += fmt.Sprintf("Both sets are equally diverse (mean pair cosine %.3f).", r.CosinePairs)
	}
	return s
}

// Publish writes the result with its provenance to dir/figure5-<scale><suffix>.json and the
// figure to dir/figure5-<scale><suffix>.png, and returns the JSON's path.
func (r *Figure5Result) Publish(dir, suffix string) (string, error) {
	return pipeline.PublishPNGs(dir, "figure5-"+r.Config.Table1.Scale+suffix, r, map[string]func() ([]byte, error){"": r.Figure})
}
