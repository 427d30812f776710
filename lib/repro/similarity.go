package repro

import (
	"cmp"
	"fmt"
	"image"
	"math"
	"slices"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
)

// The pieces of Figure 2: a class-sorted sample of the pool, the two similarity matrices over
// it, a number for their block structure and a heatmap of each.

// nullEigenvalue is the largest eigenvalue SpectralSimilarity treats as a null-space pair;
// SmallestEigen returns those as exact zeros (see propagate.SpectralLogits).
const nullEigenvalue = 1e-9

// ClassSortedSample draws n rows class-balanced from truth with seed (data.SampleSubset) and
// sorts them by class, then by row, so that the classes form consecutive blocks.
func ClassSortedSample(truth []int32, numClasses, n int, seed int64) ([]int, error) {
	rows, err := data.SampleSubset(truth, numClasses, n, seed)
	if err != nil {
		return nil, err
	}
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b int) int {
		return cmp.Or(cmp.Compare(truth[a], truth[b]), cmp.Compare(a, b))
	})
	return rows, nil
}

// CosineSimilarity returns the len(rows)² matrix of cosine similarities between the given rows
// of x: Figure 2's raw similarity, the metric's own.
func CosineSimilarity(x propagate.Matrix, rows []int) (*mat.Dense, error) {
	for _, i := range rows {
		if i < 0 || i >= x.N {
			return nil, fmt.Errorf("similarity: row %d outside the %d×%d features", i, x.N, x.D)
		}
	}
	u := mat.NewDense(len(rows), x.D, nil)
	for r, i := range rows {
		var ss float64
		for _, v := range x.Row(i) {
			ss += float64(v) * float64(v)
		}
		if !(ss > 0) || math.IsInf(ss, 0) {
			return nil, fmt.Errorf("similarity: feature row %d has norm² %v; it must be finite and non-zero", i, ss)
		}
		inv := 1 / math.Sqrt(ss)
		for c, v := range x.Row(i) {
			u.Set(r, c, float64(v)*inv)
		}
	}
	s := mat.NewDense(len(rows), len(rows), nil)
	s.Mul(u, u.T())
	return s, nil
}

// nullWeightRatio mirrors propagate.SpectralLogits: on a disconnected graph, the contrasts
// between components get weight 1/λ_floor, λ_floor = 10⁻³ × the smallest non-zero eigenvalue.
const nullWeightRatio = 1e-3

// SpectralSimilarity returns W' of Eq. 6, W'_ab = Σ_j e_j(a)·e_j(b)/λ_j, restricted to the
// given rows. values (ascending) and vectors (N×η) come from propagate.SmallestEigen on the
// whole pool's graph, whose degrees are deg, so the similarity of two sampled rows sums paths
// through every row. The null space (λ ≤ 1e-9) is treated as propagate.SpectralLogits treats
// it: the trivial direction D^1/2·1 is dropped, as Eq. 6 starts at j = 2; on a disconnected
// graph the rest of the null space, the contrasts between components, gets weight 1/λ_floor
// (nullWeightRatio), the weakly-linked limit, rather than the infinite weight of 1/0.
func SpectralSimilarity(values []float64, vectors *mat.Dense, deg []float64, rows []int) (*mat.Dense, error) {
	n, eta := vectors.Dims()
	if len(values) != eta || len(deg) != n {
		return nil, fmt.Errorf("similarity: %d eigenvalues and %d degrees for %d×%d eigenvectors", len(values), len(deg), n, eta)
	}
	var keep, null []int
	smallest := math.Inf(1)
	for j, v := range values {
		if v > nullEigenvalue {
			keep = append(keep, j)
			smallest = math.Min(smallest, v)
		} else {
			null = append(null, j)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("similarity: all %d eigenvalues are zero; raise η (Config.Eta) above the number of graph components", eta)
	}
	for _, i := range rows {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("similarity: row %d outside the %d eigenvector rows", i, n)
		}
	}
	e := mat.NewDense(len(rows), len(keep), nil)
	for r, i := range rows {
		for c, j := range keep {
			e.Set(r, c, vectors.At(i, j)/math.Sqrt(values[j]))
		}
	}
	s := mat.NewDense(len(rows), len(rows), nil)
	s.Mul(e, e.T())
	if len(null) < 2 {
		return s, nil
	}
	// (P_null − u·uᵀ)/λ_floor with P_null the projector on the null space and u = D^1/2·1
	// normalised, the trivial direction inside it.
	var vol float64
	for _, d := range deg {
		vol += d
	}
	p := mat.NewDense(len(rows), len(null), nil)
	u := make([]float64, len(rows))
	for r, i := range rows {
		for c, j := range null {
			p.Set(r, c, vectors.At(i, j))
		}
		u[r] = math.Sqrt(deg[i] / vol)
	}
	var pp mat.Dense
	pp.Mul(p, p.T())
	w := 1 / (nullWeightRatio * smallest)
	for a := range rows {
		for b := range rows {
			s.Set(a, b, s.At(a, b)+w*(pp.At(a, b)-u[a]*u[b]))
		}
	}
	return s, nil
}

// Blocks measures the block structure of a similarity matrix over class-labelled rows, on
// its off-diagonal entries.
type Blocks struct {
	// Within and Between are the mean similarity of pairs of the same and of different classes.
	Within  float64 `json:"within"`
	Between float64 `json:"between"`
	// Std is the standard deviation of all off-diagonal entries.
	Std float64 `json:"std"`
}

// Contrast is Within − Between in units of Std: scale-free, so the raw cosine and W' (whose
// scale is 1/λ) compare.
func (b Blocks) Contrast() float64 { return (b.Within - b.Between) / b.Std }

// MeasureBlocks returns the block structure of s, whose rows and columns are classes[i].
func MeasureBlocks(s *mat.Dense, classes []int32) (Blocks, error) {
	n, m := s.Dims()
	if n != m || n != len(classes) {
		return Blocks{}, fmt.Errorf("similarity: %d×%d matrix for %d class labels; it must be square with one label per row", n, m, len(classes))
	}
	var sumIn, sumOut, ss float64
	var nIn, nOut int
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			v := s.At(i, j)
			ss += v * v
			if classes[i] == classes[j] {
				sumIn, nIn = sumIn+v, nIn+1
			} else {
				sumOut, nOut = sumOut+v, nOut+1
			}
		}
	}
	if nIn == 0 || nOut == 0 {
		return Blocks{}, fmt.Errorf("similarity: %d pairs within classes and %d between; need both (two rows of a class, two classes)", nIn, nOut)
	}
	b := Blocks{Within: sumIn / float64(nIn), Between: sumOut / float64(nOut)}
	mean := (sumIn + sumOut) / float64(nIn+nOut)
	b.Std = math.Sqrt(math.Max(ss/float64(nIn+nOut)-mean*mean, 0))
	return b, nil
}

// Heatmap draws s as an image, row 0 at the top, in the black-body colour map: black for the
// lowest similarities, white for the highest. The map spans the 1st to 99th percentile of the
// off-diagonal entries so that the diagonal and a few outliers do not wash out the blocks.
func Heatmap(title string, s *mat.Dense) (*plot.Plot, error) {
	n, m := s.Dims()
	if n != m || n < 2 {
		return nil, fmt.Errorf("similarity: heatmap of a %d×%d matrix; need a square one of at least 2×2", n, m)
	}
	off := make([]float64, 0, n*(n-1))
	for i := range n {
		for j := range n {
			if i != j {
				off = append(off, s.At(i, j))
			}
		}
	}
	slices.Sort(off)
	lo, hi := off[len(off)/100], off[len(off)-1-len(off)/100]
	if !(hi > lo) {
		hi = lo + 1
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(hi)
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i := range n {
		for j := range n {
			c, err := cm.At(math.Min(math.Max(s.At(i, j), lo), hi))
			if err != nil {
				return nil, fmt.Errorf("similarity: colour of entry (%d, %d) = %v: %w", i, j, s.At(i, j), err)
			}
			img.Set(j, i, c)
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.Add(plotter.NewImage(img, 0, 0, float64(n), float64(n)))
	p.HideAxes()
	return p, nil
}
