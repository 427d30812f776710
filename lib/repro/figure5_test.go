package repro

import (
	"bytes"
	"image/png"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// figure5SmokeConfig is Figure 5 at the smoke scale on writeColourFolder's images in dataDir:
// the whole 120-image pool, a two-step metric, η = 20.
func figure5SmokeConfig(t *testing.T, dataDir string) Figure5Config {
	t.Helper()
	cfg := smokeConfig(t, Figure5ConfigFor)
	cfg.Table1.Pool, cfg.Table1.Labels, cfg.Table1.Spectral.Eta = 0, []int{8}, 20
	for m, pc := range cfg.Table1.Metrics {
		pc.Steps, pc.BatchSize = 2, 16
		cfg.Table1.Metrics[m] = pc
	}
	cfg.Seed = 3
	return cfg
}

// TestFigure5Smoke runs Figure 5 on generated images and checks it against references computed
// here: one row per class headed by its one-shot labelled image, k retrievals per ranking that
// are neither the query nor any labelled image, precision recounted from the true classes, the
// cosine ranking equal to a brute-force one, the spectral ranking equal to one by the logits of
// a direct propagate.Run; then the cache, the figure and Publish.
func TestFigure5Smoke(t *testing.T) {
	const classes, perClass = 4, 30
	dataDir := t.TempDir()
	writeColourFolder(t, dataDir, classes, perClass)
	cfg := figure5SmokeConfig(t, dataDir)
	env := testEnv(t, dataDir)
	res, err := RunFigure5(env, cfg)
	if err != nil {
		t.Fatal(err)
	}

	// References, from the data and the cached features.
	train, err := data.Load(dataDir, "cifar10", "train")
	if err != nil {
		t.Fatal(err)
	}
	truth := train.Labels // the pool is the whole split, in order
	labelled, err := data.SampleLabeled(truth, classes, classes, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	r, err := openTable1(env, "test", cfg.Table1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.features(cfg.Metric, 0)
	if err != nil {
		t.Fatal(err)
	}
	x := propagate.Matrix{N: f.N, D: f.D, Data: f.Features}
	p, err := propagate.Run(x, labelled, pipeline.Pick(truth, labelled), classes, cfg.Table1.Spectral, nil)
	if err != nil {
		t.Fatal(err)
	}

	if res.Pool != classes*perClass || len(res.Rows) != classes {
		t.Fatalf("pool %d, %d rows; want %d and one per class (%d)", res.Pool, len(res.Rows), classes*perClass, classes)
	}
	var sum [2]float64
	for c, row := range res.Rows {
		if row.Class != int32(c) || truth[row.Query] != int32(c) || !slices.Contains(labelled, row.Query) {
			t.Errorf("row %d: class %d, query %d of class %d; want class %d's labelled image (one of %v)", c, row.Class, row.Query, truth[row.Query], c, labelled)
		}
		for name, rk := range map[string]Figure5Ranking{"cosine": row.Cosine, "spectral": row.Spectral} {
			if len(rk.Rows) != cfg.K || len(rk.Classes) != cfg.K || len(rk.Scores) != cfg.K || len(rk.Images) != cfg.K {
				t.Fatalf("class %d, %s: %d rows, %d classes, %d scores, %d images; want %d each", c, name, len(rk.Rows), len(rk.Classes), len(rk.Scores), len(rk.Images), cfg.K)
			}
			right := 0
			for i, j := range rk.Rows {
				if slices.Contains(labelled, j) {
					t.Errorf("class %d, %s: retrieval %d is labelled row %d", c, name, i, j)
				}
				if slices.Contains(rk.Rows[:i], j) {
					t.Errorf("class %d, %s: row %d retrieved twice", c, name, j)
				}
				if rk.Classes[i] != truth[j] || rk.Images[i] != j {
					t.Errorf("class %d, %s: retrieval %d is row %d of class %d, image %d; the data say class %d, image %d", c, name, i, j, rk.Classes[i], rk.Images[i], truth[j], j)
				}
				if truth[j] == int32(c) {
					right++
				}
			}
			if rk.Precision < 0 || rk.Precision > 1 || rk.Precision != float64(right)/float64(cfg.K) {
				t.Errorf("class %d, %s: precision %v, recount %d/%d", c, name, rk.Precision, right, cfg.K)
			}
		}
		sum[0] += row.Cosine.Precision
		sum[1] += row.Spectral.Precision

		cos := bruteCosine(x, row.Query)
		checkRanking(t, "cosine", c, row.Cosine, cos, labelled, 1e-9)
		spec := make([]float64, x.N)
		for i := range spec {
			spec[i] = float64(p.Logits.Row(i)[c])
		}
		checkRanking(t, "spectral", c, row.Spectral, spec, labelled, 1e-5)
	}
	if math.Abs(res.Cosine-sum[0]/classes) > 1e-12 || math.Abs(res.Spectral-sum[1]/classes) > 1e-12 {
		t.Errorf("overall precision %v and %v, want the class means %v and %v", res.Cosine, res.Spectral, sum[0]/classes, sum[1]/classes)
	}

	again, err := RunFigure5(env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Propagation.Cached || !again.Propagation.Cached || !again.Features.Cached {
		t.Errorf("propagation cached %v then %v (features %v); want false then true", res.Propagation.Cached, again.Propagation.Cached, again.Features.Cached)
	}
	for c := range res.Rows {
		if !slices.Equal(res.Rows[c].Spectral.Rows, again.Rows[c].Spectral.Rows) || !slices.Equal(res.Rows[c].Cosine.Rows, again.Rows[c].Cosine.Rows) {
			t.Errorf("class %d: a cached rerun retrieves other rows", c)
		}
	}

	fig, err := res.Figure()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(fig))
	if err != nil {
		t.Fatalf("figure is not a PNG: %v", err)
	}
	// Four rows of 96-pixel images with 3-pixel frames, under a heading.
	if h := img.Bounds().Dy(); h < classes*(96+6) || h > classes*(96+6+4)+60 {
		t.Errorf("figure is %d pixels high for %d rows of 96-pixel images", h, classes)
	}
	if h, rows := res.Table(); len(rows) != classes+1 || len(rows[0]) != len(h) {
		t.Errorf("table %v %v", h, rows)
	}
	back, _ := published[Figure5Result](t, res, "", "figure5-smoke", "figure5-smoke.png")
	if len(back.Rows) != classes || back.Provenance.Scale != pipeline.Smoke {
		t.Errorf("published JSON reads back as %d rows, scale %q", len(back.Rows), back.Provenance.Scale)
	}
	if _, err := back.Figure(); err == nil {
		t.Error("a result read from JSON has no images, but Figure gave no error")
	}
}

// bruteCosine is the cosine similarity of row q to every row of x, each normalised here.
func bruteCosine(x propagate.Matrix, q int) []float64 {
	norm := func(i int) float64 {
		var s float64
		for _, v := range x.Row(i) {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s)
	}
	out := make([]float64, x.N)
	for i := range out {
		var s float64
		for d := range x.D {
			s += float64(x.Row(q)[d]) * float64(x.Row(i)[d])
		}
		out[i] = s / (norm(q) * norm(i))
	}
	return out
}

// checkRanking compares rk with a ranking of the unlabelled rows by scores, sorted here: the
// scores rk reports are the references' and, position by position, equal the k best (so ties
// may come in either order).
func checkRanking(t *testing.T, name string, c int, rk Figure5Ranking, scores []float64, labelled []int, tol float64) {
	t.Helper()
	var want []float64
	for i, s := range scores {
		if !slices.Contains(labelled, i) {
			want = append(want, s)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(want)))
	for i, j := range rk.Rows {
		if math.Abs(rk.Scores[i]-scores[j]) > tol || math.Abs(scores[j]-want[i]) > tol {
			t.Errorf("class %d, %s retrieval %d: row %d scores %v (reported %v); the %d-th best unlabelled score is %v", c, name, i, j, scores[j], rk.Scores[i], i+1, want[i])
		}
	}
}

func TestFigure5Errors(t *testing.T) {
	dataDir := t.TempDir()
	writeColourFolder(t, dataDir, 3, 6)
	env := testEnv(t, dataDir)
	for _, tc := range []struct {
		name, want string
		edit       func(*Figure5Config)
	}{
		{"bootstrap metric", "bootstrapping", func(c *Figure5Config) { c.Metric = metric.MethodBootstrap }},
		{"unknown metric", "metric", func(c *Figure5Config) { c.Metric = "none" }},
		{"no retrievals", "K = 0", func(c *Figure5Config) { c.K = 0 }},
		{"more retrievals than the pool", "unlabeled images", func(c *Figure5Config) { c.K = 16 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := figure5SmokeConfig(t, dataDir)
			cfg.Table1.Labels = []int{3}
			tc.edit(&cfg)
			_, err := RunFigure5(env, cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestFigure5Findings checks that the verdict follows the numbers, whichever way they go.
func TestFigure5Findings(t *testing.T) {
	for _, tc := range []struct {
		cos, spec, cosPairs, specPairs float64
		want                           []string
	}{
		{0.5, 0.75, 0.8, 0.6, []string{"spectral ranking, the paper's propagation, is the more precise, by 25.0 points", "spectral retrievals are the more diverse"}},
		{0.75, 0.5, 0.6, 0.8, []string{"raw cosine ranking is the more precise, by 25.0 points", "raw cosine retrievals are the more diverse"}},
		{0.5, 0.5, 0.7, 0.7, []string{"equally precise", "equally diverse"}},
	} {
		r := &Figure5Result{Config: Figure5Config{K: 8}, Rows: make([]Figure5Row, 10),
			Cosine: tc.cos, Spectral: tc.spec, CosinePairs: tc.cosPairs, SpectralPairs: tc.specPairs}
		got := r.Findings()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("findings %q lack %q", got, w)
			}
		}
	}
}
